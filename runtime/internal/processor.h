// processor: a P, the right to run Gs.
//
// There are exactly `procs` Ps (GOMAXPROCS). An M (OS thread) must hold a P
// to run Gs, so at most `procs` Gs run at once however many Ms exist. A P
// owns:
//  - runq: a 256-slot lock-free ring (run_queue.h), pushed only by its owner;
//  - forks: a 256-slot Chase-Lev deque (fork_deque.h) of the children that
//    Gs here started with co_spawn, served newest-first by the owner and
//    oldest-first to thieves, so a fork-join tree runs depth-first;
//  - runnext: one slot for the G most recently spawned or readied by the G
//    running here. It runs next and inherits the current time slice, which
//    keeps a producer/consumer pair on one P with warm caches (Go's rule);
//  - a free list of g structs and a cache of G ids, so that spawning touches
//    no shared state in the common case;
//  - its statistics counters.
// Ownership of a P passes between Ms only under the idle lock (idle.h: the
// idle P list) or through parker::unpark (machine::next_p), both of which
// order the previous owner's plain writes before the next owner's reads.
#ifndef GORO_RUNTIME_INTERNAL_PROCESSOR_H_
#define GORO_RUNTIME_INTERNAL_PROCESSOR_H_

#include <atomic>
#include <cstdint>

#include "absl/base/optimization.h"
#include "goro/core/internal/g.h"
#include "goro/runtime/internal/fork_deque.h"
#include "goro/runtime/internal/run_queue.h"
#include "goro/runtime/internal/timer_heap.h"

namespace goro::internal {

// A statistics counter written only by the P's current owner and read by
// anyone: a relaxed load+store, no read-modify-write on the hot path.
class owner_counter {
 public:
  void add(std::uint64_t n = 1) noexcept {
    v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  std::uint64_t get() const noexcept {
    return v_.load(std::memory_order_relaxed);
  }

 private:
  std::atomic<std::uint64_t> v_{0};
};

struct processor_counters {
  owner_counter spawned;         // Gs created by Gs on this P
  owner_counter run;             // G executions (each resumption counts)
  owner_counter stolen;          // Gs this P took from other Ps
  owner_counter steal_attempts;  // victims probed
  owner_counter parks;           // times an M gave this P up to sleep
  owner_counter global_takes;    // Gs taken from the global queue
};

struct processor {
  // stealable: other Ps exist (fork_deque.h: a single P's deque needs no
  // atomic read-modify-writes).
  processor(int index, bool stealable) : id(index), forks(stealable) {}

  const int id;
  run_queue runq;
  fork_deque forks;
  // Written by the owner (exchange) and by thieves (CAS to null, last steal
  // round only). The owner's exchange is seq_cst: it is the store half of
  // wake-up handshake (a) in idle.h. With a single P there are no
  // thieves, and plain loads and stores do (scheduler::runnext_exchange).
  alignas(ABSL_CACHELINE_SIZE) std::atomic<g*> runnext{nullptr};

  // --- owner-only state (the M holding this P) ---
  std::uint32_t schedtick = 0;  // fresh time slices started
  std::uint32_t inherited = 0;  // consecutive runnext runs in this slice
  // Consecutive Gs taken from `forks` while the ring waited (queues.cc,
  // runq_get: the ring gets a turn every kMaxForkRuns).
  std::uint32_t fork_runs = 0;
  // Gs taken from `forks` by this P (runq_get), and, at the last fairness
  // turn, that count, the deque's oldest index and since when both have
  // stood still (execute.cc, find_runnable step 1).
  std::uint64_t fork_pops = 0;
  std::uint64_t fork_requeues = 0;  // hand-offs put back at a slice's end
  std::uint64_t fork_pops_seen = 0;
  std::int64_t fork_oldest = -1;
  std::int64_t fork_oldest_since = 0;
  std::uint64_t rng = 0;  // steal order
  static constexpr std::uint32_t kMaxFree = 64;
  g* gfree[kMaxFree];  // free g structs (a stack)
  std::uint32_t ngfree = 0;
  std::uint64_t next_id = 0;  // cached G id range [next_id, end_id)
  std::uint64_t end_id = 0;

  processor* idle_link = nullptr;  // scheduler idle list (under its lock)

  // Timers armed by Gs on this P (timer_heap.h); its own lock.
  timer_heap timers;

  processor_counters counters;
};

}  // namespace goro::internal

#endif  // GORO_RUNTIME_INTERNAL_PROCESSOR_H_
