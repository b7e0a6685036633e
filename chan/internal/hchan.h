// hchan<T>: the shared state behind goro::chan<T> handles.
//
// Layout. One allocation holds the header and, right after it, the ring
// buffer of `cap` slots of raw storage for T (Go's makechan does the same for
// pointer-free elements). Slots are constructed by a send and destroyed by
// the receive that takes them, so T need not be default-constructible.
//
// Invariants, all under `lock`:
//  - qcount values sit in the buffer, at recvx, recvx+1, ... (mod cap);
//    sendx == (recvx + qcount) mod cap.
//  - recvq non-empty implies qcount == 0: a receiver blocks only on an empty
//    buffer, and a send first hands its value to a blocked receiver.
//  - sendq non-empty implies qcount == cap: a sender blocks only on a full
//    buffer (for cap == 0: always), and a receive first takes from it.
//  - closed implies recvq and sendq are empty: close() wakes them all, and
//    no operation blocks on a closed channel.
// (Select records that already lost their select may sit in either queue
// until someone dequeues or their owner unlinks them; they do not count.)
//
// The operations below run with the lock held and never block; they report
// whether they completed and which waiter, if any, the caller must wake
// once it has released the lock. Moving values across (straight from a
// blocked sender's awaiter into a blocked receiver's, or through the buffer)
// happens here; T's move constructor must not throw, because a half-done
// transfer cannot be undone under the lock.
//
// Lifetime. Handles (goro::chan<T>) count references; the last one to go
// destroys the buffered values and frees the block. A blocked operation
// holds (or borrows from its caller's frame) a handle, so a channel with
// waiters is never destroyed.
#ifndef GORO_CHAN_INTERNAL_HCHAN_H_
#define GORO_CHAN_INTERNAL_HCHAN_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <optional>
#include <type_traits>
#include <utility>

#include "absl/base/attributes.h"
#include "absl/base/thread_annotations.h"
#include "goro/chan/internal/chan_lock.h"
#include "goro/core/internal/waiter.h"

namespace goro::internal {

// The part of a channel that does not depend on T: what select's locking
// and queueing machinery works on.
// Layout: everything an operation touches under the lock shares the first
// cache line; the capacity (read-only) and the reference count (written
// only when handles are copied) sit on the second; the buffer starts on a
// line of its own (hchan<T>::kHeader). With two Ps hammering one channel
// each lock hand-over then moves one line of state plus the slot's line.
struct alignas(64) hchan_base {
  chan_lock lock;
  bool closed ABSL_GUARDED_BY(lock) = false;
  // Written under the lock; read without it by len() (RELAXED: len() is a
  // snapshot, like Go's len(c)).
  std::atomic<std::size_t> qcount{0};
  std::size_t sendx ABSL_GUARDED_BY(lock) = 0;
  std::size_t recvx ABSL_GUARDED_BY(lock) = 0;
  wait_queue recvq ABSL_GUARDED_BY(lock);
  wait_queue sendq ABSL_GUARDED_BY(lock);

  alignas(64) const std::size_t cap;
  std::atomic<std::size_t> refs{1};

  explicit hchan_base(std::size_t capacity) noexcept : cap(capacity) {}
};

// The result of one attempt at an operation under the lock.
enum class chan_attempt : std::uint8_t {
  blocked,  // cannot proceed now; nothing changed
  done,     // completed
  closed,   // send: the channel is closed; receive: closed and drained
};

// Error paths, out of line (chan/internal/chan.cc).
[[noreturn]] void throw_send_on_closed();
[[noreturn]] void throw_close_of_closed();
[[noreturn]] void throw_close_of_nil();
[[noreturn]] void throw_size_out_of_range();
[[noreturn]] void throw_awaited_twice(const char* what);
void* alloc_chan_block(std::size_t bytes, std::size_t align);
void free_chan_block(void* p, std::size_t bytes, std::size_t align) noexcept;

// Channels larger than this many bytes of buffer are refused, the way Go's
// makechan refuses anything above maxAlloc: 2^47 bytes, the user half of
// the x86-64/AArch64 address space.
inline constexpr std::size_t kMaxChanBufferBytes = std::size_t{1} << 47;

template <class T>
class hchan final : public hchan_base {
  static_assert(std::is_nothrow_move_constructible_v<T>,
                "goro::chan<T> requires a T whose move constructor is "
                "noexcept: values are moved while the channel is locked");
  static_assert(std::is_nothrow_destructible_v<T>,
                "goro::chan<T> requires a T whose destructor is noexcept");

