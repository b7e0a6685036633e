// goro::timer, goro::ticker, goro::after and the sleep awaiter: the thin
// public layer over timer_state (timer_state.h) and the scheduler's timers
// (runtime/internal/timer_heap.h).
#include "goro/timer/timer.h"

#include <stdexcept>

#include "goro/core/internal/wake_token.h"
#include "goro/runtime/internal/scheduler.h"
#include "goro/timer/internal/timer_state.h"
#include "goro/timer/sleep.h"
#include "goro/timer/ticker.h"

namespace goro {

namespace internal {

g* sleep_awaiter::commit(void* arg, g* gp) noexcept {
  auto* self = static_cast<sleep_awaiter*>(arg);
  self->t_.fn = &fire;
  self->t_.arg = gp;
  self->armed_ = true;
  scheduler_of(gp)->add_timer(&self->t_, self->when_);
  return nullptr;  // parked: the firing readies gp
}

void sleep_awaiter::fire(timer* t, timer_event e, std::int64_t) noexcept {
  // detached: the runtime is being destroyed; the G's frame goes with it.
  if (e == timer_event::fired) {
    // The last access: gp may run (and end) now.
    wake(wake_token{static_cast<g*>(t->arg), nullptr});
  }
}

chan<time_point> after_ns(std::int64_t d) {
  scheduler* s = timer_scheduler("goro::after");
  auto* st = new timer_state(s, /*period=*/0, /*handles=*/0);
  chan<time_point> ch = st->channel();
  st->arm(deadline_after(nanotime(), d));
  return ch;
}

}  // namespace internal

// ----------------------------------------------------------------- timer

timer::timer(std::int64_t d, absl::AnyInvocable<task<>()> fn) {
  const char* what = fn ? "goro::after_func" : "goro::timer";
  internal::scheduler* s = internal::timer_scheduler(what);
  s_ = fn ? new internal::timer_state(s, std::move(fn))
          : new internal::timer_state(s, /*period=*/0, /*handles=*/1);
  s_->arm(internal::deadline_after(internal::nanotime(), d));
}

internal::timer_state* timer::state(const char* what) const {
  if (s_ == nullptr) {
    throw std::logic_error(std::string("goro::timer::") + what +
                           ": use of a moved-from timer");
  }
  return s_;
}

bool timer::stop() { return state("stop()")->stop(); }

bool timer::reset_ns(std::int64_t d) {
  internal::timer_state* s = state("reset()");
  return s->reset(internal::deadline_after(internal::nanotime(), d), 0);
}

const chan<time_point>& timer::c() const { return state("c()")->channel(); }

// ---------------------------------------------------------------- ticker

ticker::ticker(std::int64_t period, int) {
  if (period <= 0) {
    throw std::invalid_argument("non-positive interval for NewTicker");
  }
  internal::scheduler* s = internal::timer_scheduler("goro::ticker");
  s_ = new internal::timer_state(s, period, /*handles=*/1);
  s_->arm(internal::deadline_after(internal::nanotime(), period));
}

ticker& ticker::operator=(ticker&& other) noexcept {
  if (this != &other) {
    if (s_ != nullptr) {
      s_->stop();
      s_->release_handle();
    }
    s_ = std::exchange(other.s_, nullptr);
  }
  return *this;
}

ticker::~ticker() {
  if (s_ != nullptr) {
    s_->stop();
    s_->release_handle();
  }
}

internal::timer_state* ticker::state(const char* what) const {
  if (s_ == nullptr) {
    throw std::logic_error(std::string("goro::ticker::") + what +
                           ": use of a moved-from ticker");
  }
  return s_;
}

void ticker::stop() { state("stop()")->stop(); }

void ticker::reset_ns(std::int64_t period) {
  internal::timer_state* s = state("reset()");
  if (period <= 0) {
    throw std::invalid_argument("non-positive interval for Ticker.Reset");
  }
  s->reset(internal::deadline_after(internal::nanotime(), period), period);
}

const chan<time_point>& ticker::c() const { return state("c()")->channel(); }

}  // namespace goro
