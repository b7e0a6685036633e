// run_queue: a P's local queue of runnable Gs.
//
// basic_run_queue<Capacity> is a bounded ring of Capacity slots (Go's runq),
// single producer, multiple consumers; the scheduler's run_queue has 256.
// Tests run the same code at capacity 4, where wrap-around, a full ring and
// overflow come every few operations instead of every few hundred.
//  - Only the owning P pushes, at `tail_`.
//  - The owner pops from `head_`, and thieves (other Ps' Ms, idle and looking
//    for work) take half of the ring at once from `head_`. Both claim slots
//    by a CAS on head_, so a slot is consumed exactly once.
//  - When the ring is full the owner moves half of it, plus the new G, to the
//    global queue (overflow), like Go's runqputslow; the caller does that via
//    take_half_for_overflow.
//
// Invariants. head_ and tail_ are free-running uint32 counters; index i lives
// in slots_[i % Capacity].
//  - 0 <= tail_ - head_ <= Capacity (modulo 2^32) at every instant: only the
//    owner advances tail_, and push() checks for room first; consumers
//    advance head_ only over indices that tail_ has passed.
//  - Capacity is a power of two, so it divides 2^32 and i % Capacity stays
//    continuous when the counters wrap.
//  - Capacity >= 2, so Capacity / 2 >= 1: take_half_for_overflow() claims
//    exactly Capacity / 2 Gs of a full ring, which frees at least one slot
//    for the G that did not fit.
//  - A steal takes ceil(k / 2) of k queued Gs: at most Capacity / 2, since k
//    is at most Capacity and Capacity is even. That fits into the thief's
//    own empty ring of the same Capacity. A thief's head_ and tail_ loads
//    are not one snapshot; ceil((tail - head) / 2) > Capacity / 2 means
//    tail - head > Capacity, which never holds at any instant, so the thief
//    reloads head_. (At Capacity 1 a single queued G would already exceed
//    Capacity / 2 = 0, and the thief would loop forever.)
//
// Why a bounded ring and not a growable Chase-Lev deque: FIFO order for the
// owner (Go pops from the head too, so Gs are served in the order they were
// readied), no buffer reallocation and no ABA on buffer pointers, and the
// overflow path doubles as load balancing through the global queue.
//
// Memory ordering (each pair named):
//  - push: slot store (relaxed), then tail_ store RELEASE. Pairs with the
//    ACQUIRE load of tail_ in steal_into(), so a thief that sees the new tail
//    sees the slot. The owner's own pop reads tail_ relaxed: same thread.
//  - consumers read the slot, then CAS head_ with RELEASE. Pairs with the
//    owner's ACQUIRE load of head_ in push(): once the owner sees the slot
//    freed, the consumer's read of it has happened, so overwriting it cannot
//    change the value a consumer took.
//  - A thief may read a slot that the owner is concurrently overwriting (the
//    ring wrapped between its head_ load and its CAS). The CAS then fails and
//    the value is discarded; slots are atomics so that this benign race is
//    not a data race in the C++ model.
// Slot values themselves (the g and its fields) are published by the tail_
// release / acquire pair above.
#ifndef GORO_RUNTIME_INTERNAL_RUN_QUEUE_H_
#define GORO_RUNTIME_INTERNAL_RUN_QUEUE_H_

#include <atomic>
#include <cstdint>

#include "absl/base/optimization.h"
#include "goro/core/internal/g.h"

namespace goro::internal {

template <std::uint32_t Capacity>
class basic_run_queue {
  static_assert(Capacity >= 2,
                "take_half_for_overflow must free a slot, and a steal of one "
                "G must not exceed Capacity / 2");
  static_assert((Capacity & (Capacity - 1)) == 0,
                "a power of two: i % Capacity is continuous across the "
                "uint32 wrap of head_ and tail_");

 public:
  static constexpr std::uint32_t kCapacity = Capacity;

  basic_run_queue() {
    for (auto& s : slots_) s.store(nullptr, std::memory_order_relaxed);
  }
  basic_run_queue(const basic_run_queue&) = delete;
  basic_run_queue& operator=(const basic_run_queue&) = delete;

  // Owner only. Returns false if the ring is full.
  bool push(g* gp) noexcept {
    // ACQUIRE: pairs with consumers' RELEASE CAS on head_ (slot reads done).
    std::uint32_t h = head_.load(std::memory_order_acquire);
    std::uint32_t t = tail_.load(std::memory_order_relaxed);
    if (t - h >= kCapacity) return false;
    slots_[t % kCapacity].store(gp, std::memory_order_relaxed);
    // RELEASE: pairs with the ACQUIRE load of tail_ in steal_into().
    tail_.store(t + 1, std::memory_order_release);
    return true;
  }

