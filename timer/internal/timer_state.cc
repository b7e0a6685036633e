// See timer_state.h.
#include "goro/timer/internal/timer_state.h"

#include <stdexcept>
#include <string>

#include "goro/runtime/internal/scheduler.h"
#include "goro/runtime/spawn.h"

namespace goro::internal {

steady_time to_steady_time(std::int64_t ns) noexcept {
  return steady_time(std::chrono::duration_cast<steady_time::duration>(
      std::chrono::nanoseconds(ns)));
}

scheduler* timer_scheduler(const char* what) {
  return current_scheduler_or_throw(what);
}

timer_state::timer_state(scheduler* s, std::int64_t period,
                         std::uint32_t handles)
    : sched_(s), refs_(handles), ch_(make_chan<steady_time>(1)) {
  t_.fn = &fire;
  t_.arg = this;
  t_.waitable = true;
  t_.period = period;
}

timer_state::timer_state(scheduler* s, absl::AnyInvocable<task<>()> fn)
    : sched_(s), refs_(1), fn_(std::move(fn)) {
  t_.fn = &fire;
  t_.arg = this;
  t_.waitable = true;
}

void timer_state::arm(std::int64_t when) {
  // The heap's reference, taken before the timer can fire and drop it: the
  // one a stop kept back, or a new one.
  if (heap_ref_) {
    heap_ref_ = false;
  } else {
    refs_.fetch_add(1, std::memory_order_relaxed);
  }
  try {
    sched_->add_timer(&t_, when);
  } catch (...) {
    heap_ref_ = true;  // not armed after all (the heap could not grow)
    throw;
  }
}

void timer_state::release_handle() noexcept {
  // No op_lock_: the handle is the only one and is going away, so no stop
  // or reset can run through it now; the ones before happened before this.
  // The handle's reference and, if a stop kept it, the heap's, in one step.
  const std::uint32_t n = heap_ref_ ? 2 : 1;
  // ACQ_REL: as unref().
  if (refs_.fetch_sub(n, std::memory_order_acq_rel) == n) delete this;
}

void timer_state::fire(timer* t, timer_event e, std::int64_t now) noexcept {
  auto* s = static_cast<timer_state*>(t->arg);
  if (e == timer_event::detached) {
    // The runtime is going away: no firing, just the heap's reference.
    s->unref();
    return;
  }
  if (s->fn_) {
    // A new G, as Go's AfterFunc. Allocation failure here ends the
    // process (noexcept), as running out of memory in `go` would.
    (void)spawn_root(s->sched_, s->fn_(), /*joinable=*/false);
  } else {
    // Never blocks: with a value already waiting, this tick is dropped.
    if (s->ch_.try_send(to_steady_time(now))) {
      s->sent_.store(true, std::memory_order_relaxed);
    }
  }
  // Read before end_firing: after it, a stop() may re-arm the timer and
  // change its period.
  const bool one_shot = t->period == 0;
  t->end_firing();
  // A one-shot firing took the timer off the heap: drop the heap's
  // reference (refs_ is still > 0: the heap's own reference is ours).
  if (one_shot) s->unref();
}

bool timer_state::stop_locked() {
  bool active = timer_heap::stop(&t_);
  // The heap's reference: kept for the next arm (a reset), which saves two
  // atomic read-modify-writes; release_handle drops it.
  if (active) heap_ref_ = true;
  // A firing already under way finishes its send first (timer_state.h).
  t_.wait_not_running();
  // Drain a value sent but not received, if a firing has sent one since
  // the last drain (`sent` is written before the firing's end_firing,
  // which wait_not_running's ACQUIRE has seen).
  if (sent_.load(std::memory_order_relaxed)) {
    sent_.store(false, std::memory_order_relaxed);
    if (ch_.try_recv()) active = true;  // fired, never received
  }
  return active;
}

bool timer_state::stop() {
  spin_lock_guard guard(op_lock_);
  return stop_locked();
}

bool timer_state::reset(std::int64_t when, std::int64_t period) {
  spin_lock_guard guard(op_lock_);
  const bool active = stop_locked();
  t_.period = period;
  arm(when);
  return active;
}

void timer_state::unref() noexcept {
  // ACQ_REL: the last one sees every other holder's writes before freeing.
  if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
}

}  // namespace goro::internal
