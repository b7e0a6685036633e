// sync_waiter and wait_queue: who waits on a sync primitive, in what order.
//
// A sync_waiter is the record of one waiting G or thread (Go's sudog in
// runtime/sema.go). Like a channel's waiter record it lives in the awaiter,
// inside the waiting G's frame (or on a blocked thread's stack), so waiting
// allocates nothing.
//
// Who may touch a record. Its owner fills it in before linking it; once it
// is linked, only a holder of the queue's lock touches it: a waker unlinks
// it (whatever the owner was waiting for is now the owner's: a semaphore
// count, the mutex in starvation mode, a semaphore's weight, a cond
// notification), copies `who` into a wake_token, releases the lock and
// wakes through the copy (core/internal/wake_token.h). The owner reads
// the record again only after its wake-up, which orders the waker's writes
// before the reads; or, at teardown, under the queue's lock (`queued` says
// whether a waker got there first).
//
// No touch after the last grant. C++ lets a program free a mutex once it
// is unlocked and a cond once every waiter is notified, so a waker that
// grants several records must not touch the primitive (its lock included)
// after the grant that lets the last user go. Wakers therefore unlink every
// record they grant in one hold of the lock, chain them on a grant_list
// (through `next`: they are off the queue), release the lock once, and only
// then wake them; each record's successor and token are read before the
// record's owner is woken, since the wake-up lets its frame die.
//
// Order. A queue is FIFO (push_back, pop_front); push_front exists for the
// mutex, whose woken waiter that lost the race to a newcomer goes back to
// the head (Go's lifo flag), so it is not pushed behind later arrivals.
#ifndef GORO_SYNC_INTERNAL_WAIT_QUEUE_H_
#define GORO_SYNC_INTERNAL_WAIT_QUEUE_H_

#include <cstdint>

#include "goro/core/internal/intrusive_list.h"
#include "goro/core/internal/wake_token.h"

namespace goro::internal {

// The fields have no initializers: a record is filled in only when a wait
// actually links it (the uncontended paths construct one and never use it).
struct sync_waiter {
  sync_waiter* next;  // set by push_back/push_front
  sync_waiter* prev;
  wake_token who;     // whom to wake; set by the owner before linking
  std::int64_t n;     // semaphore weight, or cond ticket; set by the owner
  bool queued;        // linked on a queue (under its lock); set by push/remove
  bool signaled;      // cond only: notified by signal (not broadcast)
};

class wait_queue : public intrusive_list<sync_waiter> {
 public:
  // Unlinks the oldest record; null if none.
  sync_waiter* pop_front() noexcept {
    sync_waiter* w = front();
    if (w != nullptr) remove(w);
    return w;
  }
};

// Records granted under a queue's lock, woken after it (see "No touch after
// the last grant" above). Lives on the waker's stack.
class grant_list {
 public:
  // w has just been unlinked from its queue under the lock.
  void push(sync_waiter* w) noexcept {
    w->next = nullptr;
    if (tail_ != nullptr) {
      tail_->next = w;
    } else {
      head_ = w;
    }
    tail_ = w;
    ++size_;
  }
  std::uint32_t size() const noexcept { return size_; }

  // Call after releasing the queue's lock; touches only the records.
  void wake_all() noexcept {
    sync_waiter* w = head_;
    head_ = tail_ = nullptr;
    while (w != nullptr) {
      sync_waiter* next = w->next;  // both read before w's owner may run
      const wake_token t = w->who;
      wake(t);
      w = next;
    }
  }

 private:
  sync_waiter* head_ = nullptr;
  sync_waiter* tail_ = nullptr;
  std::uint32_t size_ = 0;
};

}  // namespace goro::internal

#endif  // GORO_SYNC_INTERNAL_WAIT_QUEUE_H_
