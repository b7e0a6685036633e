// Run queues and stealing: where runnable Gs wait, and how an M without
// local work takes some from elsewhere.
//
// Where runnable Gs wait:
//  - A G started by co_spawn from a running G (a fork-join child) goes into
//    that P's fork deque (fork_deque.h). The P takes the newest first, so a
//    fork-join tree runs depth-first and its live set is its depth; a
//    thief takes the oldest, the largest subtree. A join whose target is
//    still the newest there takes it back and runs it at once (join.cc).
//    runq_get serves the deque after runnext and before the ring, but
//    gives the ring a turn every kMaxForkRuns Gs.
//  - A G spawned or readied by a running G goes into that P's `runnext`
//    slot, and the previous runnext moves to the tail of the P's ring. The
//    runnext G inherits the time slice; after kMaxInheritedRuns consecutive
//    inherited runs the slice ends and runnext goes to the back of the ring,
//    so a ping-pong pair keeps its P warm yet cannot starve the P's other
//    Gs. (Go bounds the pair by its 10 ms preemption; stackless Gs cannot be
//    preempted, so goro counts runs instead.)
//  - A full ring (run_queue.h) overflows half of itself to the global
//    queue.
//  - Gs spawned or readied by threads that hold no P, and Gs that yield, go
//    to the global queue (global_queue.h).
//
// Stealing: a spinning M (idle.h) takes half of another P's ring, or else
// the oldest G of its fork deque (4 rounds over the Ps in random order; the
// last round also takes a victim's runnext), and keeps trying, with the global
// queue and every P's expired timers, for up to kSpinFor (spin_for_work).
//
// Every enqueue is followed by a wake-up check: wakep() after local work
// (handshake (a) in idle.h), wake_for_global() after global work
// (handshake (b)).
#include <atomic>
#include <chrono>

#include "goro/core/internal/futex.h"  // cpu_relax
#include "goro/runtime/internal/scheduler.h"

