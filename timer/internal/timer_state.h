// timer_state: what a goro::timer, goro::ticker, goro::after or
// goro::after_func handle points to: a scheduler timer (runtime/internal/
// timer_heap.h) plus what its firing does.
//
// Firing. A channel timer (timer, ticker, after) sends the firing time on
// its channel without waiting (capacity 1: a value nobody has received yet
// makes the send a no-op, so a slow ticker reader loses ticks, as in Go). A
// function timer (after_func) spawns a new G running the function.
//
// Lifetime. The state is reference counted: one reference per handle (a
// timer or ticker object; after() has none) and one held by the heap while
// the timer is armed. The firing of a one-shot timer drops the heap's
// reference as its last step, after counting itself out (end_firing), so
// the state outlives every firing and is freed by whichever of the handle
// and the heap lets go last. Nothing else points to it. A stop that takes
// the timer off its heap keeps the heap's reference (heap_ref_) for the
// next reset instead of dropping it; the handle drops it when it goes.
//
// Stop and reset (Go 1.23's guarantees). `op_lock` serializes stop and
// reset of one timer, so concurrent calls from several Gs cannot arm it
// twice. stop takes the timer off its heap (timer_heap::stop); then waits
// until no firing is in progress (wait_not_running), so that a firing that
// had already begun has finished its send; then drains the channel. So no
// value sent before stop() returned can be received after it, and a value
// that was sent but not yet received counts as not fired: stop() returns
// true for it (Go 1.23: "Stop returns true if the program has not yet
// received and the timer is running").
#ifndef GORO_TIMER_INTERNAL_TIMER_STATE_H_
#define GORO_TIMER_INTERNAL_TIMER_STATE_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <type_traits>
#include <utility>

#include "absl/functional/any_invocable.h"
#include "goro/chan/chan.h"
#include "goro/core/internal/spin_lock.h"
#include "goro/runtime/internal/scheduler_ref.h"
#include "goro/runtime/internal/timer_heap.h"
#include "goro/task/task.h"

namespace goro::internal {

using steady_time = std::chrono::steady_clock::time_point;

// A std::chrono duration in nanoseconds, saturating instead of overflowing
// (hours::max() is "never", not a negative number).
template <class Rep, class Period>
std::int64_t duration_ns(std::chrono::duration<Rep, Period> d) noexcept {
  using ns = std::chrono::duration<long double, std::nano>;
  const long double v = std::chrono::duration_cast<ns>(d).count();
  if (v >= static_cast<long double>(kNever)) return kNever;
  if (v <= -static_cast<long double>(kNever)) return -kNever;
  return static_cast<std::int64_t>(v);
}

// A steady_clock time point as nanotime(), saturating likewise.
template <class Duration>
std::int64_t time_point_ns(
    std::chrono::time_point<std::chrono::steady_clock, Duration> t) noexcept {
  return duration_ns(t.time_since_epoch());
}

steady_time to_steady_time(std::int64_t ns) noexcept;

class timer_state {
 public:
  // A channel timer (capacity-1 channel), with `handles` references.
  timer_state(scheduler* s, std::int64_t period, std::uint32_t handles);
  // A function timer: each firing spawns a G running fn().
  timer_state(scheduler* s, absl::AnyInvocable<task<>()> fn);

  // Arms the (disarmed) timer at `when`. The caller holds op_lock or is
  // the only user (a new timer).
  void arm(std::int64_t when);

  // Disarms it as described above. True if it was armed, or had fired
  // into its channel without the value being received (now drained).
  bool stop();
  // stop(), then arm at `when`, with `period` (tickers); returns stop's
  // result.
  bool reset(std::int64_t when, std::int64_t period);

  // A handle lets go.
  void release_handle() noexcept;

  const chan<steady_time>& channel() const noexcept { return ch_; }
  scheduler* sched() const noexcept { return sched_; }

 private:
  ~timer_state() = default;
  static void fire(timer* t, timer_event e, std::int64_t now) noexcept;
  bool stop_locked();
  void unref() noexcept;

  timer t_;
  scheduler* const sched_;
  std::atomic<std::uint32_t> refs_;
  spin_lock op_lock_;
  // The heap's reference, kept by a stop that disarmed the timer for the
  // next arm to reuse (guarded by op_lock_).
  bool heap_ref_ = false;
  chan<steady_time> ch_;  // nil for a function timer
  // A firing sent a value since the last drain. Written by firings (one at
  // a time) and by stop_locked after wait_not_running.
  std::atomic<bool> sent_{false};
  absl::AnyInvocable<task<>()> fn_;  // empty for a channel timer
};

// The scheduler a new timer belongs to: the calling G's runtime. Throws
// std::logic_error naming `what` from a thread outside every runtime.
scheduler* timer_scheduler(const char* what);

// after_func's G: runs *f, awaiting it if it returns a task. Each G holds
// the function by shared_ptr: a reset timer can fire again while an earlier
// G still runs, and the state can be freed before either finishes.
template <class F>
task<> run_after_func(std::shared_ptr<F> f) {
  if constexpr (is_task_v<std::invoke_result_t<F&>>) {
    co_await std::invoke(*f);
  } else {
    std::invoke(*f);
  }
}

template <class F>
absl::AnyInvocable<task<>()> after_func_body(F&& f) {
  return [fp = std::make_shared<std::decay_t<F>>(std::forward<F>(f))] {
    return run_after_func(fp);
  };
}

}  // namespace goro::internal

#endif  // GORO_TIMER_INTERNAL_TIMER_STATE_H_
