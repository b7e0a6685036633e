// Stackful Gs: ordinary functions run as Gs on their own stacks.
//
//   int depth_first(Node* n);                 // plain recursive C++
//   goro::join_handle<int> h = goro::co_spawn_stackful(depth_first, root);
//   int v = co_await h;
//
//   goro::go_stackful([ch] { legacy_loop(ch); });   // blocking-style code
//   goro::go_stackful(goro::fiber_options{.stack_size = 64 << 20}, deep, n);
//
// A stackless G (goro::task) can only suspend where every frame between it
// and the wait is a coroutine. A stackful G (a "fiber") runs a plain
// callable on a stack of its own, so it can wait anywhere in a deep chain
// of ordinary calls: it calls goro::await(x) (goro/fiber/await.h), or the
// blocking forms (ch.send_blocking(v), mu.lock_blocking(), ...), which on a
// fiber suspend the fiber instead of blocking the thread. It is scheduled
// by the same Ps as every G and waits on the same channels, locks, wait
// groups and timers. When to pick which: fiber/README.md.
//
// Contract:
//  - stackful(f, args...) -> goro::task<R>, R = the result of f(args...):
//    a task that, when awaited or spawned, runs f(args...) on a fresh
//    stack and yields its result or rethrows its exception. f must be an
//    ordinary callable (one returning a goro::task is a compile error: use
//    go/co_spawn). f and args are decay-copied into the task and passed to
//    f as rvalues, as goro::go does (std::ref to share).
//  - go_stackful(f, args...): goro::go(stackful(f, args...)). Detached: an
//    exception escaping f ends the process like a panic.
//  - co_spawn_stackful(f, args...) -> join_handle<R>: co_spawn of the same;
//    co_await the handle from a G, goro::await it from a fiber.
//  - From a plain thread: rt.go(goro::stackful(f)),
//    rt.block_on(goro::stackful(f)).
//  - Each takes an optional leading fiber_options. go_stackful and
//    co_spawn_stackful must be called from a G (std::logic_error
//    otherwise), like go/co_spawn.
//  - The stack is taken when the fiber first runs; failing to get one
//    (address space, vm.max_map_count) throws std::system_error from the
//    G, i.e. at its join.
//  - Overflowing the stack ends the process with "goro: fiber stack
//    overflow: ..." on stderr (never silent corruption), unless a single
//    frame is larger than 64 KiB (fiber/internal/fiber_stack.h).
//  - Thread-locals: the fiber may resume on another thread after any
//    wait; within one function the compiler may reuse a thread_local's
//    address, errno's and the thread id from before it (goro/fiber/await.h
//    says what to do). The C++ exception state and the floating-point
//    control state belong to the fiber and move with it.
#ifndef GORO_FIBER_STACKFUL_H_
#define GORO_FIBER_STACKFUL_H_

#include <cstddef>
#include <type_traits>
#include <utility>

#include "goro/fiber/internal/stackful_root.h"
#include "goro/runtime/join_handle.h"
#include "goro/runtime/spawn.h"
#include "goro/task/task.h"

namespace goro {

// How much stack a fiber gets by default: 64 MiB, reserved, not
// committed. The code that needs a fiber is deep (recursion) or was written
// for threads (8 MiB stacks here), and a recursion 100,000 levels deep in
// an unoptimised build easily takes 300 bytes a level (a std::function
// and a std::string per level; benchmarks/README.md, "Fibers"): 30 MB. Go lets
// a goroutine's stack grow to 1 GB for the same reason. The reservation costs
// address space only: pages are committed as the fiber touches them, so a fiber
// that stays shallow uses one 4 KiB page (plus a page-table page), like a
// Go goroutine's starting stack (benchmarks/README.md, "Fibers"); a
// larger reservation costs no more memory than a smaller one. 30,000 live
// fibers (the vm.max_map_count bound, fiber/README.md) reserve 2 TB of the
// 128 TB address space.
//
// Under AddressSanitizer or ThreadSanitizer, whose instrumented frames are
// about twice as large, the default is 128 MiB, so that code that fits in
// a fiber in a plain build fits in the sanitized build too.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define GORO_FIBER_BIG_FRAMES 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define GORO_FIBER_BIG_FRAMES 1
#endif
#endif
#if defined(GORO_FIBER_BIG_FRAMES)
inline constexpr std::size_t kDefaultFiberStackSize = std::size_t{128} << 20;
#else
inline constexpr std::size_t kDefaultFiberStackSize = std::size_t{64} << 20;
#endif
#undef GORO_FIBER_BIG_FRAMES

struct fiber_options {
  // Usable bytes of stack (rounded up to pages, at least 16 KiB). Reserved,
  // not committed: raise it freely for deep recursion (Go lets a goroutine
  // grow to 1 GB).
  std::size_t stack_size = kDefaultFiberStackSize;
};

namespace internal {
template <class F, class... Args>
concept not_fiber_options = !std::is_same_v<std::decay_t<F>, fiber_options>;

template <class F, class... Args>
struct stackful_traits {
  static_assert(std::is_invocable_v<std::decay_t<F>&&, std::decay_t<Args>&&...>,
                "goro::stackful: f(args...) must be callable with the "
                "(decay-copied) arguments passed as rvalues");
  using result =
      std::invoke_result_t<std::decay_t<F>&&, std::decay_t<Args>&&...>;
  static_assert(!is_task_v<std::decay_t<result>>,
                "goro::stackful / go_stackful: f returns a goro::task; a "
                "coroutine needs no stack of its own: use go / co_spawn");
};
}  // namespace internal

template <class F, class... Args>
auto stackful(fiber_options opts, F&& f, Args&&... args)
    -> task<typename internal::stackful_traits<F, Args...>::result> {
  using R = typename internal::stackful_traits<F, Args...>::result;
  return internal::stackful_root<R, std::decay_t<F>, std::decay_t<Args>...>(
      opts.stack_size, std::forward<F>(f), std::forward<Args>(args)...);
}

template <class F, class... Args>
  requires internal::not_fiber_options<F>
auto stackful(F&& f, Args&&... args) {
  return stackful(fiber_options{}, std::forward<F>(f),
                  std::forward<Args>(args)...);
}

template <class F, class... Args>
void go_stackful(fiber_options opts, F&& f, Args&&... args) {
  internal::scheduler* s =
      internal::current_scheduler_or_throw("goro::go_stackful");
  (void)internal::spawn_root(
      s, stackful(opts, std::forward<F>(f), std::forward<Args>(args)...),
      /*joinable=*/false);
}

template <class F, class... Args>
  requires internal::not_fiber_options<F>
void go_stackful(F&& f, Args&&... args) {
  go_stackful(fiber_options{}, std::forward<F>(f), std::forward<Args>(args)...);
}

template <class F, class... Args>
auto co_spawn_stackful(fiber_options opts, F&& f, Args&&... args)
    -> join_handle<typename internal::stackful_traits<F, Args...>::result> {
  internal::scheduler* s =
      internal::current_scheduler_or_throw("goro::co_spawn_stackful");
  return internal::spawn_root(
      s, stackful(opts, std::forward<F>(f), std::forward<Args>(args)...),
      /*joinable=*/true);
}

template <class F, class... Args>
  requires internal::not_fiber_options<F>
auto co_spawn_stackful(F&& f, Args&&... args) {
  return co_spawn_stackful(fiber_options{}, std::forward<F>(f),
                           std::forward<Args>(args)...);
}

}  // namespace goro

#endif  // GORO_FIBER_STACKFUL_H_
