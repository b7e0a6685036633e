// goro::select: Go's select statement.
//
//   auto r = co_await goro::select(in.recv_case(), out.send_case(v),
//                                  goro::default_case());
//   switch (r.index()) {
//     case 0: if (auto& v = r.value<0>()) use(*v); else /* in closed */;
//             break;
//     case 1: /* v was sent */ break;
//     case 2: /* nothing was ready */ break;
//   }
//
// Cases:
//   ch.recv_case()         fires when a receive from ch could proceed; the
//                          received std::optional<T> (empty if ch is closed
//                          and drained) is r.value<I>().
//   ch.send_case(v)        fires when v could be sent on ch, and sends it.
//                          If the select reaches it while ch is closed, or ch
//                          is closed while the select waits on it, the select
//                          throws channel_error("send on closed channel").
//   goro::default_case()   fires if no other case can proceed right now.
//                          At most one per select.
//
// Semantics (Go's, runtime/select.go):
//  - If one or more cases can proceed, one of them is chosen uniformly at
//    random; default fires only when none can.
//  - Otherwise the G waits (without blocking the thread) until one case can
//    proceed; exactly one case fires, the others have no effect.
//  - Cases on nil channels never fire. A select with no case, or only nil
//    cases, and no default, waits forever.
//  - The same channel may appear in several cases. A send and a receive on
//    the same channel in one select never pair with each other.
//  - Channels are locked in one global order (by address) while a select
//    looks at them, so concurrent selects cannot deadlock each other, and a
//    select with a default is linearizable (never takes the default while a
//    case is ready throughout).
//  - r.index() is the position of the fired case in the argument list,
//    counting default_case().
//
// Where goro differs from Go: C++ evaluates function arguments in an
// unspecified order, so the channel and value expressions of the cases are
// each evaluated exactly once but not necessarily left to right; evaluate
// them into locals first if the order matters. Timeouts are channels
// (goro::after, in the timer package), so they need no special case here.
//
// Case objects refer to their channels: a case made from an lvalue handle
// borrows it, so the handle must outlive the select (it does when the cases
// are written inside the co_await expression); one made from an rvalue
// handle (a temporary, or std::move(ch)) holds the channel itself. The
// select awaitable is awaited at most once. From a goro::task that is not
// running as a G, a select that can complete at once does; one that would
// have to wait throws std::logic_error.
#ifndef GORO_CHAN_SELECT_H_
#define GORO_CHAN_SELECT_H_

#include <cstddef>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>

#include "goro/chan/chan.h"
#include "goro/chan/internal/select_cases.h"
#include "goro/chan/internal/select_op.h"

namespace goro {

// The case that fires when no other case is ready.
[[nodiscard]] inline internal::default_select_case default_case() noexcept {
  return {};
}

// The outcome of a select: which case fired and, for a receive case, what
// it received.
template <class... Cases>
class select_result {
 public:
  // Position of the fired case in the select's argument list.
  std::size_t index() const noexcept { return v_.index(); }

  // For receive case I: the received value, empty if its channel was closed
  // and drained. Throws std::logic_error if case I is not the one that
  // fired.
  template <std::size_t I>
  auto& value() & {
    check<I>();
    return std::get<I>(v_);
  }
  template <std::size_t I>
  auto&& value() && {
    check<I>();
    return std::get<I>(std::move(v_));
  }
  template <std::size_t I>
  const auto& value() const& {
    check<I>();
    return std::get<I>(v_);
  }

 private:
  template <class...>
  friend class internal::select_awaiter;

  template <std::size_t I>
  void check() const {
    static_assert(I < sizeof...(Cases), "select_result::value<I>(): no case I");
    using C = std::tuple_element_t<I, std::tuple<Cases...>>;
    static_assert(!C::is_send && !C::is_default,
                  "select_result::value<I>(): case I is not a receive case");
    if (v_.index() != I) internal::throw_select_value_of_unfired(I, v_.index());
  }

  // (select() with no case never returns; its result type still needs an
  // alternative.)
  using variant_type =
      std::conditional_t<sizeof...(Cases) == 0, std::variant<std::monostate>,
                         std::variant<typename Cases::result_type...>>;
  variant_type v_;
};

// Waits until one of the cases can proceed, performs it and says which
// (see above). Awaitable once, from a G.
// (Cases are taken as rvalues, as ch.recv_case() makes them, and moved
// into the awaitable once; a case kept in a variable must be std::move'd.)
template <class... Cases>
  requires(!std::is_lvalue_reference_v<Cases> && ...)
[[nodiscard]] internal::select_awaiter<Cases...> select(Cases&&... cases) {
  return internal::select_awaiter<Cases...>(std::move(cases)...);
}

}  // namespace goro

#endif  // GORO_CHAN_SELECT_H_
