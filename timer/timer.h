// goro::timer, goro::after and goro::after_func: one event at a later time
// (Go's time.NewTimer, time.After and time.AfterFunc).
//
//   goro::timer t(50ms);
//   auto r = co_await goro::select(jobs.recv_case(), t.c().recv_case());
//
//   auto r = co_await goro::select(ch.recv_case(),
//                                  goro::after(50ms).recv_case());
//
//   goro::after_func(1s, [] { log_slow_request(); });
//
// Contract:
//  - Durations are any std::chrono::duration and times are
//    std::chrono::steady_clock time points; a duration <= 0 means "now".
//    Huge durations saturate (they mean "never", they do not wrap).
//  - goro::timer t(d): fires once, d from now, by sending the firing time on
//    t.c(), a channel of capacity 1 that the timer never closes. Never
//    early; late by about the time the runtime takes to notice (an idle
//    runtime sleeps until the due time; a busy P looks at each switch).
//  - t.stop(): prevents the firing. Returns true if the call stopped the
//    timer, false if it had already fired (and its value was received) or
//    was stopped. After stop() returns, no value from before the call can
//    be received from t.c(): a value the timer had sent but nobody had
//    received is discarded, and stop() then returns true (Go 1.23's
//    timers; Go <= 1.22 left the stale value in the channel).
//  - t.reset(d): stops the timer as stop() does and arms it again, d from
//    now. Returns what stop() would have returned (Go's "had been active").
//  - stop and reset may be called from any G or thread, also concurrently.
//  - Destroying a goro::timer does not stop it: the timer still fires (and
//    its memory is released when it has fired, or is stopped and
//    destroyed). Stop it to cancel. A goro::timer is move-only; using a
//    moved-from one throws std::logic_error.
//  - goro::after(d): the channel of a timer nobody can stop (as Go's After);
//    it receives once. Its memory is released once it has fired.
//  - goro::after_func(d, f): d from now, runs f as a new G (f a plain
//    callable, or one returning a goro::task, which is awaited). The
//    returned timer's stop() and reset() work as above (stop() returns
//    false once f has been started, and does not wait for f); its c() is
//    the nil channel. f is invoked again for every firing after a reset.
//    An exception escaping f ends the process, as a panic in a goroutine.
//  - Timers belong to the runtime of the G that creates them: creating one
//    outside every runtime throws std::logic_error. Destroying the runtime
//    disarms its timers (they never fire); afterwards stop() returns false
//    and reset() must not be called, and neither may run while the runtime
//    is being destroyed (runtime.h, Destruction).
#ifndef GORO_TIMER_TIMER_H_
#define GORO_TIMER_TIMER_H_

#include <chrono>
#include <cstdint>
#include <utility>

#include "goro/chan/chan.h"
#include "goro/timer/internal/timer_state.h"

namespace goro {

// The time type of every timer channel.
using time_point = std::chrono::steady_clock::time_point;

class timer;
template <class Rep, class Period, class F>
timer after_func(std::chrono::duration<Rep, Period> d, F&& f);

class timer {
 public:
  template <class Rep, class Period>
  explicit timer(std::chrono::duration<Rep, Period> d)
      : timer(internal::duration_ns(d), nullptr) {}

  timer(timer&& other) noexcept : s_(std::exchange(other.s_, nullptr)) {}
  timer& operator=(timer&& other) noexcept {
    if (this != &other) {
      if (s_ != nullptr) s_->release_handle();
      s_ = std::exchange(other.s_, nullptr);
    }
    return *this;
  }
  ~timer() {
    if (s_ != nullptr) s_->release_handle();
  }

  // See the contract above.
  bool stop();
  template <class Rep, class Period>
  bool reset(std::chrono::duration<Rep, Period> d) {
    return reset_ns(internal::duration_ns(d));
  }
  // The channel the firing time is sent on (nil for an after_func timer).
  const chan<time_point>& c() const;

 private:
  template <class Rep, class Period, class F>
  friend timer after_func(std::chrono::duration<Rep, Period> d, F&& f);

  timer(std::int64_t d, absl::AnyInvocable<task<>()> fn);
  bool reset_ns(std::int64_t d);
  internal::timer_state* state(const char* what) const;

  internal::timer_state* s_;
};

namespace internal {
chan<time_point> after_ns(std::int64_t d);
}  // namespace internal

// See the contract above.
template <class Rep, class Period>
chan<time_point> after(std::chrono::duration<Rep, Period> d) {
  return internal::after_ns(internal::duration_ns(d));
}

template <class Rep, class Period, class F>
timer after_func(std::chrono::duration<Rep, Period> d, F&& f) {
  return timer(internal::duration_ns(d),
               internal::after_func_body(std::forward<F>(f)));
}

}  // namespace goro

#endif  // GORO_TIMER_TIMER_H_
