// fork_deque: a P's deque of fork-join children (Gs started with co_spawn).
//
// Why a second queue. The ring (run_queue.h) serves Gs in the order they
// became runnable, as Go does. For a fork-join tree that order is
// breadth-first: a parent spawns its children, parks on the first join, and
// the M runs the oldest queued G, a sibling of some ancestor. The live set
// becomes the width of the tree (10^5 frames for skynet 1M) instead of its
// depth, and each frame is touched far apart in time. Work-stealing
// schedulers (Cilk, TooManyCooks, libfork) serve children newest-first on
// their own worker and let thieves take the oldest, which is the largest
// subtree: the owner walks the tree depth-first, a thief takes half of the
// remaining work in one steal.
//
// basic_fork_deque<Capacity> is the bounded Chase-Lev deque (Chase and Lev,
// "Dynamic circular work-stealing deque", SPAA 2005; memory orders after
// Le, Pop, Cohen and Zappa Nardelli, PPoPP 2013):
//  - only the owning P pushes and pops, at `bottom_` (newest first);
//  - thieves take one G at a time at `top_` (oldest first), by a CAS on
//    top_;
//  - the owner and a thief race only for the last G: the owner's pop then
//    also CASes top_, so exactly one of them gets it.
// A full deque refuses the push; the caller puts the G in the ring instead
// (scheduler::fork_push). Bounded, like the ring: no buffer to grow or
// reclaim, no ABA on a buffer pointer. 256 slots hold a fork-join tree of
// any depth up to 256 pending children per P; deeper trees overflow into the
// ring and are served in ring order, still correctly.
//
// Invariants. top_ and bottom_ are int64 counters that only grow (except
// the owner's transient bottom_ - 1 in pop, undone when the deque was
// empty); index i lives in slots_[i % Capacity].
//  - top_ <= bottom_ + 1 at every instant, and top_ <= bottom_ whenever no
//    pop is in progress: a thief advances top_ only over an index below
//    the bottom_ it read, and the owner's pop restores bottom_ when it
//    finds the deque empty.
//  - 0 <= bottom_ - top_ <= Capacity: push checks for room against a top_
//    it loaded, and top_ only grows.
//  - top_ never decreases, so a CAS on it cannot succeed on a stale value
//    (no ABA).
//
// Memory ordering (each pair named):
//  - push: slot store (relaxed), then bottom_ stored RELEASE: pairs with a
//    thief's (seq_cst) load of bottom_ in steal() (the slot and the G's
//    fields). The push is also step 1 of wake-up handshake (a) (idle.h);
//    the StoreLoad barrier that step needs is the caller's
//    (scheduler::fork_push: asymmetric_fence::light()).
//  - pop: bottom_ - 1 by a SEQ_CST exchange, then a SEQ_CST load of top_.
//    A thief loads top_ then bottom_ (SEQ_CST), then CASes top_. All four
//    are in the single total order of seq_cst operations, so either the
//    owner sees the thief's top_ or the thief sees the owner's bottom_:
//    they cannot both take the same G (the last one goes to whoever wins
//    the CAS on top_).
//  - a thief's CAS on top_ (SEQ_CST, hence RELEASE) pairs with the owner's
//    ACQUIRE load of top_ in push(): once the owner sees the slot freed,
//    the thief's read of it has happened, so overwriting it cannot change
//    the G the thief took.
//  - A thief may read a slot the owner is overwriting (the deque wrapped
//    between its load of top_ and its CAS); the CAS then fails and the
//    value is dropped. Slots are atomics so that this benign race is not a
//    data race in the C++ model.
// With a single P there are no thieves (the scheduler constructs the deque
// with stealable = false): pop needs no read-modify-write, as runnext
// needs none then (scheduler::runnext_exchange).
#ifndef GORO_RUNTIME_INTERNAL_FORK_DEQUE_H_
#define GORO_RUNTIME_INTERNAL_FORK_DEQUE_H_

#include <atomic>
#include <cstdint>

#include "absl/base/optimization.h"
#include "goro/core/internal/g.h"

namespace goro::internal {

template <std::uint32_t Capacity>
class basic_fork_deque {
  static_assert(Capacity >= 1 && (Capacity & (Capacity - 1)) == 0,
                "a power of two: index i lives in slots_[i % Capacity]");

 public:
  static constexpr std::uint32_t kCapacity = Capacity;

  explicit basic_fork_deque(bool stealable = true) : stealable_(stealable) {
    for (auto& s : slots_) s.store(nullptr, std::memory_order_relaxed);
  }
  basic_fork_deque(const basic_fork_deque&) = delete;
  basic_fork_deque& operator=(const basic_fork_deque&) = delete;

