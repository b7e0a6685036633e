// scheduler: Gs, Ms and Ps, and how an idle M finds work or goes to sleep.
//
// Concepts (Go's names, Go's design: src/runtime/proc.go):
//  G  a goroutine: a chain of task frames (g.h).
//  M  an OS thread (`machine` below). It runs Gs only while it holds a P.
//  P  a processor (processor.h): the right to run Gs plus a local run queue.
//     There are `procs` of them (GOMAXPROCS).
//
// Where runnable Gs wait:
//  - A G spawned or readied by a running G goes into that P's `runnext`
//    slot, and the previous runnext moves to the tail of the P's ring. The
//    runnext G inherits the time slice; after kMaxInheritedRuns consecutive
//    inherited runs the slice ends and runnext goes to the back of the ring,
//    so a ping-pong pair keeps its P warm yet cannot starve the P's other
//    Gs. (Go bounds the pair by its 10 ms preemption; stackless Gs cannot be
//    preempted, so goro counts runs instead.)
//  - A full ring overflows half of itself to the global queue.
//  - Gs spawned or readied by threads that hold no P, and Gs that yield, go
//    to the global queue (global_queue.h).
//
// find_runnable, in order (an M holding P):
//  0. run this P's expired timers (their Gs land in runnext);
//  1. every 61st fresh time slice, one G from the global queue (fairness);
//  2. runnext, then the local ring;
//  3. a batch from the global queue;
//  4. spinning: steal half of another P's ring (4 rounds over the Ps in
//     random order; the last round also takes a victim's runnext), and keep
//     trying, with the global queue and every P's expired timers, for up
//     to kSpinFor;
//  5. give the P up (idle list) and sleep: on the poller until the earliest
//     timer if timers are pending and no other M polls, else on the M's
//     parker.
//
// Spinning Ms. An M looking for work to steal is "spinning". Spinning burns
// CPU, so at most about half the busy Ps may have a spinner:
// an M starts spinning only if 2*nmspinning < procs - npidle. When work
// appears (a spawn, a wake), wakep() starts one spinning M if there is an
// idle P and no M is spinning already. A spinning M that finds work stops
// spinning and calls wakep() itself ("the last spinner to find work wakes
// another"), so bursts of work fan out one M at a time.
//
// Why no wake-up is lost. Two handshakes, both Dekker-style on seq_cst
// operations (store A, load B on one side; store B, load A on the other: at
// least one side sees the other's store):
//  (a) Local work. The producer's store is the seq_cst exchange of runnext
//      (every spawn and ready goes through runnext); its load is the
//      seq_cst load of npidle and nmspinning in wakep(). A spinning M that
//      gives up stores nmspinning-1 (seq_cst RMW), then loads every P's
//      runnext and ring (seq_cst) and, if it sees work, takes an idle P and
//      spins again. So either the producer sees no spinner and an idle P and
//      wakes one, or the last spinner sees the work. A non-spinning M
//      giving up its P needs no re-check: local work always belongs to a P
//      whose M is running, so it cannot be stranded, only run later; and a
//      non-spinning M only exists while some M spins (the spin rule).
//      With a single P the handshake has no other side (no thief, no
//      spinning M, and wakep() finds no idle P while the producer holds the
//      P), so runnext is then read and written with plain atomics
//      (runnext_exchange).
//      "Later" can be never, though, when the running G does not yield
//      (Gs are not preempted), so every path that leaves Gs in a ring
//      behind the running one calls wakep(): spawn and ready (runnext),
//      a thief that stole a batch (reset_spinning), and global_get taking a
//      batch (ring pushes + a seq_cst fence as the store half).
//  (b) Global work from threads without a P. The producer pushes (size_
//      stored seq_cst under the queue mutex) then loads npidle seq_cst and,
//      if any P is idle, starts an M for it unconditionally
//      (wake_for_global). Every M giving up its P stores npidle+1 (seq_cst
//      RMW) and then re-checks the global size seq_cst, spinning or not. So
//      either the producer sees the idle P and starts an M, or the M sees the
//      G.
//  The M-level sleep itself cannot miss its wake-up: startm() chooses the M
//  under the scheduler lock and hands it the P through machine::next_p
//  before unpark(); parker keeps the token if the M has not slept yet.
//
// Timers (timer_heap.h). Each P has a heap; an M runs its own P's expired
// timers at every find_runnable, and a spinning M everyone's. When an M
// has nothing to run, and timers are pending, one M, the poller, sleeps in
// poller_ (epoll) until the earliest of them: it leaves the idle M list
// (startm must not pick it; it wakes only through poller_) and publishes
// its deadline in poll_until_. When it wakes it takes an idle P if there
// is one and runs every expired timer, or runs them without a P (their Gs
// then go to the global queue), and goes back to the idle loop. At most
// one M polls; the others sleep on their parkers with no deadline.
//  Why no timer is missed, handshake (c), Dekker-style like (a) and (b):
//  adding a timer that becomes its heap's earliest stores `earliest`
//  (seq_cst), then loads poll_until_ (seq_cst): a poller whose deadline is
//  later is woken (poller_.wake()); with no poller, wakep() starts an M if
//  a P is idle and nobody spins. On the other side, an M about to sleep
//  gives its P up (npidle+1, seq_cst), stops spinning (seq_cst), and only
//  then loads every heap's earliest (seq_cst); an M that becomes the
//  poller publishes poll_until_ (seq_cst CAS) and then loads them again.
//  So either the adder sees a poller and wakes it, or sees nobody and
//  starts one, or the M about to sleep sees the timer.
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
#include <mutex>
#include <thread>
#include <vector>

