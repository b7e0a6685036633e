// goro::once: Go's sync.Once: run something exactly once, whoever asks.
//
//   goro::once init;
//   co_await init.call([] { load_config(); });             // plain callable
//   co_await init.call([]() -> goro::task<> { co_await connect(); });
//
// Contract:
//  - The first co_await o.call(f) runs f (awaiting it, if it returns a
//    goro::task); every other call, concurrent or later, does not run its f.
//  - Concurrent callers wait (suspended) until f has returned, or its task
//    has finished, so that after any call returns, f's effects are visible
//    (f's completion happens before every call() returns).
//  - Once f has completed, call() is one atomic load and no suspension.
//  - If f throws, the exception propagates out of the call that ran it, and
//    the once counts as done anyway: f is never run again, and the callers
//    that were waiting return normally. This is Go's rule (a panicking f
//    counts as returned), chosen so that ported Go code behaves the same;
//    it differs from std::call_once, which lets the next caller retry. To
//    retry, catch inside f.
//  - A call() from inside f on the same once waits forever (as in Go it
//    deadlocks).
//  - f is taken by reference and used only during the co_await, so
//    co_await the call where it is made; f's result (if any) is discarded.
//  - A runtime destroyed while f is suspended (runtime.h, Destruction)
//    leaves the once not done: f neither returned nor threw.
#ifndef GORO_SYNC_ONCE_H_
#define GORO_SYNC_ONCE_H_

#include <atomic>
#include <coroutine>
#include <functional>
#include <mutex>
#include <optional>
#include <type_traits>
#include <utility>

#include "goro/sync/mutex.h"
#include "goro/task/task.h"

namespace goro {

class once {
 public:
  template <class F>
  class call_awaiter;

  once() noexcept = default;
  once(const once&) = delete;
  once& operator=(const once&) = delete;

  template <class F>
  [[nodiscard]] call_awaiter<F> call(F&& f) noexcept {
    return call_awaiter<F>(this, f);
  }

 private:
  // The slow path, a coroutine: f may have to be awaited.
  template <class F>
  task<> call_slow(F& f) {
    auto guard = co_await mu_.scoped_lock();
    if (done_.load(std::memory_order_relaxed)) co_return;
    // done_ is set (even when f throws) before the guard releases the
    // lock, as Go's deferred store. Not from a destructor: a frame
    // destroyed while f is suspended (runtime teardown) has not run f.
    // RELEASE (both stores): pairs with the fast path's ACQUIRE load.
    try {
      if constexpr (internal::is_task_v<std::invoke_result_t<F&>>) {
        co_await std::invoke(f);
      } else {
        std::invoke(f);
      }
    } catch (...) {
      done_.store(true, std::memory_order_release);
      throw;
    }
    done_.store(true, std::memory_order_release);
  }

  std::atomic<bool> done_{false};
  mutex mu_;
};

template <class F>
class [[nodiscard]] once::call_awaiter {
  using slow_awaiter = decltype(std::declval<task<>&>().operator co_await());

 public:
  call_awaiter(once* o, F& f) noexcept : o_(o), f_(f) {}
  call_awaiter(const call_awaiter&) = delete;
  call_awaiter& operator=(const call_awaiter&) = delete;

  bool await_ready() const noexcept {
    // ACQUIRE: pairs with call_slow's RELEASE stores.
    return o_->done_.load(std::memory_order_acquire);
  }
  template <class Promise>
  std::coroutine_handle<> await_suspend(std::coroutine_handle<Promise> h) {
    slow_.emplace(o_->call_slow(f_));
    awaiter_.emplace(slow_->operator co_await());
    awaiter_->await_ready();  // checks only; a fresh task is never ready
    return awaiter_->await_suspend(h);
  }
  void await_resume() {
    if (awaiter_) awaiter_->await_resume();  // rethrows f's exception
  }

 private:
  once* o_;
  F& f_;
  std::optional<task<>> slow_;
  std::optional<slow_awaiter> awaiter_;
};

}  // namespace goro

#endif  // GORO_SYNC_ONCE_H_
