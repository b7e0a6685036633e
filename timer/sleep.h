// goro::sleep_for and goro::sleep_until: suspend the G, not the thread
// (Go's time.Sleep).
//
//   co_await goro::sleep_for(10ms);
//   co_await goro::sleep_until(deadline);
//
// Contract:
//  - Never returns early: the G resumes at or after the due time, late by
//    about the time the runtime takes to notice (an idle runtime sleeps in
//    the kernel until the due time, with sub-millisecond precision; a busy
//    P looks at each switch between Gs).
//  - A duration <= 0 (or a time point not in the future) returns at once,
//    but is still a scheduling point: like co_await goro::yield(), other Gs
//    may run first. Huge durations saturate instead of wrapping.
//  - Only inside a goro::task run as a G; a task driven by a foreign
//    coroutine throws std::logic_error.
//  - While the G sleeps its M runs other Gs. A sleeping G costs its frame
//    and a 64-byte timer record inside it; no thread, no allocation.
//  - A G destroyed at runtime teardown while it sleeps takes its timer off
//    the runtime's heap.
#ifndef GORO_TIMER_SLEEP_H_
#define GORO_TIMER_SLEEP_H_

#include <chrono>
#include <coroutine>
#include <cstdint>
#include <type_traits>

#include "goro/runtime/internal/park.h"
#include "goro/runtime/internal/scheduler_ref.h"
#include "goro/runtime/internal/timer_heap.h"
#include "goro/task/task.h"
#include "goro/timer/internal/timer_state.h"

namespace goro {

namespace internal {

class sleep_awaiter {
 public:
  // due: the deadline has passed already (decided where the clock was read
  // anyway, so that suspending reads it no more).
  sleep_awaiter(std::int64_t when, bool due) noexcept
      : when_(when), due_(due) {}
  sleep_awaiter(const sleep_awaiter&) = delete;
  sleep_awaiter& operator=(const sleep_awaiter&) = delete;
  // Only at teardown is the timer still armed here.
  ~sleep_awaiter() {
    if (armed_) timer_heap::stop(&t_);
  }

  bool await_ready() const noexcept { return false; }
  template <class Promise>
  void await_suspend(std::coroutine_handle<Promise> h) {
    if (!runs_as_g(h)) throw_not_in_g("co_await goro::sleep_for()");
    if (due_) {  // due already: a scheduling point, like goro::yield()
      park_on(h, &yield_commit, nullptr, wait_reason::yield);
      return;
    }
    park_on(h, &commit, this, wait_reason::sleep);
  }
  void await_resume() noexcept { armed_ = false; }

 private:
  // Arms the timer once the G is suspended (so the firing cannot ready a
  // G that is still running), on the heap of the M's P.
  static g* commit(void* arg, g* gp) noexcept;
  static void fire(timer* t, timer_event e, std::int64_t now) noexcept;

  timer t_;
  std::int64_t when_;
  bool due_;
  // Written by commit (on the M, the G suspended), read by await_resume
  // after the firing readied the G, or by the destructor at teardown after
  // every M has been joined: each ordered after the write.
  bool armed_ = false;
};

}  // namespace internal

template <class Rep, class Period>
[[nodiscard]] internal::sleep_awaiter sleep_for(
    std::chrono::duration<Rep, Period> d) noexcept {
  const std::int64_t ns = internal::duration_ns(d);
  if (ns <= 0) return internal::sleep_awaiter(0, /*due=*/true);  // no clock
  return internal::sleep_awaiter(
      internal::deadline_after(internal::nanotime(), ns), /*due=*/false);
}

template <class Duration>
[[nodiscard]] internal::sleep_awaiter sleep_until(
    std::chrono::time_point<std::chrono::steady_clock, Duration> t) noexcept {
  const std::int64_t when = internal::time_point_ns(t);
  return internal::sleep_awaiter(when, when <= internal::nanotime());
}

}  // namespace goro

#endif  // GORO_TIMER_SLEEP_H_