#include "goro/core/internal/g.h"
#include "goro/runtime/internal/g_alloc.h"
#include "goro/runtime/internal/global_queue.h"
#include "goro/core/internal/parker.h"
#include "goro/runtime/internal/poller.h"
#include "goro/runtime/internal/processor.h"
#include "goro/runtime/internal/timer_heap.h"
#include "goro/runtime/stats.h"

namespace goro::internal {

class scheduler;

// An M: one OS thread.
struct machine {
  scheduler* sched = nullptr;
  processor* p = nullptr;  // the P this M holds; null while idle
  bool spinning = false;
  g* curg = nullptr;       // the G running on this M, if any
  // The time a G parking on this M records (g::wait_since): the coarse
  // clock, read every kParkClockEvery parks and whenever the M wakes from
  // its sleep, so that a park costs no clock read (a read costs about as
  // much as a whole channel hand-off). Stale by at most that many parks,
  // plus however long the Gs since the last read ran without parking.
  static constexpr std::uint32_t kParkClockEvery = 32;
  std::int64_t park_clock = 0;
  std::uint32_t parks = 0;
  parker park;
  // Handed over by startm() under the scheduler lock, read by the M under
  // the same lock after it wakes.
  processor* next_p = nullptr;
  bool next_spinning = false;
  machine* idle_link = nullptr;
  std::thread thread;
};

// The M running on this thread, or null on a thread that is not an M.
// Deliberately opaque (defined out of line, never inlined): a G can resume
// on another thread after any co_await, and clang has been seen to cache a
// thread_local's address across suspension points.
machine* current_machine() noexcept;

// The G running on this thread, or null.
g* current_g() noexcept;

class scheduler;
// The scheduler a G belongs to.
inline scheduler* scheduler_of(const g* gp) noexcept;

class scheduler final : public g_owner {
 public:
  static constexpr std::uint32_t kMaxInheritedRuns = 64;
  static constexpr std::uint32_t kGlobalCheckInterval = 61;
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
  // queues it. joinable: the caller keeps a reference (a join_handle) that it
  // must drop with drop_ref().
  g* spawn(std::coroutine_handle<> root, promise_base* root_promise,
           bool joinable);

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

  // Drops one reference to gp; the last one releases its frame and struct.
  void drop_ref(g* gp) noexcept;

  // Arms t (on no heap) to fire at `when` (nanotime): on the heap of the
  // caller's P if the caller is an M of this runtime, else on P 0's; then
  // makes sure some M will wake up for it ("Timers" above). Disarm with
  // timer_heap::stop.
  void add_timer(timer* t, std::int64_t when);

  // Park commit for `me` joining `target` (runs on me's M, me suspended).
  g* join_park(g* me, g* target);
  // Park commit of a yield: me to the back of the global queue (Gosched).
  g* yield_park(g* me);

  runtime_stats stats() const;

 private:
  friend struct machine;

  void m_main(machine* m);
  g* find_runnable(machine* m, bool* inherit);
  void execute(machine* m, g* gp, bool inherit);
  g* after_suspend(machine* m, processor* pp, g* gp);
  bool run_next_in_slice(machine* m, processor* pp, g* next);
  g* finish(g* gp);
  g* take_runnext_for_handoff(processor* pp);
  g* runnext_exchange(processor* pp, g* gp) noexcept;
  void release(g* gp) noexcept;
  void detach_owners(g* gp) noexcept;
  bool destroy_frames(g* gp) noexcept;

  void enqueue(processor* pp, g* gp);
  void runqput(processor* pp, g* gp, bool next);
  void runqput_slow(processor* pp, g* gp);
  g* runq_get(processor* pp, bool* inherit);
  g* global_get(processor* pp, std::size_t max);
  g* steal_work(processor* pp);
  g* spin_for_work(processor* pp);
  bool any_work() const noexcept;

  void timer_added(std::int64_t when);
  std::int64_t earliest_timer() const noexcept;
  bool run_all_timers() noexcept;
  g* run_timers_for(processor* pp);
  bool poll(machine* m);

  void wakep();
  void wake_for_global();
  void startm(processor* pp, bool spinning);
  void unlink_idle_m_locked(machine* m) noexcept;
  void reset_spinning(machine* m);
  processor* pidleget_locked() noexcept;
  void pidleput_locked(processor* pp) noexcept;

  const int procs_;
  std::vector<std::unique_ptr<processor>> ps_;
  global_queue global_;

  alignas(64) std::atomic<std::int32_t> npidle_{0};
  std::atomic<std::int32_t> nmspinning_{0};
  std::atomic<bool> stopping_{false};

  // The poller: the one M without a P that sleeps until the earliest timer
  // (or a wake-up). poll_until_ is its deadline, 0 while no M polls.
  poller poller_;
  alignas(64) std::atomic<std::int64_t> poll_until_{0};
  bool teardown_ = false;  // set once every M has exited

  // Guards the idle lists and the M list.
  mutable std::mutex mu_;
  processor* pidle_ = nullptr;
  machine* midle_ = nullptr;
  std::vector<std::unique_ptr<machine>> all_ms_;

  // g structs and G ids (g_alloc.h).
  g_alloc galloc_;
};

inline scheduler* scheduler_of(const g* gp) noexcept {
  return static_cast<scheduler*>(gp->sched);
}

}  // namespace goro::internal

#endif  // GORO_RUNTIME_INTERNAL_SCHEDULER_H_
