// scheduler: Gs, Ms and Ps, and how an idle M finds work or goes to sleep.
//
// Concepts (Go's names, Go's design: src/runtime/proc.go):
//  G  a goroutine: a chain of task frames (core/internal/g.h).
//  M  an OS thread (machine.h). It runs Gs only while it holds a P.
//  P  a processor (processor.h): the right to run Gs plus a local run queue.
//     There are `procs` of them (GOMAXPROCS).
//
// The scheduler owns the state; each mechanism is a file (Tokio's split:
// worker loop, run queues, idle accounting, driver):
//
//  execute.cc    the scheduler loop: m_main, find_runnable (where an M looks
//                for work, in order), execute and after_suspend (the
//                trampoline: resume a G, read why it suspended, run its park
//                commit), the hand-offs within a time slice.
//  queues.cc     where runnable Gs wait: runnext, the P's fork deque
//                (fork_deque.h) and ring (run_queue.h), the global queue
//                (global_queue.h); enqueue,
//                stealing, the spinner's search (spin_for_work), any_work.
//  idle.h/.cc    idle Ps and Ms, spinning, wakep/startm: each transition a
//                method. The wake-up handshakes (a) and (b) as recipes.
//  timers.cc     per-P timer heaps (timer_heap.h) seen from the scheduler,
//                and the poller (poller.h): the one idle M that sleeps until
//                the earliest timer. Handshake (c) as recipes.
//  join.cc       join and yield park commits, a join handle's drop, the
//                release of a finished G (finish, on every G's path, is
//                inline at the end of this header).
//  fork_deque.h  the per-P deque of fork-join children (co_spawn).
//  g_alloc.h/.cc g structs (per-P and shared free lists, blocks) and G ids.
//  teardown.cc   ~scheduler: stop every M, destroy every G left.
//  scheduler.cc  the entry points: spawn, ready, lock_may_spin, stats.
//
// Rejected alternatives: one M permanently bound per P (simpler, but a later
// blocking-syscall/stackful issue needs Ms that hand their P off), a single
// shared queue (contention on every spawn), a separate timer thread (a
// thread switch on every expiry; Go runs timers from the scheduler), and
// every idle M sleeping with a timeout (they would all wake for each
// timer).
#ifndef GORO_RUNTIME_INTERNAL_SCHEDULER_H_
#define GORO_RUNTIME_INTERNAL_SCHEDULER_H_

#include <atomic>
#include <chrono>
#include <coroutine>
#include <cstdint>
#include <memory>
#include <vector>

#include "goro/core/internal/g.h"
#include "goro/core/internal/waiter.h"
#include "goro/runtime/internal/asymmetric_fence.h"
#include "goro/runtime/internal/g_alloc.h"
#include "goro/runtime/internal/global_queue.h"
#include "goro/runtime/internal/idle.h"
#include "goro/runtime/internal/machine.h"
#include "goro/runtime/internal/poller.h"
#include "goro/runtime/internal/processor.h"
#include "goro/runtime/internal/scheduler_ref.h"
#include "goro/runtime/internal/timer_heap.h"
#include "goro/runtime/stats.h"

namespace goro::internal {

class scheduler;
// The scheduler a G belongs to.
inline scheduler* scheduler_of(const g* gp) noexcept;

class scheduler final : public g_owner {
 public:
  static constexpr std::uint32_t kMaxInheritedRuns = 64;
  static constexpr std::uint32_t kGlobalCheckInterval = 61;
  // How many Gs in a row a P takes from its fork deque while its ring
  // waits (queues.cc, runq_get).
  static constexpr std::uint32_t kMaxForkRuns = 64;
  // How long the oldest G of a fork deque may wait while this P runs only
  // hand-offs before a fairness turn runs it (execute.cc, find_runnable):
  // Go's time slice.
  static constexpr std::chrono::nanoseconds kForkStarve{10'000'000};
  // How long a spinning M keeps looking for work before it parks.
  static constexpr std::chrono::microseconds kSpinFor{50};

  explicit scheduler(int procs);
  // Stops every M, then destroys every G still alive (runnable, parked, or
  // finished but held by a join handle) without resuming it.
  ~scheduler();
  scheduler(const scheduler&) = delete;
  scheduler& operator=(const scheduler&) = delete;

  int procs() const noexcept { return procs_; }

  // Makes a new G whose root frame is `root` (ownership passes to the G) and
  // queues it. pp: the caller's P (an M of this runtime holding it), or
  // null. joinable: the caller keeps a join_handle, which it must drop
  // with drop_handle(), and the G is a fork-join child: with a P it goes
  // to the P's fork deque (fork_deque.h), else, like every other new G, to
  // runnext or the global queue (enqueue).
  g* spawn(processor* pp, std::coroutine_handle<> root,
           promise_base* root_promise, bool joinable);
  // The caller's P if the calling thread is an M of this runtime, else
  // null.
  processor* current_p() const noexcept;

