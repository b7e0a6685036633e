// The scheduler loop: what an M does, from its thread's start to its exit.
//
//   m_main: for (;;) { gp = find_runnable(); stop spinning; execute(gp); }
//
// find_runnable, in order (an M holding P):
//  0. run this P's expired timers (their Gs land in runnext; timers.cc);
//  1. every 61st fresh time slice, the global queue's head; half-way
//     between, the fork deque's oldest if it starves, else the ring's head
//     (fairness);
//  2. runnext, then the fork deque and the local ring (queues.cc);
//  3. a batch from the global queue;
//  4. spinning, if the spin rule allows (idle.h): steal from other Ps, with
//     the global queue and every P's expired timers, for up to kSpinFor
//     (spin_for_work);
//  5. give the P up (idle list), re-check every queue (the handshakes in
//     idle.h), and sleep: on the poller until the earliest timer if timers
//     are pending and no other M polls (timers.cc), else on the M's parker.
//
// execute is the trampoline: it resumes a G, reads why it suspended
// (core/internal/trampoline.h) and runs its park commit (core/internal/
// park.h), then runs the next G (a join's hand-off, runnext or the fork
// deque's newest G in the same time slice, or the ring's head in a fresh
// one) without going back through find_runnable, except where that would
// skip one of its steps: take_local_for_handoff says which. Where frames
// hop directly, the two switches of a fork-join (a join that parks, a G
// that ends) do that same work from the G's frame and transfer to the next
// G's (join_direct, end_root, at the end of this file); execute then
// learns which G suspended from the M's current G.
//
// Invariant: m->curg is the G whose frame runs on this M, from the moment
// a switch picks it until the G's frame suspends to execute (or a direct
// switch picks the next); null when a direct switch found nothing local.
#include <sys/prctl.h>

#include <coroutine>

#include "absl/base/attributes.h"
#include "goro/core/internal/fatal.h"
#include "goro/runtime/internal/scheduler.h"
#include "goro/task/internal/promise.h"