 public:
  static hchan* create(std::size_t capacity) {
    static_assert(sizeof(hchan) == sizeof(hchan_base),
                  "the buffer starts right after hchan_base");
    if (capacity > kMaxChanBufferBytes / sizeof(T)) throw_size_out_of_range();
    void* mem = alloc_chan_block(block_bytes(capacity), kAlign);
    return ::new (mem) hchan(capacity);
  }

  void retain() noexcept {
    // RELAXED: a new reference is made from an existing one (shared_ptr's
    // argument).
    refs.fetch_add(1, std::memory_order_relaxed);
  }
  void release() noexcept {
    // ACQ_REL: the last release must see every other holder's writes to
    // the buffer before destroying it; pairs with the other releases.
    if (refs.fetch_sub(1, std::memory_order_acq_rel) == 1) destroy();
  }

  // ---- operations; all require `lock` held -------------------------------

  // Send v. On `done`, *wake is the receiver to wake after unlock (or
  // empty).
  // Always inlined: the hot path of every channel operation, a few dozen
  // instructions once the caller's type and queue are known.
  ABSL_ATTRIBUTE_ALWAYS_INLINE chan_attempt send_locked(
      T& v, wake_token* wake) noexcept ABSL_EXCLUSIVE_LOCKS_REQUIRED(lock) {
    *wake = {};
    if (closed) return chan_attempt::closed;
    if (waiter* r = recvq.dequeue()) {
      // Straight into the blocked receiver (Go's sendDirect).
      static_cast<std::optional<T>*>(r->slot)->emplace(std::move(v));
      r->success = true;
      *wake = r->who;
      return chan_attempt::done;
    }
    const std::size_t n = qcount.load(std::memory_order_relaxed);
    if (n < cap) {
      ::new (static_cast<void*>(slot(sendx))) T(std::move(v));
      if (++sendx == cap) sendx = 0;
      qcount.store(n + 1, std::memory_order_relaxed);
      return chan_attempt::done;
    }
    return chan_attempt::blocked;
  }

  // Receive into out (which must be empty). On `done`, *wake is the sender
  // to wake after unlock (or empty). `closed` leaves out empty.
  ABSL_ATTRIBUTE_ALWAYS_INLINE chan_attempt
  recv_locked(std::optional<T>& out, wake_token* wake) noexcept
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(lock) {
    *wake = {};
    const std::size_t n = qcount.load(std::memory_order_relaxed);
    if (waiter* s = sendq.dequeue()) {
      T& sent = *static_cast<T*>(s->slot);
      if (cap == 0) {
        out.emplace(std::move(sent));  // rendezvous: sender to receiver
      } else {
        // The buffer is full (invariant). Take its head, and put the
        // sender's value in the freed slot, which is now the tail: FIFO is
        // kept and the sender is done, in one step (Go's recv()).
        T* head = slot(recvx);
        out.emplace(std::move(*head));
        head->~T();
        ::new (static_cast<void*>(head)) T(std::move(sent));
        if (++recvx == cap) recvx = 0;
        sendx = recvx;
      }
      s->success = true;
      *wake = s->who;
      return chan_attempt::done;
    }
    if (n > 0) {
      T* head = slot(recvx);
      out.emplace(std::move(*head));
      head->~T();
      if (++recvx == cap) recvx = 0;
      qcount.store(n - 1, std::memory_order_relaxed);
      return chan_attempt::done;
    }
    return closed ? chan_attempt::closed : chan_attempt::blocked;
  }

 private:
  static constexpr std::size_t kAlign = alignof(T) > alignof(hchan_base)
                                            ? alignof(T)
                                            : alignof(hchan_base);
  static constexpr std::size_t kHeader =
      (sizeof(hchan_base) + kAlign - 1) / kAlign * kAlign;
  static std::size_t block_bytes(std::size_t capacity) noexcept {
    return kHeader + capacity * sizeof(T);
  }

  explicit hchan(std::size_t capacity) noexcept : hchan_base(capacity) {}

  T* slot(std::size_t i) noexcept {
    return std::launder(reinterpret_cast<T*>(
        reinterpret_cast<unsigned char*>(this) + kHeader + i * sizeof(T)));
  }

  // The last reference: nobody else can reach the channel, no lock needed.
  void destroy() noexcept ABSL_NO_THREAD_SAFETY_ANALYSIS {
    std::size_t n = qcount.load(std::memory_order_relaxed);
    for (std::size_t i = recvx; n > 0; --n) {
      slot(i)->~T();
      if (++i == cap) i = 0;
    }
    const std::size_t bytes = block_bytes(cap);
    this->~hchan();
    free_chan_block(this, bytes, kAlign);
  }
};

}  // namespace goro::internal

#endif  // GORO_CHAN_INTERNAL_HCHAN_H_
