// idle: which Ps and Ms are idle, which Ms spin, and why no wake-up is lost
// (Go's sched.pidle, sched.midle, sched.npidle, sched.nmspinning, wakep,
// startm; Tokio's scheduler::multi_thread::Idle).
//
// Each transition of an M or a P is one method. Those whose outcome
// decides the caller's next step return it: a P or none, spin or not,
// exit or re-check. The caller (execute.cc, queues.cc, timers.cc) follows
// the recipes below; the atomics named in them are all here, except the
// work itself (runnext, the rings, the global queue, the timer heaps).
//
// Spinning Ms. An M looking for work to steal is "spinning". Spinning
// burns CPU, so at most about half the busy Ps may have a spinner: an M
// starts spinning only if 2*nmspinning < procs - npidle (the spin rule,
// try_spin). When work appears (a spawn, a wake), wakep() starts one
// spinning M if there is an idle P and no M is spinning already. A spinning
// M that finds work stops spinning and calls wakep() itself ("the last
// spinner to find work wakes another"), so bursts of work fan out one M at
// a time.
//
// Why no wake-up is lost. Two handshakes, both Dekker-style on seq_cst
// operations: each side stores, then loads what the other side stores, so
// at least one side sees the other's store. (The timers' handshake (c) is
// the same shape: timers.cc.)
//
// (a) Local work: a G put in a P's runnext, ring or fork deque by the M
//  holding it.
//  Producer (spawn, ready: enqueue -> runqput, wakep; co_spawn: fork_push):
//   1. Store runnext: seq_cst exchange (runnext_exchange); or the fork
//      deque's bottom (fork_deque.h, push), then asymmetric_fence::light().
//      Pairs with the giving-up spinner's step 3.
//   2. wakep: load npidle, then nmspinning (seq_cst). The nmspinning load
//      pairs with the giving-up spinner's step 2.
//   3. A P idle and no M spinning: CAS nmspinning 0 -> 1, startm(spinning).
//  Spinning M giving up (find_runnable, step 5):
//   1. release_p: P to the idle list, npidle+1 (seq_cst RMW): a producer
//      that sees step 2 also sees this idle P.
//   2. stop_spinning: nmspinning-1 (seq_cst RMW), then
//      asymmetric_fence::heavy() (membarrier: every running M has executed
//      a full barrier when it returns; the other half of a fork deque
//      push's light fence, asymmetric_fence.h). Every M giving up its P
//      does this and step 3, spinning or not (below).
//   3. any_work: load every P's runnext (seq_cst), ring and fork deque
//      (seq_cst loads of their ends). Pairs with the producer's step 1.
//   4. Work seen: try_take_p: an idle P back, spinning again
//      (nmspinning+1). Else sleep.
//  So either the producer sees no spinner and an idle P and wakes one, or
//  the last spinner sees the work. A non-spinning M giving up its P runs
//  steps 2 (the fence) and 3 too: it gave up because enough Ms were
//  spinning (the spin rule), but they may all have found work and stopped
//  since, before the producer's wakep looked; its re-check then finds the
//  work, or the producer finds its idle P.
//  With a single P the handshake has no other side (no thief, no spinning
//  M, and wakep() finds no idle P while the producer holds the P), so
//  runnext is then read and written with plain atomics (runnext_exchange).
//  "Later" can be never, though, when the running G does not yield (Gs are
//  not preempted), so every path that leaves Gs in a ring behind the
//  running one calls wakep(): spawn and ready (runnext), a thief that
//  stole a batch (stop_spinning, then wakep), and global_get taking a
//  batch (ring pushes + a seq_cst fence as its step 1).
//
// (b) Global work: a G made runnable by a thread without a P.
//  Producer (enqueue without a P -> wake_for_global):
//   1. Push: the global size stored seq_cst under the queue's lock
//      (global_queue.h). Pairs with the M's step 3.
//   2. wake_for_global: load npidle (seq_cst). Pairs with the M's step 1.
//   3. A P idle: startm for it, not spinning, unconditionally.
//  Any M giving up its P (find_runnable, step 5), spinning or not:
//   1. release_p: npidle+1 (seq_cst RMW).
//   2. stop_spinning, if it was spinning.
//   3. any_work: load the global size (seq_cst).
//   4. Work seen: try_take_p, as in (a).
//  So either the producer sees the idle P and starts an M, or the M sees
//  the G.
//
// The M's sleep itself cannot miss its wake-up: startm() chooses the M
// under the lock and hands it the P through machine::next_p before
// unpark(); the parker keeps the token if the M has not slept yet, and the
// M reads next_p under the lock when it wakes (take_handed_p).
#ifndef GORO_RUNTIME_INTERNAL_IDLE_H_
#define GORO_RUNTIME_INTERNAL_IDLE_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "goro/runtime/internal/machine.h"
#include "goro/runtime/internal/processor.h"

namespace goro::internal {

class scheduler;

class idle {
 public:
  // Ms started by startm run sched's loop (scheduler::m_main).
  idle(scheduler* sched, int procs) : sched_(sched), procs_(procs) {}
  ~idle() = default;
  idle(const idle&) = delete;
  idle& operator=(const idle&) = delete;

  // At start-up: every P is idle, ps[0] first out.
  void add_initial_ps(const std::vector<std::unique_ptr<processor>>& ps);

  // --- producers of work ---