  // Owner only. Pops the oldest G, or null.
  g* pop() noexcept {
    std::uint32_t h = head_.load(std::memory_order_acquire);
    for (;;) {
      std::uint32_t t = tail_.load(std::memory_order_relaxed);
      if (t == h) return nullptr;
      g* gp = slots_[h % kCapacity].load(std::memory_order_relaxed);
      // RELEASE: pairs with push()'s ACQUIRE head_ load (slot consumed).
      if (head_.compare_exchange_weak(h, h + 1, std::memory_order_release,
                                      std::memory_order_acquire)) {
        return gp;
      }
    }
  }

  // Owner only, when push() failed: claims the older half of a full ring and
  // writes it to out[0..kCapacity/2). Returns the number claimed (kCapacity/2),
  // or 0 if thieves took some meanwhile (then push() will succeed).
  std::uint32_t take_half_for_overflow(g** out) noexcept {
    std::uint32_t h = head_.load(std::memory_order_acquire);
    std::uint32_t t = tail_.load(std::memory_order_relaxed);
    std::uint32_t n = (t - h) / 2;
    if (n != kCapacity / 2) return 0;
    for (std::uint32_t i = 0; i < n; ++i) {
      out[i] = slots_[(h + i) % kCapacity].load(std::memory_order_relaxed);
    }
    if (!head_.compare_exchange_strong(h, h + n, std::memory_order_release,
                                       std::memory_order_relaxed)) {
      return 0;
    }
    return n;
  }

  // Called by a thief on the victim's queue. Moves half (rounded up) of the
  // victim's Gs into `dst`, which must be the thief's own, empty, queue.
  // Returns the last G moved (not pushed to dst: the thief runs it next),
  // or null if there was nothing to take.
  g* steal_into(basic_run_queue& dst) noexcept {
    std::uint32_t dst_tail = dst.tail_.load(std::memory_order_relaxed);
    std::uint32_t h = head_.load(std::memory_order_acquire);
    for (;;) {
      // ACQUIRE: pairs with the owner's RELEASE store of tail_ in push().
      std::uint32_t t = tail_.load(std::memory_order_acquire);
      std::uint32_t n = t - h;
      n = n - n / 2;
      if (n == 0) return nullptr;
      if (n > kCapacity / 2) {  // read head_ and tail_ at different times
        h = head_.load(std::memory_order_acquire);
        continue;
      }
      for (std::uint32_t i = 0; i < n; ++i) {
        g* gp = slots_[(h + i) % kCapacity].load(std::memory_order_relaxed);
        dst.slots_[(dst_tail + i) % kCapacity].store(gp,
                                                     std::memory_order_relaxed);
      }
      // RELEASE: pairs with the owner's ACQUIRE head_ load in push().
      if (head_.compare_exchange_weak(h, h + n, std::memory_order_release,
                                      std::memory_order_acquire)) {
        --n;
        g* last = dst.slots_[(dst_tail + n) % kCapacity].load(
            std::memory_order_relaxed);
        if (n != 0) {
          // RELEASE: makes the copied slots visible to thieves of dst.
          dst.tail_.store(dst_tail + n, std::memory_order_release);
        }
        return last;
      }
    }
  }

  // Approximate number of queued Gs; exact for the owner.
  std::uint32_t size() const noexcept {
    for (;;) {
      std::uint32_t h = head_.load(std::memory_order_seq_cst);
      std::uint32_t t = tail_.load(std::memory_order_seq_cst);
      if (head_.load(std::memory_order_seq_cst) == h) return t - h;
    }
  }
  bool empty() const noexcept { return size() == 0; }

 private:
  alignas(ABSL_CACHELINE_SIZE) std::atomic<std::uint32_t> head_{0};
  alignas(ABSL_CACHELINE_SIZE) std::atomic<std::uint32_t> tail_{0};
  alignas(ABSL_CACHELINE_SIZE) std::atomic<g*> slots_[kCapacity];
};

// The scheduler's per-P queue.
using run_queue = basic_run_queue<256>;

}  // namespace goro::internal

#endif  // GORO_RUNTIME_INTERNAL_RUN_QUEUE_H_
