// goro::context: cancellation and deadlines for trees of work (Go's
// context package, without values).
//
//   auto [ctx, cancel] = goro::with_timeout(goro::background(), 100ms);
//   auto r = co_await goro::select(results.recv_case(),
//   ctx.done().recv_case()); if (r.index() == 1) std::cerr << "gave up: " <<
//   ctx.err() << "\n"; cancel();  // always: releases the timer and the link to
//   the parent
//
// Contract:
//  - background() (and todo(), its synonym) is never canceled: done() is
//    the nil channel (never ready), err() is empty, no deadline.
//  - with_cancel(parent) returns {ctx, cancel}: ctx is canceled by
//    cancel(), or when parent is. with_deadline(parent, t) and
//    with_timeout(parent, d) (deadline now + d) also cancel ctx at the
//    deadline, with err() deadline_exceeded; if parent's deadline is
//    earlier, ctx just follows parent's.
//  - Cancellation closes done() (a chan<std::monostate>, usable in
//    select) and sets err() to goro::canceled or goro::deadline_exceeded,
//    which never changes afterwards; it flows to every descendant, never
//    to the parent. A context made from a canceled parent is canceled at
//    once. Later cancel() calls do nothing. cancel() may be called from any
//    G or thread, and before or after the deadline.
//  - A canceled context is unlinked from its parent, and so is one whose
//    last handle (ctx copies and cancel) is gone: a long-lived parent does
//    not accumulate children.
//  - err() is a goro::context_error: false while ctx is live, true once
//    canceled; compares equal to goro::canceled or goro::deadline_exceeded;
//    prints (operator<<, message()) as Go's "context canceled" / "context
//    deadline exceeded".
//  - with_deadline/with_timeout with a deadline still ahead arm a
//    goro::after_func timer, so they must be called inside a G
//    (std::logic_error naming them otherwise); with_cancel, and a deadline
//    already past, work anywhere. Contexts are cheap shared handles: copy
//    them freely.
#ifndef GORO_CONTEXT_CONTEXT_H_
#define GORO_CONTEXT_CONTEXT_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <ostream>
#include <utility>
#include <variant>

#include "goro/chan/chan.h"
#include "goro/timer/internal/timer_state.h"
#include "goro/timer/timer.h"

namespace goro {

// What ctx.err() returns: no error, or why the context ended.
class context_error {
 public:
  enum class kind : std::uint8_t { none, canceled, deadline_exceeded };

  constexpr context_error() noexcept = default;
  constexpr explicit context_error(kind k) noexcept : k_(k) {}

  constexpr explicit operator bool() const noexcept { return k_ != kind::none; }
  constexpr kind code() const noexcept { return k_; }
  // "context canceled", "context deadline exceeded", or "" for no error.
  const char* message() const noexcept;

  friend constexpr bool operator==(context_error a, context_error b) noexcept {
    return a.k_ == b.k_;
  }
  friend std::ostream& operator<<(std::ostream& os, context_error e) {
    return os << (e ? e.message() : "<nil>");
  }

 private:
  kind k_ = kind::none;
};

inline constexpr context_error canceled{context_error::kind::canceled};
inline constexpr context_error deadline_exceeded{
    context_error::kind::deadline_exceeded};

class context;
class cancel_func;

namespace internal {
struct context_node;
// with_cancel / with_deadline: a child of parent, with a deadline or not.
std::pair<context, cancel_func> derive_context(
    const context& parent, std::optional<std::int64_t> deadline_ns);
// How many live children ctx links (for tests).
std::size_t context_children(const context& ctx);
}  // namespace internal

class context {
 public:
  // background().
  context() noexcept = default;

  // Closed when the context is canceled; the nil channel for background().
  const chan<std::monostate>& done() const noexcept;
  // Empty (false) until canceled; then canceled or deadline_exceeded.
  context_error err() const noexcept;
  // The time at which the context will be canceled, if it has one.
  std::optional<time_point> deadline() const noexcept;

 private:
  friend class cancel_func;
  friend std::pair<context, cancel_func> internal::derive_context(
      const context&, std::optional<std::int64_t>);
  friend std::size_t internal::context_children(const context&);
  explicit context(std::shared_ptr<internal::context_node> n) noexcept
      : n_(std::move(n)) {}

  std::shared_ptr<internal::context_node> n_;  // null: background
};

// Cancels its context (see the contract). Copyable; calling it more than
// once, or after the context ended, does nothing.
class cancel_func {
 public:
  void operator()() const noexcept;

 private:
  friend std::pair<context, cancel_func> internal::derive_context(
      const context&, std::optional<std::int64_t>);
  explicit cancel_func(std::shared_ptr<internal::context_node> n) noexcept
      : n_(std::move(n)) {}

  std::shared_ptr<internal::context_node> n_;
};

inline context background() noexcept { return context(); }
inline context todo() noexcept { return context(); }

inline std::pair<context, cancel_func> with_cancel(const context& parent) {
  return internal::derive_context(parent, std::nullopt);
}

template <class Duration>
std::pair<context, cancel_func> with_deadline(
    const context& parent,
    std::chrono::time_point<std::chrono::steady_clock, Duration> t) {
  return internal::derive_context(parent, internal::time_point_ns(t));
}

template <class Rep, class Period>
std::pair<context, cancel_func> with_timeout(
    const context& parent, std::chrono::duration<Rep, Period> d) {
  return internal::derive_context(
      parent,
      internal::deadline_after(internal::nanotime(), internal::duration_ns(d)));
}

}  // namespace goro

#endif  // GORO_CONTEXT_CONTEXT_H_
