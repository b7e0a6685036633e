// Timers seen from the scheduler, and the poller.
//
// Each P has a timer heap (timer_heap.h). An M runs its own P's expired
// timers at every find_runnable, and a spinning M everyone's. When an M
// has nothing to run, and timers are pending, one M, the poller, sleeps in
// poller_ (epoll, poller.h) until the earliest of them: it leaves the idle
// M list (startm must not pick it; it wakes only through poller_) and
// publishes its deadline in poll_until_. When it wakes it takes an idle P
// if there is one and runs every expired timer, or runs them without a P
// (their Gs then go to the global queue), and goes back to the idle loop.
// At most one M polls; the others sleep on their parkers with no deadline.
//
// Why no timer is missed: handshake (c), Dekker-style like (a) and (b) in
// idle.h.
//  Adding a timer (add_timer -> timer_added):
//   1. The heap publishes its new earliest: seq_cst store, when the timer
//      becomes the earliest (timer_heap.h). Pairs with the sleeper's
//      steps 2 and 4.
//   2. Load poll_until_ (seq_cst). Pairs with the sleeper's step 3.
//   3. A poller whose deadline is later: wake it (poller_.wake()). No
//      poller: wakep(), which starts an M if a P is idle and nobody spins.
//  An M about to sleep (find_runnable, step 5, then poll):
//   1. release_p: npidle+1 (seq_cst); stop_spinning (seq_cst).
//   2. earliest_timer: load every heap's earliest (seq_cst). None: park.
//   3. Become the poller: CAS poll_until_ 0 -> deadline (seq_cst).
//   4. earliest_timer again, then sleep until the earlier of the two; after
//      each wake-up, publish the new deadline (seq_cst) before looking
//      again.
//   5. Done polling: store poll_until_ = 0 (seq_cst) before running the
//      timers; adders then take step 3's wakep() branch.
//  So either the adder sees a poller and wakes it, or sees nobody and
//  starts one, or the M about to sleep sees the timer.
#include <algorithm>
#include <cstdint>

#include "goro/core/internal/clock.h"
#include "goro/runtime/internal/scheduler.h"

namespace goro::internal {

void scheduler::add_timer(timer* t, std::int64_t when) {
  machine* m = current_machine();
  processor* pp = (m != nullptr && m->sched == this && m->p != nullptr)
                      ? m->p
                      : ps_[0].get();
  if (pp->timers.add(t, when)) timer_added(when);
}

void scheduler::timer_added(std::int64_t when) {
  // seq_cst: the adder's step 2 of handshake (c); step 1 was the heap's
  // publish of its earliest.
  const std::int64_t pu = poll_until_.load(std::memory_order_seq_cst);
  if (pu != 0) {
    if (when < pu) poller_.wake();
    return;
  }
  idle_.wakep();
}

std::int64_t scheduler::earliest_timer() const noexcept {
  std::int64_t e = kNever;
  for (const auto& p : ps_) {
    // seq_cst: the sleeper's step 2 / 4 of handshake (c); pairs with the
    // heap's publish (adder's step 1).
    const std::int64_t w = p->timers.earliest();
    if (w < e) e = w;
  }
  return e;
}

bool scheduler::run_all_timers() noexcept {
  std::int64_t now = 0;
  bool ran = false;
  for (const auto& p : ps_) {
    const std::int64_t due = p->timers.earliest_hint();
    if (due == kNever) continue;
    if (now == 0) now = nanotime();
    if (due <= now) ran |= p->timers.run_expired(now) != 0;
  }
  return ran;
}

g* scheduler::run_timers_for(processor* pp) {
  if (!run_all_timers()) return nullptr;
  bool inherit;
  return runq_get(pp, &inherit);  // what the timers readied, if anything
}

// The idle loop's sleep as the poller (see above). m holds no P and is on
// the idle M list. Returns false if m should rather park on its parker (no
// timers, another M polls, or startm has just chosen m); true after a poll,
// with m holding a P, or back on the idle list.
bool scheduler::poll(machine* m) {
  // After giving the P up (npidle+1) and spinning down: step 2.
  const std::int64_t next = earliest_timer();
  if (next == kNever) return false;
  const bool polling = idle_.leave_list_to_poll(m, [&] {
    std::int64_t other = 0;
    // seq_cst: step 3, publishes our deadline before the re-check below;
    // pairs with the adder's load of poll_until_ (step 2).
    if (!poll_until_.compare_exchange_strong(other, next,
                                             std::memory_order_seq_cst)) {
      if (next < other) poller_.wake();  // it will look again
      return false;
    }
    return true;
  });
  if (!polling) return false;
  std::int64_t deadline = next;
  for (;;) {
    // Step 4. Timers armed since the last look: their adders compared with
    // an older poll_until_ (or saw none), so look again now that it is
    // published.
    deadline = std::min(deadline, earliest_timer());
    poller_.wait_until(deadline);
    if (idle_.stopping()) break;
    // Woken early for a timer that is not due yet (an earlier one was
    // armed, or the deadline's timer was stopped): keep polling, for the
    // new earliest, without taking a P.
    const std::int64_t now = nanotime();
    deadline = earliest_timer();
    if (deadline <= now || deadline == kNever) break;
    // seq_cst: the new deadline, published before the look at the top.
    poll_until_.store(deadline, std::memory_order_seq_cst);
  }
  // Step 5. seq_cst: from here adders see no poller and wakep() instead;
  // the loads in run_all_timers and the next poll() come after.
  poll_until_.store(0, std::memory_order_seq_cst);
  // Every timer was stopped meanwhile: nothing to run, back to the idle
  // list (the caller's next poll() then finds no timer and parks).
  const bool none = deadline == kNever;
  idle_.return_from_poll(m, /*want_p=*/!none);
  // With a P, the readied Gs go to its runnext (find_runnable finds them);
  // without one, to the global queue. Not once the runtime is stopping:
  // its timers are detached at teardown instead.
  if (!idle_.stopping()) run_all_timers();
  return true;
}

}  // namespace goro::internal