  // Handshake (a), producer steps 2-3: starts a spinning M if a P is idle
  // and no M spins. The first load is inline: on every wake-up of a busy
  // runtime (and always with one P) it is the whole of wakep.
  void wakep() {
    // seq_cst: step 2 of handshake (a); the store half was the runnext
    // exchange in runqput (step 1).
    if (npidle_.load(std::memory_order_seq_cst) == 0) return;
    wakep_idle_p();
  }
  // Handshake (b), producer steps 2-3: starts an M for an idle P, if any.
  void wake_for_global();

  // --- an M looking for work (find_runnable) ---

  // The spin rule (m holds a P). Returns whether m spins (it may have been
  // spinning already): true, go steal; false, give the P up.
  [[nodiscard]] bool try_spin(machine* m);

  // Ends m's spinning, if it spins: nmspinning-1 (seq_cst RMW; (a), the
  // giving-up spinner's step 2). Returns whether m was spinning. One that
  // found work must then wake another (wakep: "the last spinner to find
  // work wakes another"); one that gives up its P re-checks every queue,
  // which every M giving up does anyway ((b), step 3).
  bool stop_spinning(machine* m);

  // Gives m's P up: the P to the idle list (npidle+1, seq_cst: step 1 of
  // (a) and (b)), m to the idle M list, in one critical section, so that a
  // startm() racing with us finds m rather than creating another M (Ms
  // never outnumber Ps). Returns false if the runtime is stopping (m keeps
  // its P, and exits); true: m holds no P, and must stop spinning and
  // re-check every queue (any_work) before it sleeps.
  [[nodiscard]] bool release_p(machine* m);

  // After release_p, when the re-check saw work: takes an idle P back and
  // spins again ((a) and (b), step 4). Returns whether m holds a P now.
  // False: startm already chose m (its P is on the way: the next park()
  // returns at once), or no P is idle (every P is held by a running M,
  // which will find the work).
  bool try_take_p(machine* m);

  // After m's parker woke it: takes the P that startm handed over. Returns
  // false if none was (woken for shutdown: exit).
  [[nodiscard]] bool take_handed_p(machine* m);

  // --- the poller (timers.cc, poll) ---

  // Takes m off the idle M list to poll, if startm has not chosen it, the
  // runtime is not stopping, and claim() (called under the lock: it
  // publishes the poller's deadline) returns true. Returns whether m left
  // the list; false: park on the parker instead.
  template <class Claim>
  [[nodiscard]] bool leave_list_to_poll(machine* m, Claim&& claim);
  // After the poll: m takes an idle P if want_p and one is idle (and the
  // runtime is not stopping); else goes back on the idle M list. Returns
  // whether m holds a P.
  bool return_from_poll(machine* m, bool want_p);

  // --- shutdown and queries ---

  // Sets `stopping` and wakes every M (under the lock: no M is started
  // after this). Then join_all() waits for them to exit.
  void stop();
  void join_all();

  // ACQUIRE: pairs with stop()'s store (a plain flag otherwise: the Ms'
  // hand-overs order the rest).
  bool stopping() const noexcept {
    return stopping_.load(std::memory_order_acquire);
  }
  bool stopping_relaxed() const noexcept {
    return stopping_.load(std::memory_order_relaxed);
  }

  // Ps neither idle nor held by a spinning M, read relaxed: a heuristic
  // (scheduler::lock_may_spin), never a decision that a wake-up depends on.
  std::int32_t busy_hint() const noexcept {
    return procs_ - npidle_.load(std::memory_order_relaxed) -
           nmspinning_.load(std::memory_order_relaxed);
  }

 private:
  // wakep past its first load: a P is idle.
  void wakep_idle_p();

  void startm(processor* pp, bool spinning);
  void unlink_m_locked(machine* m) noexcept;
  processor* pidleget_locked() noexcept;
  void pidleput_locked(processor* pp) noexcept;

  // Read by wakep() on every spawn and wake: a cache line of their own,
  // apart from the lock below, which every park and unpark writes.
  alignas(64) std::atomic<std::int32_t> npidle_{0};
  std::atomic<std::int32_t> nmspinning_{0};
  std::atomic<bool> stopping_{false};
  scheduler* const sched_;
  const std::int32_t procs_;

  // Guards the idle lists, the M list, the hand-over of a P to an M
  // (machine::next_p) and the setting of stopping_.
  alignas(64) mutable std::mutex mu_;
  processor* pidle_ = nullptr;
  machine* midle_ = nullptr;
  std::vector<std::unique_ptr<machine>> all_ms_;
};

// Inline: the scheduler loop asks after every find_runnable.
inline bool idle::stop_spinning(machine* m) {
  if (!m->spinning) return false;
  m->spinning = false;
  // seq_cst: handshake (a), the spinner's step 2. A giving-up spinner
  // re-checks every queue after this; one that found work calls wakep().
  nmspinning_.fetch_sub(1, std::memory_order_seq_cst);
  return true;
}

template <class Claim>
bool idle::leave_list_to_poll(machine* m, Claim&& claim) {
  std::lock_guard<std::mutex> lock(mu_);
  if (m->next_p != nullptr || stopping_.load(std::memory_order_relaxed)) {
    return false;  // startm chose m: park() returns at once
  }
  if (!claim()) return false;
  unlink_m_locked(m);
  return true;
}

}  // namespace goro::internal

#endif  // GORO_RUNTIME_INTERNAL_IDLE_H_