  // Owner only. Adds gp as the newest G; false (nothing done) if full.
  bool push(g* gp) noexcept {
    const std::int64_t b = bottom_.load(std::memory_order_relaxed);
    // ACQUIRE: pairs with a thief's CAS on top_ (its slot read is done).
    const std::int64_t t = top_.load(std::memory_order_acquire);
    if (b - t >= static_cast<std::int64_t>(kCapacity)) return false;
    slot(b).store(gp, std::memory_order_relaxed);
    // RELEASE: pairs with a thief's load of bottom_ in steal().
    bottom_.store(b + 1, std::memory_order_release);
    return true;
  }

  // Owner only. Removes and returns the newest G, or null if none is left.
  g* pop() noexcept {
    const std::int64_t b = bottom_.load(std::memory_order_relaxed) - 1;
    // top_ only grows: a stale value that already says "empty" is right.
    if (b < top_.load(std::memory_order_relaxed)) return nullptr;
    return pop_at(b);
  }

  // Owner only. If gp is the newest G, removes it and returns true: gp is
  // then the caller's alone (no thief can take it any more). False if gp
  // is not the newest G (another G is, or a thief took gp, or it was never
  // here).
  bool take(g* gp) noexcept {
    const std::int64_t b = bottom_.load(std::memory_order_relaxed) - 1;
    if (b < top_.load(std::memory_order_relaxed)) return false;
    if (slot(b).load(std::memory_order_relaxed) != gp) return false;
    return pop_at(b) == gp;
  }

  // Any thread but the owner. Removes and returns the oldest G, or null if
  // the deque is empty.
  g* steal() noexcept {
    // SEQ_CST, top_ before bottom_: the thief's half of the pop race (see
    // above). SEQ_CST loads compile to plain loads on x86.
    std::int64_t t = top_.load(std::memory_order_seq_cst);
    for (;;) {
      const std::int64_t b = bottom_.load(std::memory_order_seq_cst);
      if (t >= b) return nullptr;
      g* gp = slot(t).load(std::memory_order_relaxed);
      // SEQ_CST: against the owner's pop of the last G; RELEASE for
      // push()'s ACQUIRE load of top_. On failure t is reloaded.
      if (top_.compare_exchange_strong(t, t + 1, std::memory_order_seq_cst,
                                       std::memory_order_seq_cst)) {
        return gp;
      }
    }
  }

  // The index of the oldest G (it only grows): how long the same G has
  // been the oldest is what the owner's fairness turn measures.
  std::int64_t oldest_index() const noexcept {
    return top_.load(std::memory_order_relaxed);
  }

  // Approximate number of Gs queued; exact for the owner between its own
  // calls. SEQ_CST loads: any_work()'s step 3 of handshake (a).
  std::uint32_t size() const noexcept {
    const std::int64_t t = top_.load(std::memory_order_seq_cst);
    const std::int64_t b = bottom_.load(std::memory_order_seq_cst);
    return b > t ? static_cast<std::uint32_t>(b - t) : 0;
  }
  bool empty() const noexcept { return size() == 0; }

 private:
  std::atomic<g*>& slot(std::int64_t i) noexcept {
    return slots_[static_cast<std::uint64_t>(i) % kCapacity];
  }

  // The owner's half of the race: claims index b (= bottom_ - 1).
  g* pop_at(std::int64_t b) noexcept {
    if (!stealable_) {
      // No thieves: top_ stays where it is.
      bottom_.store(b, std::memory_order_relaxed);
      return slot(b).load(std::memory_order_relaxed);
    }
    // SEQ_CST RMW then SEQ_CST load: the owner's half of the race.
    bottom_.exchange(b, std::memory_order_seq_cst);
    std::int64_t t = top_.load(std::memory_order_seq_cst);
    if (t > b) {  // a thief took the last G first
      bottom_.store(b + 1, std::memory_order_relaxed);
      return nullptr;
    }
    g* gp = slot(b).load(std::memory_order_relaxed);
    if (t == b) {
      // The last G: whoever moves top_ past it has it.
      const bool won = top_.compare_exchange_strong(
          t, t + 1, std::memory_order_seq_cst, std::memory_order_relaxed);
      bottom_.store(b + 1, std::memory_order_relaxed);
      return won ? gp : nullptr;
    }
    return gp;
  }

  const bool stealable_;
  alignas(ABSL_CACHELINE_SIZE) std::atomic<std::int64_t> top_{0};
  alignas(ABSL_CACHELINE_SIZE) std::atomic<std::int64_t> bottom_{0};
  alignas(ABSL_CACHELINE_SIZE) std::atomic<g*> slots_[kCapacity];
};

// The scheduler's per-P fork deque.
using fork_deque = basic_fork_deque<256>;

}  // namespace goro::internal

#endif  // GORO_RUNTIME_INTERNAL_FORK_DEQUE_H_