namespace goro::internal {
namespace {

std::uint64_t fastrand(processor* pp) noexcept {
  // xorshift64*, seeded per P.
  std::uint64_t x = pp->rng;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  pp->rng = x;
  return x * 0x2545F4914F6CDD1DULL;
}

}  // namespace

void scheduler::runqput_slow(processor* pp, g* gp) {
  g* batch[run_queue::kCapacity / 2 + 1];
  for (;;) {
    std::uint32_t n = pp->runq.take_half_for_overflow(batch);
    if (n == 0) {
      if (pp->runq.push(gp)) return;
      continue;  // still full: thieves raced with us; try again
    }
    batch[n] = gp;
    global_.push_batch(batch, n + 1);
    return;
  }
}

g* scheduler::runq_get(processor* pp, bool* inherit) {
  if (pp->runnext.load(std::memory_order_relaxed) != nullptr) {
    // The producer is this M (thieves only ever store null), so no
    // ordering is needed; the exchange is atomic because thieves CAS
    // runnext to null (runnext_exchange).
    g* next = runnext_exchange(pp, nullptr);
    if (next != nullptr) {
      if (pp->inherited < kMaxInheritedRuns) {
        ++pp->inherited;
        *inherit = true;
        return next;
      }
      // The time slice is used up: to the back of the line.
      runqput(pp, next, /*next=*/false);
    }
  }
  *inherit = false;
  return fork_or_ring(pp);
}

g* scheduler::global_get(processor* pp, std::size_t max) {
  std::size_t want = global_.size() / procs_ + 1;
  if (max != 0 && want > max) want = max;
  if (want > run_queue::kCapacity / 2) want = run_queue::kCapacity / 2;
  g* batch[run_queue::kCapacity / 2];
  return keep_global_batch(pp, batch, global_.pop_batch(batch, want));
}

// batch[0..n) came from the global queue: batch[0] runs next, the rest go to
// pp's ring.
g* scheduler::keep_global_batch(processor* pp, g* const* batch, std::size_t n) {
  if (n == 0) return nullptr;
  pp->counters.global_takes.add(n);
  for (std::size_t i = 1; i < n; ++i) runqput(pp, batch[i], /*next=*/false);
  if (n > 1) {
    // The rest now wait in our ring while we run batch[0], which may never
    // yield (Gs are not preempted): make sure an idle P comes to steal them.
    // The fence makes the ring pushes step 1 of handshake (a) for wakep's
    // loads (the tail store alone is only a release).
    std::atomic_thread_fence(std::memory_order_seq_cst);
    idle_.wakep();
  }
  return batch[0];
}

g* scheduler::steal_work(processor* pp) {
  constexpr int kRounds = 4;
  for (int round = 0; round < kRounds; ++round) {
    const bool last_round = round == kRounds - 1;
    const int start = static_cast<int>(fastrand(pp) % procs_);
    for (int i = 0; i < procs_; ++i) {
      processor* victim = ps_[(start + i) % procs_].get();
      if (victim == pp) continue;
      if (idle_.stopping_relaxed()) return nullptr;
      pp->counters.steal_attempts.add();
      if (g* gp = victim->runq.steal_into(pp->runq)) {
        pp->counters.stolen.add(1 + pp->runq.size());
        return gp;
      }
      // One fork-join child, the victim's oldest: the largest subtree.
      if (g* gp = victim->forks.steal()) {
        pp->counters.stolen.add();
        return gp;
      }
      if (last_round) {
        g* next = victim->runnext.load(std::memory_order_relaxed);
        if (next != nullptr) {
          // The victim is probably about to run it (a G that just readied
          // its partner). Give it a moment, as Go's usleep(3) does, so a
          // ping-pong pair is not split across cores for nothing.
          for (int k = 0; k < 64; ++k) cpu_relax();
          // ACQUIRE: pairs with the owner's seq_cst exchange that stored it.
          if (victim->runnext.compare_exchange_strong(
                  next, nullptr, std::memory_order_acquire,
                  std::memory_order_relaxed)) {
            pp->counters.stolen.add();
            return next;
          }
        }
      }
    }
  }
  return nullptr;
}

g* scheduler::spin_for_work(processor* pp) {
  // Waking a parked M costs a futex wake plus the thread's wake-up latency,
  // during which a busy producer queues more Gs; parking at the first empty
  // look makes a producer/consumer pair pay that on nearly every G. So a
  // spinner keeps looking for a short while before it parks. Spinners are
  // few by construction (the spin rule), and an idle runtime spins only
  // once, for kSpinFor, after its last G.
  //
  // Between rounds it backs off exponentially: every probe reads the
  // victims' queue heads, tails and runnext, pulling those cache lines away
  // from the Ms that own them and write them on every spawn.
  // (benchmarks/README.md, "Measured while building it", has the figures
  // behind kSpinFor, the back-off and its cap.)
  const auto deadline = std::chrono::steady_clock::now() + kSpinFor;
  int pause = 16;
  for (;;) {
    if (g* gp = steal_work(pp)) return gp;
    if (!global_.empty()) {
      if (g* gp = global_get(pp, 0)) return gp;
    }
    // Every P's expired timers (Go's stealWork runs its victims').
    if (g* gp = run_timers_for(pp)) return gp;
    if (idle_.stopping_relaxed()) return nullptr;
    if (std::chrono::steady_clock::now() >= deadline) return nullptr;
    for (int i = 0; i < pause; ++i) cpu_relax();
    // Capped: while this M backs off, wakep() sees a spinner and wakes
    // nobody, so the longest pause is the latency added to new work.
    if (pause < 256) pause *= 2;
  }
}

bool scheduler::any_work() const noexcept {
  // seq_cst loads: step 3 of both handshakes in idle.h (the global size for
  // (b), every P's runnext, ring and fork deque for (a)).
  if (global_.size() != 0) return true;
  for (const auto& p : ps_) {
    if (p->runnext.load(std::memory_order_seq_cst) != nullptr) return true;
    if (!p->runq.empty()) return true;
    if (!p->forks.empty()) return true;
  }
  return false;
}

}  // namespace goro::internal