  // Makes a parked G runnable (wake_token.h's wake() for every wait queue;
  // spawn goes through the same enqueue). Exactly one caller may ready a
  // given park.
  void ready(g* gp) override;

  // Whether a G waiting for a sync lock that its holder should release
  // soon may busy-wait a little longer on this M (the `iter`-th time)
  // rather than park: Go's sync_runtime_canSpin. Only a few times, only
  // when more than one P exists and others are running Gs (so the holder
  // can be running), and only when this P has no other G to run.
  static bool lock_may_spin(int iter) noexcept;

  // A join handle's drop (join.cc): releases gp's frame and struct if gp
  // has finished, else leaves that to its end.
  void drop_handle(g* gp) noexcept;

  // Arms t (on no heap) to fire at `when` (nanotime): on the heap of the
  // caller's P if the caller is an M of this runtime, else on P 0's; then
  // makes sure some M will wake up for it (timers.cc). Disarm with
  // timer_heap::stop.
  void add_timer(timer* t, std::int64_t when);

  // Park commit for `me` joining jw->target (runs on me's M, which holds
  // pp, me suspended).
  g* join_park(g* me, join_wait* jw, processor* pp);
  g* join_link(g* me, join_wait* jw);
  // The same from the joiner's await_suspend, where frames hop directly
  // (execute.cc; scheduler_ref.h has the contract).
  std::coroutine_handle<> join_direct(g* me, join_wait* jw) noexcept;
  // g_owner: a root frame's end where frames hop directly (execute.cc).
  std::coroutine_handle<> end_root(g* gp) noexcept override;
  // Park commit of a yield: me to the back of the global queue (Gosched).
  g* yield_park(g* me);

  runtime_stats stats() const;

 private:
  friend class idle;  // startm runs m_main on each new M

  // scheduler.cc: spawn from a thread that holds no P.
  g* spawn_without_p(std::coroutine_handle<> root, promise_base* root_promise,
                     bool joinable);

  // execute.cc: the scheduler loop.
  void m_main(machine* m);
  g* find_runnable(machine* m, bool* inherit);
  g* oldest_fork_if_starved(processor* pp);
  void execute(machine* m, g* gp, bool inherit);
  g* after_suspend(machine* m, processor* pp, g* gp);
  bool run_next_in_slice(machine* m, processor* pp, g* next);
  std::coroutine_handle<> continue_directly(machine* m, processor* pp,
                                            g* next) noexcept;
  static void note_park(machine* m, g* gp) noexcept;
  static std::coroutine_handle<> frame_to_resume(g* next) noexcept;
  bool take_join_target(processor* pp, g* t) noexcept;
  void link_join_here(g* me, join_wait* jw) noexcept;
  g* take_local_for_handoff(processor* pp);

  // queues.cc: run queues and stealing (runnext_exchange inline below).
  void enqueue(processor* pp, g* gp);
  bool fork_push(processor* pp, g* gp);
  void runqput(processor* pp, g* gp, bool next);
  void runqput_slow(processor* pp, g* gp);
  g* runnext_exchange(processor* pp, g* gp) noexcept;
  g* runq_get(processor* pp, bool* inherit);
  g* fork_or_ring(processor* pp);
  g* global_get(processor* pp, std::size_t max);
  g* keep_global_batch(processor* pp, g* const* batch, std::size_t n);
  g* steal_work(processor* pp);
  g* spin_for_work(processor* pp);
  bool any_work() const noexcept;

  // timers.cc: timers and the poller.
  void timer_added(std::int64_t when);
  std::int64_t earliest_timer() const noexcept;
  bool run_all_timers() noexcept;
  g* run_timers_for(processor* pp);
  bool poll(machine* m);

  // A G's end: finish (inline below), release (join.cc). pp: as for
  // spawn (where gp's struct goes back).
  g* finish(g* gp, processor* pp);
  void release(g* gp, processor* pp) noexcept;

  // teardown.cc.
  void detach_owners(g* gp) noexcept;
  bool destroy_frames(g* gp) noexcept;

  const int procs_;
  std::vector<std::unique_ptr<processor>> ps_;
  global_queue global_;

  // Idle Ps and Ms, spinning, stopping (idle.h).
  idle idle_;

