// goro::join_handle<T>: the result of a G started with goro::co_spawn.
//
//   goro::join_handle<int> h = goro::co_spawn(compute, 7);
//   ...                       // the G runs concurrently
//   int v = co_await h;       // waits for it; yields its value or rethrows
//
// Contract:
//  - `co_await h` (lvalue or rvalue) suspends the awaiting G until the
//    spawned G's root task returns, then yields its T or rethrows its
//    exception. It does not block the thread: the M runs other Gs meanwhile.
//    Awaiting is only possible from inside a G of the same runtime
//    (std::logic_error otherwise).
//  - A handle is awaited at most once. Awaiting it twice, or awaiting an
//    empty handle (moved-from, detached, default-constructed), throws
//    std::logic_error naming the mistake.
//  - Dropping (destroying) the handle or calling detach() detaches the G: it
//    keeps running and its result is discarded. If a G ends with an
//    exception that no join observes, the process ends like a Go panic: a
//    message naming the G and the exception on stderr, then abort().
//  - A handle must not outlive the goro::runtime that the G belongs to.
//  - Move-only. Not thread-safe: one handle, one owner.
#ifndef GORO_RUNTIME_JOIN_HANDLE_H_
#define GORO_RUNTIME_JOIN_HANDLE_H_

#include <coroutine>
#include <cstdint>
#include <type_traits>
#include <utility>

#include "goro/core/internal/g.h"
#include "goro/runtime/internal/park.h"
#include "goro/runtime/internal/scheduler_ref.h"
#include "goro/task/task.h"

namespace goro {

template <class T>
class [[nodiscard]] join_handle {
 public:
  using value_type = T;

  join_handle() noexcept = default;
  join_handle(join_handle&& o) noexcept
      : g_(std::exchange(o.g_, nullptr)),
        frame_(std::exchange(o.frame_, {})),
        awaited_(std::exchange(o.awaited_, false)) {}
  join_handle& operator=(join_handle&& o) noexcept {
    if (this != &o) {
      reset();
      g_ = std::exchange(o.g_, nullptr);
      frame_ = std::exchange(o.frame_, {});
      awaited_ = std::exchange(o.awaited_, false);
    }
    return *this;
  }
  join_handle(const join_handle&) = delete;
  join_handle& operator=(const join_handle&) = delete;
  ~join_handle() { reset(); }

  // True while the handle refers to a G (not moved-from or detached).
  explicit operator bool() const noexcept { return g_ != nullptr; }

  // True once the G has finished (its result is ready to take).
  bool done() const noexcept {
    // ACQUIRE: as in the awaiter.
    return g_ != nullptr &&
           g_->join_word.load(std::memory_order_acquire) == internal::kJoinDone;
  }

  // The G's id, as goro::this_g::id() reports it inside the G.
  std::uint64_t id() const noexcept { return g_ != nullptr ? g_->id : 0; }

  // Lets the G run on unobserved; the handle becomes empty.
  void detach() noexcept { reset(); }

  auto operator co_await() & { return awaiter{this}; }
  auto operator co_await() && { return awaiter{this}; }

  // For goro::when_all. `co_await h.joined()` waits for the G like
  // `co_await h` but takes nothing and never throws (an exception the G
  // threw counts as observed); the result is then taken, once, with
  // take_joined(), which rethrows that exception. On an empty handle it
  // does nothing.
  auto joined() & { return joined_awaiter{this}; }
  T take_joined() { return frame_.promise().take_result(); }

  // For goro::co_spawn.
  join_handle(internal::g* gp,
              std::coroutine_handle<internal::task_promise<T>> frame) noexcept
      : g_(gp), frame_(frame) {}

