// goro::task<T>: a lazily started coroutine that produces a T.
//
//   goro::task<int> answer() { co_return 42; }
//   goro::task<void> caller() { int v = co_await answer(); ... }
//
// Contract:
//  - A task does nothing until it is awaited (`co_await t` runs it inside
//    the awaiting G and yields its T, or rethrows its exception) or handed to
//    goro::go / goro::co_spawn (it becomes the root of a new G).
//  - Move-only. A task owns its frame: destroying a task that has not run, or
//    has finished, frees the frame.
//  - A task is awaited at most once. Awaiting an empty (moved-from or
//    default-constructed) task, or awaiting one a second time, throws
//    std::logic_error naming the mistake; neither is undefined behaviour.
//  - Awaiting a task that completes synchronously costs no stack: calls and
//    returns are guaranteed tail calls or go through the G's trampoline
//    (goro/task/internal/promise.h, "Calls between frames"), so loops of
//    millions of synchronous co_awaits are safe at any -O level.
//  - Coroutine parameters taken by reference dangle once the caller's
//    expression ends if the task outlives it; spawned coroutine functions
//    should take their parameters by value.
//  - Frames are aligned as their contents need up to 128 bytes
//    (goro/task/internal/frame_allocator.h): task<T> does not compile if
//    alignof(T) > 128, since the result is kept in the frame (return a
//    std::unique_ptr<T> instead), and a local or parameter of a task
//    coroutine must not be aligned beyond 128 bytes (g++ does not pass the
//    frame's alignment to the allocator; nothing can check it).
#ifndef GORO_TASK_TASK_H_
#define GORO_TASK_TASK_H_

#include <coroutine>
#include <type_traits>
#include <utility>

#include "goro/task/internal/promise.h"

namespace goro {

template <class T = void>
class [[nodiscard]] task {
 public:
  using promise_type = internal::task_promise<T>;
  using value_type = T;

  task() noexcept = default;
  task(task&& other) noexcept : h_(std::exchange(other.h_, {})) {}
  task& operator=(task&& other) noexcept {
    if (this != &other) {
      if (h_) h_.destroy();
      h_ = std::exchange(other.h_, {});
    }
    return *this;
  }
  task(const task&) = delete;
  task& operator=(const task&) = delete;
  ~task() {
    if (h_) h_.destroy();
  }

  // True if this task holds a coroutine (it was not moved from).
  explicit operator bool() const noexcept { return static_cast<bool>(h_); }

  // Awaiting runs the task in the current G and yields its result.
  auto operator co_await() & noexcept { return awaiter{this}; }
  auto operator co_await() && noexcept { return awaiter{this}; }

  // True if the task has been awaited (it is running or has finished).
  bool started() const noexcept {
    return h_ && (h_.done() || typed().promise().continuation_);
  }

  // For the runtime: give up ownership of the frame.
  std::coroutine_handle<promise_type> release() noexcept {
    return std::coroutine_handle<promise_type>::from_address(
        std::exchange(h_, {}).address());
  }

 private:
  friend promise_type;
  explicit task(std::coroutine_handle<promise_type> h) noexcept : h_(h) {}

  std::coroutine_handle<promise_type> typed() const noexcept {
    return std::coroutine_handle<promise_type>::from_address(h_.address());
  }

  struct awaiter {
    task* self;

    bool await_ready() const {
      if (!self->h_) internal::throw_empty_task();
      if (self->started()) internal::throw_task_awaited_twice();
      return false;
    }
    // Direct: as in promise_base::final_awaiter (promise.h).
    template <class ParentPromise, bool Direct = GORO_INTERNAL_DIRECT_TRANSFER>
    std::coroutine_handle<> await_suspend(
        std::coroutine_handle<ParentPromise> parent) const noexcept {
      promise_type& child = self->typed().promise();
      child.continuation_ = parent;
      // While the child runs, this task object (in the parent's frame) owns
      // it; recorded so the runtime can destroy an abandoned chain
      // innermost-first (scheduler::destroy_frames).
      child.owner_ = &self->h_;
      if constexpr (std::is_base_of_v<internal::promise_base, ParentPromise>) {
        child.parent_ = &parent.promise();
        if (internal::trampoline* gp = parent.promise().g_) {
          child.g_ = gp;
          if constexpr (!Direct) {
            gp->tail = self->h_;  // the trampoline resumes the child next
            return std::noop_coroutine();
          }
        }
      }
      return self->h_;  // symmetric transfer (direct, or a foreign parent)
    }
    T await_resume() const { return self->typed().promise().take_result(); }
  };

  // Type-erased so that promise_base::owner_ can point at it whatever T is.
  std::coroutine_handle<> h_{};
};

namespace internal {
template <class T>
task<T> task_promise<T>::get_return_object() noexcept {
  return task<T>(std::coroutine_handle<task_promise<T>>::from_promise(*this));
}
inline task<void> task_promise<void>::get_return_object() noexcept {
  return task<void>(
      std::coroutine_handle<task_promise<void>>::from_promise(*this));
}

template <class X>
inline constexpr bool is_task_v = false;
template <class T>
inline constexpr bool is_task_v<task<T>> = true;
}  // namespace internal

}  // namespace goro

#endif  // GORO_TASK_TASK_H_