  // The poller: the one M without a P that sleeps until the earliest timer
  // (or a wake-up). poll_until_ is its deadline, 0 while no M polls.
  poller poller_;
  alignas(64) std::atomic<std::int64_t> poll_until_{0};
  bool teardown_ = false;  // set once every M has exited

  // g structs and G ids (g_alloc.h).
  g_alloc galloc_;
};

inline scheduler* scheduler_of(const g* gp) noexcept {
  return static_cast<scheduler*>(gp->sched);
}

// runnext is shared with thieves, hence the seq_cst exchange (see runqput
// and runq_get for what it pairs with). With a single P there are no
// thieves and no spinning Ms: only the M holding the P touches its runnext
// (a P changes hands under the idle lock), and wakep() finds no idle P, so
// handshake (a) has no other side. Plain loads and stores then do, and
// save the two locked instructions a channel wake-up would otherwise cost
// (their share of a 1-P round trip: benchmarks/README.md). Inline: it is
// on the path of every spawn, wake and hand-off, in queues.cc and
// execute.cc alike.
inline g* scheduler::runnext_exchange(processor* pp, g* gp) noexcept {
  if (procs_ == 1) {
    g* old = pp->runnext.load(std::memory_order_relaxed);
    pp->runnext.store(gp, std::memory_order_relaxed);
    return old;
  }
  return pp->runnext.exchange(gp, std::memory_order_seq_cst);
}

// The one way a new or woken G becomes runnable. From an M holding `pp`:
// runnext + wakep (handshake (a)). From anywhere else: the global queue +
// wake_for_global (handshake (b)). Inline, with runqput: every spawn and
// wake-up goes through them (runqput_slow, in queues.cc, is the overflow).
inline void scheduler::enqueue(processor* pp, g* gp) {
  if (pp != nullptr) {
    runqput(pp, gp, /*next=*/true);
    idle_.wakep();
  } else {
    global_.push(gp);
    idle_.wake_for_global();
  }
}

// A fork-join child (a co_spawn from a G of this runtime): the newest G of
// the P's fork deque, then wakep: handshake (a), whose step 1 is the push
// and a light asymmetric fence (asymmetric_fence.h: a compiler barrier,
// paid for by the heavy fence of the M that gives its P up; a seq_cst
// fence where membarrier is unavailable). A full deque sends the G to the
// ring instead (which overflows to the global queue). With one P there is
// no other side (see runnext_exchange): no fence at all.
// Returns whether the G went to the deque.
inline bool scheduler::fork_push(processor* pp, g* gp) {
  const bool pushed = pp->forks.push(gp);
  if (!pushed) [[unlikely]] {
    runqput(pp, gp, /*next=*/false);
  }
  if (procs_ > 1) asymmetric_fence::light();
  idle_.wakep();
  return pushed;
}

inline void scheduler::runqput(processor* pp, g* gp, bool next) {
  if (next) {
    // seq_cst: step 1 of handshake (a) (idle.h); pairs with the seq_cst
    // loads of runnext in any_work(). Also publishes gp to a thief's
    // acquire CAS in steal_work().
    g* old = runnext_exchange(pp, gp);
    if (old == nullptr) return;
    gp = old;  // kick the old runnext to the tail
  }
  if (!pp->runq.push(gp)) runqput_slow(pp, gp);
}

// The local G that starts a fresh time slice (runq_get after runnext, and
// execute.cc's take_local_for_handoff): the fork deque's newest
// (depth-first), but the ring gets a turn every kMaxForkRuns Gs so that a
// fork-join storm cannot starve it. Owner only; null if both are empty.
inline g* scheduler::fork_or_ring(processor* pp) {
  if (pp->fork_runs < kMaxForkRuns) {
    if (g* gp = pp->forks.pop()) {
      ++pp->fork_runs;
      ++pp->fork_pops;
      return gp;
    }
  }
  pp->fork_runs = 0;
  if (g* gp = pp->runq.pop()) return gp;
  g* gp = pp->forks.pop();
  if (gp != nullptr) ++pp->fork_pops;
  return gp;
}

// A G's end (join.cc has the rest of the join protocol, "Finisher").
// Inline: on the path of every G that finishes, from the scheduler loop
// (execute.cc). Returns the joiner to run next (a hand-off), or null.
inline g* scheduler::finish(g* gp, processor* pp) {
  // ACQUIRE: pairs with the joiner's RELEASE link CAS (the record), or the
  // handle's RELEASE exchange to kJoinDetached (its last writes, such as
  // exception_observed, before release() reads them).
  std::uintptr_t w = gp->join_word.load(std::memory_order_acquire);
  if (w == kJoinDetached) {  // nobody will ever look: no RMW
    release(gp, pp);
    return nullptr;
  }
  if (w == kJoinNone) {
    // The grant races a joiner's link or the handle's drop. ACQ_REL:
    // RELEASE publishes the root's result to a joiner's or done()'s ACQUIRE
    // load of kJoinDone or failed CAS; ACQUIRE as above.
    w = gp->join_word.exchange(kJoinDone, std::memory_order_acq_rel);
    if (w == kJoinNone) return nullptr;  // the handle will release gp
    if (w == kJoinDetached) {
      release(gp, pp);
      return nullptr;
    }
  } else {
    // A record is linked: its joiner is parked (or waits for this hand-off)
    // and the handle is in its hands, so nobody else writes the word.
    // RELEASE, for a later done() on the handle (the joiner's own reads are
    // ordered by its wake-up).
    gp->join_word.store(kJoinDone, std::memory_order_release);
  }
  // The grant of the joiner's record. Read `who` and nothing else; the
  // record is the joiner's again as soon as it is woken.
  const wake_token who = reinterpret_cast<const waiter*>(w)->who;
  if (who.gp != nullptr) return who.gp;  // hand-off: run the joiner next
  wake(who);
  return nullptr;
}

// Direct hand-off: `next` is runnable, owned by this M, and in no queue: a
// join's target that the joiner took back from the fork deque, or a joiner
// whose target just finished (join.cc). Run it now, in the current time
// slice (returns true: the caller runs it). Once the slice is used up it
// goes back to the fork deque, where it is the newest G again (returns
// false), and the M goes through find_runnable, whose fairness turn (step
// 1) lets the P's other Gs run: a chain of hand-offs cannot starve them.
inline bool scheduler::run_next_in_slice(machine* m, processor* pp, g* next) {
  if (pp->inherited >= kMaxInheritedRuns) {
    // Its pop from the deque is not progress (oldest_fork_if_starved).
    if (fork_push(pp, next)) ++pp->fork_requeues;
    return false;
  }
  ++pp->inherited;
  pp->counters.run.add();
  m->curg = next;
  return true;
}

// What the M's loop notes when a G parks (after_suspend), before the
// commit publishes it: when, for a dump, on the M's coarse park clock.
inline void scheduler::note_park(machine* m, g* gp) noexcept {
  if (++m->parks % machine::kParkClockEvery == 0) {
    m->park_clock = coarse_nanotime();
  }
  gp->wait_since = m->park_clock;
}

// Where frames hop directly (join_direct, end_root): the frame to transfer
// to for `next`, which run_next_in_slice just made the M's current G. A G
// in a wait of several steps (core/internal/park.h) must run its park
// commit first: noop_coroutine, and the M's loop, finding it current with
// its park notes untouched, runs the commit as for any park.
inline std::coroutine_handle<> scheduler::frame_to_resume(g* next) noexcept {
  if (next->repark) return std::noop_coroutine();
  next->kind = suspend_kind::none;
  return next->resume;
}

// Joiner's fast path: t has not started and is still the newest G of this
// P's fork deque (co_spawn put it there), or it sits in this P's runnext
// (readied and not yet resumed). Taking it from there makes it ours alone:
// no other M can reach it any more, and the joiner runs it right here (a
// hand-off), as a call would: this is what keeps a fork-join tree
// depth-first and makes `co_await co_spawn(f)` cost no queueing.
inline bool scheduler::take_join_target(processor* pp, g* t) noexcept {
  g* expected = t;
  return pp->forks.take(t) ||
         (pp->runnext.load(std::memory_order_relaxed) == t &&
          pp->runnext.compare_exchange_strong(expected, nullptr,
                                              std::memory_order_acquire,
                                              std::memory_order_relaxed));
}

// Links me's record into the word of a target taken by take_join_target.
inline void scheduler::link_join_here(g* me, join_wait* jw) noexcept {
  g* t = jw->target;
  waiter* w = &jw->w;
  w->who = wake_token{me, nullptr};
  w->link_alone();
  // Relaxed: no other thread can reach t before a hand-over that orders
  // this store: t runs next on this thread, or (slice used up,
  // run_next_in_slice) goes back to the fork deque, whose release push
  // pairs with a thief's load of its bottom; if t parks and moves, the lock
  // or queue hand-over of that wait orders it.
  assert(t->join_word.load(std::memory_order_relaxed) == kJoinNone &&
         "a join_handle awaited by two Gs at once");
  t->join_word.store(reinterpret_cast<std::uintptr_t>(w),
                     std::memory_order_relaxed);
}

}  // namespace goro::internal

#endif  // GORO_RUNTIME_INTERNAL_SCHEDULER_H_