namespace goro::internal {

void scheduler::m_main(machine* m) {
  set_current_machine(m);
  m->park_clock = coarse_nanotime();
  // 1 ns of timer slack instead of the default 50 us: the poller's epoll
  // timeout is a timer's due time (poller.h, "Precision").
  prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
  // startm handed this M its first P (it always does when it starts one).
  (void)idle_.take_handed_p(m);
  for (;;) {
    bool inherit = false;
    g* gp = find_runnable(m, &inherit);
    if (gp == nullptr) break;  // stopping
    // A spinner that found work stops spinning; there may be more work, so
    // it makes sure some M is looking for it (idle.h, "Spinning Ms").
    if (idle_.stop_spinning(m)) idle_.wakep();
    execute(m, gp, inherit);
  }
  idle_.stop_spinning(m);  // exiting: nothing left to wake
  set_current_machine(nullptr);
}

g* scheduler::find_runnable(machine* m, bool* inherit) {
  for (;;) {
    if (idle_.stopping() || m->p == nullptr) return nullptr;
    processor* pp = m->p;
    *inherit = false;

    // 0. This P's expired timers (one relaxed load when there are none).
    const std::int64_t due = pp->timers.earliest_hint();
    if (due != kNever) {
      const std::int64_t now = nanotime();
      if (due <= now) pp->timers.run_expired(now);
    }

    // 1. Fairness: now and then the Gs that have waited longest go first.
    //    Every kGlobalCheckInterval-th slice, the global queue's head (Go's
    //    rule). Half-way between, the oldest G of the fork deque if it
    //    starves (oldest_fork_if_starved), else the ring's head.
    const std::uint32_t tick = pp->schedtick % kGlobalCheckInterval;
    if (tick == 0 && !global_.empty()) {
      if (g* gp = global_get(pp, 1)) return gp;
    }
    if (tick == kGlobalCheckInterval / 2) {
      // The starving deque G first: a ring that is never empty at these
      // turns must not hide it.
      if (g* gp = oldest_fork_if_starved(pp)) return gp;
      if (g* gp = pp->runq.pop()) return gp;
    }
    // 2. Local.
    if (g* gp = runq_get(pp, inherit)) return gp;
    // 3. Global.
    if (!global_.empty()) {
      if (g* gp = global_get(pp, 0)) return gp;
    }
    // 4. Steal, if the spinning budget allows.
    if (idle_.try_spin(m)) {
      if (g* gp = spin_for_work(pp)) return gp;
    }

    // 5. Nothing to do: the giving-up recipes of handshakes (a) and (b)
    //    (idle.h). Step 1: give the P up, onto the idle lists.
    if (!idle_.release_p(m)) return nullptr;  // stopping
    // Step 2 (a former spinner): nmspinning-1, seq_cst. Then, for every M
    // giving up (spinning or not, since the spinners a non-spinning M
    // counted on may have found work and stopped meanwhile), the heavy
    // side of the asymmetric fence that fork deque pushes leave out
    // (asymmetric_fence.h). With one P there is no producer to fence
    // against.
    idle_.stop_spinning(m);
    if (procs_ > 1) asymmetric_fence::heavy();
    // Step 3, for everyone ((a) and (b)): any_work() reads the global size
    // and every P's runnext, ring and fork deque. Step 4: work seen, take an
    // idle P back and spin.
    if (any_work()) idle_.try_take_p(m);
    // Sleep until startm() hands us a P (or the runtime stops), or, as the
    // poller, until the earliest timer.
    while (m->p == nullptr) {
      if (idle_.stopping()) return nullptr;
      if (poll(m)) {  // back with a P, or on the idle list again
        m->park_clock = coarse_nanotime();
        continue;
      }
      m->park.park();
      m->park_clock = coarse_nanotime();
      if (!idle_.take_handed_p(m)) return nullptr;  // woken for shutdown
    }
  }
}

// The fork deque's oldest G if it starves, else null.
//
// The deque serves the newest G first: that is what keeps a fork-join tree
// depth-first, and while the P keeps taking Gs from the deque, its oldest
// Gs wait for the newer ones by design (they are the larger subtrees of the
// same tree, and a thief may take them). But a G that keeps spawning and
// joining runs its children by hand-off and never takes from the deque
// (except itself, put back there at each slice's end), so the Gs under
// them would wait for as long as it loops. So: when the P has taken
// nothing else from its deque, and the deque's oldest G has stayed the
// same, across two fairness turns at least kForkStarve apart, that G runs.
// Taking the oldest any sooner, or while the deque is being served, would
// start a new depth-first walk at each turn, and the live set would grow
// with the tree instead of its depth (benchmarks/README.md measures it).
g* scheduler::oldest_fork_if_starved(processor* pp) {
  if (pp->forks.empty()) return nullptr;
  const std::int64_t oldest = pp->forks.oldest_index();
  const std::int64_t now = nanotime();
  // Pops of the hand-offs that slice ends put back do not count.
  const std::uint64_t pops = pp->fork_pops - pp->fork_requeues;
  if (oldest != pp->fork_oldest || pops != pp->fork_pops_seen) {
    pp->fork_oldest = oldest;
    pp->fork_pops_seen = pops;
    pp->fork_oldest_since = now;
    return nullptr;
  }
  if (now - pp->fork_oldest_since < kForkStarve.count()) return nullptr;
  pp->fork_oldest = -1;
  return pp->forks.steal();
}

// Runs gp, and whatever this M may run after it in the same time slice,
// until the M must look for work again (find_runnable).
void scheduler::execute(machine* m, g* gp, bool inherit) {
  processor* pp = m->p;
  if (!inherit) {
    ++pp->schedtick;
    pp->inherited = 0;
  }
  pp->counters.run.add();
  m->curg = gp;
  std::coroutine_handle<> h = gp->resume;
  // A G in a wait of several steps (park.h) is scheduled to run its park
  // commit again, not its frame: the commit decides whether the wait is
  // over.
  bool recommit = gp->repark;
  for (;;) {
    if (!recommit) {
      gp->kind = suspend_kind::none;
      h.resume();
      // Where frames hop directly, the frames resumed here may have
      // switched Gs without this loop (a join that runs its target, a G's
      // end that runs the next one: join_direct, end_root): the G that
      // suspended is the M's current G, or none if a G's end left this M
      // nothing to run in the slice.
      gp = m->curg;
      if (gp == nullptr) return;
      // The G is suspended and, whatever it wants, not yet published:
      // reading its notes is safe (see "The publication rule" in g.h).
      if (gp->tail) {
        h = gp->tail;
        gp->tail = {};
        continue;
      }
    }
    g* next = after_suspend(m, pp, gp);
    if (next == gp) {  // the wait is over: resume the frame
      h = gp->resume;
      recommit = false;
      continue;
    }
    if (next == nullptr || !run_next_in_slice(m, pp, next)) return;
    gp = next;
    h = gp->resume;
    recommit = gp->repark;
  }
}

// The one place the M interprets why a G's frame suspended (trampoline.h)
// and what its park commit answered (park.h, step 3). Returns gp to resume
// it, another G to run next in this slice, or null to look for work.
g* scheduler::after_suspend(machine* m, processor* pp, g* gp) {
  m->curg = nullptr;
  g* next = nullptr;
  switch (gp->kind) {
    case suspend_kind::park:
      note_park(m, gp);  // before the commit publishes gp
      // A join, the commit of every fork-join parent, is called directly
      // with the P at hand (no indirect call, no thread-local read).
      next = gp->park_fn == &join_commit
                 ? join_park(gp, static_cast<join_wait*>(gp->park_arg), pp)
                 : gp->park_fn(gp->park_arg, gp);
      if (next == gp) {  // the event already happened, or the wait is over
        gp->repark = false;
        m->curg = gp;
        return gp;
      }
      // null: gp belongs to its waker now. Another G: a hand-off (join).
      break;
    case suspend_kind::done:
      next = finish(gp, pp);  // the G that was waiting to join gp, if any
      break;
    case suspend_kind::none:
      fatal(
          "a G suspended on an awaiter that goro does not know (it neither "
          "awaited a goro::task nor a goro primitive); resuming a G from "
          "outside the runtime is not supported");
  }
  return next != nullptr ? next : take_local_for_handoff(pp);
}

// After the running G parked or finished: what find_runnable would pick
// next anyway, taken here without the trip through the scheduler loop
// (most of the cost of a channel ping-pong, of a fork-join child that
// nobody joins yet, of a G that ends):
//  - runnext, within the time slice if it allows (step 2's inherit);
//  - else, as step 2's runq_get would, the fork deque's newest G (the ring
//    gets its turn every kMaxForkRuns) or the ring's head, each in a fresh
//    time slice, counted as execute counts one;
//  - but nothing when the slice is used up, when that fresh slice would be
//    one of step 1's fairness turns (global queue, ring, starving deque G),
//    when a timer may be due (step 0), or when the runtime stops: those go
//    through find_runnable (null).
ABSL_ATTRIBUTE_ALWAYS_INLINE inline g* scheduler::take_local_for_handoff(
    processor* pp) {
  // A used-up slice goes through find_runnable, whose step 2 sends runnext
  // to the back of the ring.
  if (pp->inherited >= kMaxInheritedRuns || idle_.stopping_relaxed()) {
    return nullptr;
  }
  if (pp->runnext.load(std::memory_order_relaxed) != nullptr) {
    if (g* gp = runnext_exchange(pp, nullptr)) return gp;  // else stolen
  }
  // The tick find_runnable's step 1 would test now (execute counts the
  // slice after it).
  const std::uint32_t tick = pp->schedtick % kGlobalCheckInterval;
  if (tick == 0 || tick == kGlobalCheckInterval / 2 ||
      pp->timers.earliest_hint() != kNever) {
    return nullptr;
  }
  g* gp = fork_or_ring(pp);
  if (gp == nullptr) return nullptr;
  // A fresh slice (execute's !inherit case; run_next_in_slice counts this
  // run as its first).
  ++pp->schedtick;
  pp->inherited = 0;
  return gp;
}

// Where frames hop directly, a G's frame does the M's loop's work for it
// at the two switches of every fork-join: the joiner's park (join_direct,
// from the join's await_suspend) and the G's end (end_root, from the root
// frame's final_suspend). Each runs what after_suspend would, then picks
// the next G as execute would (continue_directly), and returns the frame
// the caller transfers to, so that a fork-join tree runs without a trip
// through execute per switch. noop_coroutine sends the M back to execute,
// which finds the M's current G (the G to run a park commit for again) or
// none (look for work): see execute's loop.

// execute's step after after_suspend answered `next` (null: none).
ABSL_ATTRIBUTE_ALWAYS_INLINE inline std::coroutine_handle<>
scheduler::continue_directly(machine* m, processor* pp, g* next) noexcept {
  if (next == nullptr) next = take_local_for_handoff(pp);
  if (next == nullptr || !run_next_in_slice(m, pp, next)) {
    return std::noop_coroutine();  // m->curg is null: execute returns
  }
  return frame_to_resume(next);
}

// The joiner's park notes are written (park_on); after_suspend's park case
// for a join.
std::coroutine_handle<> scheduler::join_direct(g* me, join_wait* jw) noexcept {
  machine* m = current_machine();
  processor* pp = m->p;
  m->curg = nullptr;
  note_park(m, me);
  g* next = jw->target;
  if (take_join_target(pp, next)) {
    link_join_here(me, jw);  // next: the target, run here
  } else {
    next = join_link(me, jw);  // null: me is parked
    if (next == me) {          // the target finished meanwhile
      m->curg = me;
      me->kind = suspend_kind::none;
      return me->resume;
    }
  }
  return continue_directly(m, pp, next);
}

// The root frame is at its final suspend point; after_suspend's done case.
std::coroutine_handle<> scheduler::end_root(g* gp) noexcept {
  machine* m = current_machine();
  processor* pp = m->p;
  m->curg = nullptr;
  return continue_directly(m, pp, finish(gp, pp));  // the joiner, if any
}

}  // namespace goro::internal