 private:
  // Holds the joiner's waiter record (runtime/internal/join.cc): awaiting
  // allocates nothing.
  class awaiter {
   public:
    explicit awaiter(join_handle* self) noexcept : self_(self) {}
    awaiter(const awaiter&) = delete;
    awaiter& operator=(const awaiter&) = delete;
    // Not idle only if the joiner's frame is destroyed while it waits, or
    // after its grant before it ran (runtime teardown, either way).
    ~awaiter() {
      if (!jw_.w.idle()) internal::join_cancel(&jw_);
    }

    bool await_ready() const {
      if (self_->g_ == nullptr) internal::throw_empty_join_handle();
      if (self_->awaited_) internal::throw_join_handle_awaited_twice();
      // Whether the G has finished is answered in await_suspend, which
      // checks the joiner first (a finished G is no excuse for a join from
      // the wrong place) and has its G at hand without a thread-local
      // read. Not suspending after all costs almost nothing there.
      return false;
    }
    // Direct (task/internal/promise.h, "Calls between frames"): the way
    // the awaiting frame's unit hops. Directly, a target that has not
    // started and that this P can take back runs at once: the joiner's
    // frame transfers to it without a trip through the M's loop
    // (internal::join_direct).
    template <class ParentPromise, bool Direct = GORO_INTERNAL_DIRECT_TRANSFER>
    std::conditional_t<Direct, std::coroutine_handle<>, bool> await_suspend(
        std::coroutine_handle<ParentPromise> parent) {
      if (!internal::runs_as_g(parent)) {
        internal::throw_not_in_g("co_await on a join_handle");
      }
      internal::g* target = self_->g_;
      if (static_cast<internal::g*>(parent.promise().g_)->sched !=
          target->sched) {
        internal::throw_join_across_runtimes();
      }
      self_->awaited_ = true;
      // ACQUIRE: pairs with the finisher's RELEASE (scheduler::finish); the
      // result is readable.
      if (target->join_word.load(std::memory_order_acquire) ==
          internal::kJoinDone) {
        if constexpr (Direct) {
          return parent;
        } else {
          return false;
        }
      }
      jw_.target = target;
      // The commit links jw_.w into the target's join word once the
      // joiner's frame is suspended (scheduler::join_park).
      internal::park_on(parent, &internal::join_commit, &jw_,
                        internal::wait_reason::join);
      if constexpr (Direct) {
        return internal::join_direct(
            static_cast<internal::g*>(parent.promise().g_), &jw_);
      } else {
        return true;
      }
    }
    // For a driver that resumes the awaiting frame itself and cannot
    // promise a tail call (a fiber's wait: runtime/internal/blocking.h).
    template <class ParentPromise>
    bool await_suspend_without_transfer(
        std::coroutine_handle<ParentPromise> parent) {
      return await_suspend<ParentPromise, false>(parent);
    }
    T await_resume() {
      finish_join();
      return self_->frame_.promise().take_result();
    }

   protected:
    void finish_join() noexcept {
      // Woken by the finisher, whose grant wrote nothing into the record
      // (core/internal/waiter.h, "Joins"), or never parked.
      jw_.w.consume_alone();
      if (self_->frame_.promise().exception_) {
        self_->g_->exception_observed = true;
      }
    }

   protected:
    join_handle* self_;

   private:
    internal::join_wait jw_;  // default-initialized: the record is idle
  };

  class joined_awaiter : public awaiter {
   public:
    using awaiter::awaiter;
    bool await_ready() const {
      return this->self_->g_ == nullptr || awaiter::await_ready();
    }
    void await_resume() noexcept {
      if (this->self_->g_ != nullptr) awaiter::finish_join();
    }
  };

  void reset() noexcept {
    if (g_ != nullptr) {
      internal::drop_handle(g_);
      g_ = nullptr;
      frame_ = {};
    }
  }

  internal::g* g_ = nullptr;
  std::coroutine_handle<internal::task_promise<T>> frame_{};
  bool awaited_ = false;
};

}  // namespace goro

#endif  // GORO_RUNTIME_JOIN_HANDLE_H_
