// goro::when_all: run tasks as child Gs and wait for all of them.
//
//   auto [a, b] = co_await goro::when_all(fetch(x), fetch(y));
//   std::vector<int> rs = co_await goro::when_all(std::move(tasks));
//
// Contract:
//  - when_all(t1, t2, ...) takes goro::task<T> objects (prvalues, or lvalues,
//    which are left empty: the tasks are taken over when when_all is
//    called) and returns a task. Awaiting it starts every task as a G of its
//    own (as goro::co_spawn would: this_g::id() differs in each, and each
//    may run on another P), waits until all of them have finished, and
//    yields a std::tuple of their results in argument order; a task<void>
//    contributes a std::monostate.
//  - when_all(std::vector<task<T>>) yields std::vector<T> in the vector's
//    order (nothing for task<void>).
//  - If any task throws, when_all still waits for every task, then
//    rethrows the exception of the first task (in argument or vector order)
//    that threw; the others are dropped. Exceptions never escape a child
//    unobserved.
//  - An empty or already-started task throws std::logic_error when the
//    when_all task is awaited, before any child starts. Awaiting requires a
//    G of a goro runtime (std::logic_error otherwise, as co_spawn).
//  - Children that have not started when their parent waits are run by the
//    parent's M at once, newest first, on their own G (the fork deque and
//    the join claim, runtime/internal/fork_deque.h, join.cc): a when_all tree
//    runs depth-first and its live set is its depth; idle Ps steal the
//    oldest children.
//  - Task results must not be references (return a pointer instead).
#ifndef GORO_RUNTIME_WHEN_ALL_H_
#define GORO_RUNTIME_WHEN_ALL_H_

#include <cstddef>
#include <exception>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "goro/runtime/join_handle.h"
#include "goro/runtime/spawn.h"
#include "goro/task/task.h"

namespace goro {

namespace internal {

template <class T>
struct when_all_value {
  static_assert(!std::is_reference_v<T>,
                "goro::when_all: a task returning a reference cannot be "
                "collected (return a pointer instead)");
  using type = T;
};
template <>
struct when_all_value<void> {
  using type = std::monostate;
};
template <class T>
using when_all_value_t = typename when_all_value<T>::type;

// Takes a joined child's result and hands it to put() (a std::monostate
// for void), or keeps its exception in *first if it is the first one in
// order.
template <class T, class Put>
void take_child(join_handle<T>& h, std::exception_ptr* first, Put&& put) {
  try {
    if constexpr (std::is_void_v<T>) {
      h.take_joined();
      put(std::monostate{});
    } else {
      put(h.take_joined());
    }
  } catch (...) {
    if (!*first) *first = std::current_exception();
  }
}

// Throws std::logic_error (naming `what`) unless the awaiting coroutine
// runs as a G: checked before any child starts, so that no child is left
// running unjoined.
struct require_g {
  const char* what;
  bool await_ready() const noexcept { return false; }
  template <class Promise>
  bool await_suspend(std::coroutine_handle<Promise> h) const {
    if (!runs_as_g(h)) throw_not_in_g(what);
    return false;  // not suspended after all
  }
  void await_resume() const noexcept {}
};

template <class... T, std::size_t... I>
task<std::tuple<when_all_value_t<T>...>> when_all_tuple(
    std::index_sequence<I...>, task<T>... ts) {
  constexpr std::size_t n = sizeof...(T);
  (check_spawnable(ts), ...);
  co_await require_g{"co_await on goro::when_all"};
  // Spawned in argument order. If a spawn fails (out of memory), the
  // children already started are still joined before the error goes up:
  // none is left running on data the caller is about to free.
  std::tuple<join_handle<T>...> hs;
  std::exception_ptr spawn_error;
  try {
    ((std::get<I>(hs) = co_spawn(std::move(ts))), ...);
  } catch (...) {
    spawn_error = std::current_exception();
  }
  // Joined newest first: each join finds its child still the newest G of
  // the fork deque (unless stolen) and runs it at once.
  ((co_await std::get<n - 1 - I>(hs).joined()), ...);
  if (spawn_error) std::rethrow_exception(spawn_error);
  std::exception_ptr first;
  std::tuple<std::optional<when_all_value_t<T>>...> rs;
  (take_child(std::get<I>(hs), &first,
              [&](auto&& v) {
                std::get<I>(rs).emplace(std::forward<decltype(v)>(v));
              }),
   ...);
  if (first) std::rethrow_exception(first);
  co_return std::tuple<when_all_value_t<T>...>{std::move(*std::get<I>(rs))...};
}

template <class T>
task<std::conditional_t<std::is_void_v<T>, void, std::vector<T>>>
when_all_vector(std::vector<task<T>> ts) {
  static_assert(!std::is_reference_v<T>,
                "goro::when_all: a task returning a reference cannot be "
                "collected (return a pointer instead)");
  for (const auto& t : ts) check_spawnable(t);
  co_await require_g{"co_await on goro::when_all"};
  const std::size_t n = ts.size();
  // In the frame up to 16 children: no allocation besides the result.
  absl::InlinedVector<join_handle<T>, 16> hs;
  std::exception_ptr spawn_error;  // as in when_all_tuple
  try {
    hs.reserve(n);
    for (auto& t : ts) hs.push_back(co_spawn(std::move(t)));
  } catch (...) {
    spawn_error = std::current_exception();
  }
  ts.clear();
  for (std::size_t i = hs.size(); i-- > 0;) co_await hs[i].joined();
  if (spawn_error) std::rethrow_exception(spawn_error);
  std::exception_ptr first;
  if constexpr (std::is_void_v<T>) {
    for (auto& h : hs) take_child(h, &first, [](std::monostate) {});
    if (first) std::rethrow_exception(first);
  } else {
    std::vector<T> out;
    out.reserve(n);
    for (auto& h : hs) {
      take_child(h, &first, [&](T&& v) { out.push_back(std::move(v)); });
    }
    if (first) std::rethrow_exception(first);
    co_return out;
  }
}

template <class X>
inline constexpr bool is_task_object_v = is_task_v<std::remove_cvref_t<X>>;

}  // namespace internal

// Tuple form. Each argument is a goro::task<T> (an lvalue is moved from).
template <class... Tasks>
  requires(internal::is_task_object_v<Tasks> && ...) &&
          (!std::is_const_v<std::remove_reference_t<Tasks>> && ...)
auto when_all(Tasks&&... tasks) {
  return internal::when_all_tuple(std::index_sequence_for<Tasks...>{},
                                  std::move(tasks)...);
}

// Vector form (an lvalue vector is moved from).
template <class T>
auto when_all(std::vector<task<T>>&& tasks) {
  return internal::when_all_vector<T>(std::move(tasks));
}
template <class T>
auto when_all(std::vector<task<T>>& tasks) {
  return internal::when_all_vector<T>(std::move(tasks));
}

}  // namespace goro

#endif  // GORO_RUNTIME_WHEN_ALL_H_
