// waiter and wait_queue: who waits for what, in what order; Go's sudog and
// its queues, one kind for every wait in goro.
//
// A waiter is the record of one waiting G or plain thread: a blocked channel
// send or receive, one case of a select, a mutex, rwmutex, wait group,
// cond or semaphore waiter, a G joining another. It lives in the awaiter of the
// waiting operation, that is, in the waiting G's frame (or on the blocked
// thread's stack), so waiting allocates nothing. A wait_queue is the FIFO of
// waiters of one primitive (a channel has two: senders and receivers), guarded
// by that primitive's lock.
//
// One state machine, under the queue's lock:
//
//     idle --link (push_back/push_front)--> linked
//     linked --grant (dequeue/pop_front/take)--> granted --consume--> idle
//     linked --unlink (remove; a select's losing case)--> idle
//
//  - idle: the owner's alone. The owner fills in `who` (and slot, n, sel)
//    before linking.
//  - linked: on the queue. Only a holder of the queue's lock touches it.
//  - granted: a waker took it off the queue and gave it what it waited for
//    (a channel value moved in or out, a semaphore unit, the mutex in
//    starvation mode, a cond notification). The waker copies `who`, and
//    anything else it needs, while it holds the lock, releases the lock and
//    wakes through the copy: from the unlock on the record may be destroyed
//    at any moment. The owner reads the record again only after its
//    wake-up, which orders the waker's writes before its reads; it then
//    consumes the grant (state back to idle).
//
// One cancel. A waiter whose frame is destroyed while it waits (runtime
// teardown destroys parked Gs) calls cancel() under the queue's lock: a
// linked record is unlinked, and cancel says whether the record had been
// granted instead. A grant that will never be consumed must be passed on
// or undone (a semaphore unit released again, a mutex handed to the next
// waiter, a cond signal given to the next ticket): that one step is all a
// primitive supplies.
//
// Reads of `state` without the lock. An owner asks idle() unlocked in two
// places: after its wake-up (advance, await_resume), where the wake-up
// orders every waker's write before the read; and in the awaiter's
// destructor, which finds the record idle on every path except teardown,
// where the runtime has joined all its Ms first, and runtime.h forbids
// other threads from operating on a primitive a dying runtime's G waits
// on. The answer "not idle" cannot change under a waker anyway: a waker
// only moves a record from linked to granted, or unlinks a losing select
// record while its winner stays granted.
//
// No touch after the last grant. C++ lets a program free a mutex once it
// is unlocked and a cond once every waiter is notified, so a waker that
// grants several records must not touch the primitive (its lock included)
// after the grant that lets the last user go. Wakers therefore take every
// record they grant in one hold of the lock, chain them on a grant_list
// (through `next`: they are off the queue), release the lock once, and only
// then wake them; each record's successor and token are read before its
// owner is woken, since the wake-up lets its frame die.
//
// Select (Go's selectDone, runtime/select.go). Several records of one
// select can be linked on different channels at once, but only one may
// fire. dequeue() must win the CAS of select_state::done from 0 to 1 before
// granting a select record; a loser is unlinked (its select fired
// elsewhere) and dequeue looks at the next. The selecting G unlinks its
// remaining records after its wake-up.
//
// Joins. A G has at most one joiner, so its "queue" is one atomic word
// (g::join_word): linking is the joiner's CAS of its record's address into
// it (a plain store when the joiner owns the joined G outright, join.cc's
// fast path), the grant is the finishing G's exchange of kJoinDone for it (the
// finisher reads `who` and writes nothing into the record), and cancel is
// the joiner's CAS back to kJoinNone, which fails only if the grant came
// first. The owner therefore moves its record's state itself (link_alone,
// granted_alone); runtime/internal/join.cc has the protocol.
//
// Order. FIFO: push_back and take from the head. push_front is for the
// mutex, whose woken waiter that lost the race to a newcomer goes back to
// the head (Go's lifo flag).
#ifndef GORO_CORE_INTERNAL_WAITER_H_
#define GORO_CORE_INTERNAL_WAITER_H_

#include <atomic>
#include <cassert>
#include <cstdint>

#include "goro/core/internal/wake_token.h"

namespace goro::internal {

struct waiter;

struct select_state {
  // 0 while the select waits; 1 once a case has won. The winner's CAS is
  // ACQ_REL against the other peers' CASes; the owner reads `winner` only
  // after being woken (ordered by the wake).
  std::atomic<std::uint32_t> done{0};
  waiter* winner = nullptr;
};

enum class waiter_state : std::uint8_t { idle, linked, granted };

// 56 bytes on 64-bit targets: a blocked G pays for this in its frame. The
// fields without initializers are set by whoever links the record; leaving
// them alone keeps an awaiter's construction, on every operation, to a few
// stores.
struct waiter {
  waiter* next;    // set by the queue
  waiter* prev;    // set by the queue
  wake_token who;  // whom to wake; set by the owner before linking
  union {
    void* slot;      // channel: the T to send from, the optional to fill
    std::int64_t n;  // semaphore weight, or cond ticket
  };
  select_state* sel = nullptr;  // null unless part of a select
  std::uint16_t case_index;     // its case in the select
  waiter_state state = waiter_state::idle;
  bool success = false;   // channel: completed by a peer (false: closed)
  bool signaled = false;  // cond: notified by signal (not broadcast)

  bool idle() const noexcept { return state == waiter_state::idle; }
  bool linked() const noexcept { return state == waiter_state::linked; }
  bool granted() const noexcept { return state == waiter_state::granted; }
  // The owner, after its wake-up, takes what it was granted.
  void consume() noexcept {
    assert(state == waiter_state::granted);
    state = waiter_state::idle;
  }

  // A wait whose queue is one atomic word (a join: the joined G's
  // join_word, runtime/internal/join.cc). The owner makes every transition
  // itself: it links the record before the CAS that publishes it, and
  // learns of the grant (the waker's exchange of the word, which writes
  // nothing into the record) by being woken, or by failing to take the
  // record back.
  void link_alone() noexcept {
    assert(state == waiter_state::idle);
    state = waiter_state::linked;
  }
  void granted_alone() noexcept {
    assert(state == waiter_state::linked);
    state = waiter_state::granted;
  }
  // The owner, resumed: a linked record was granted (that is what woke
  // it), an idle one never waited. Either way it is idle now; one store,
  // no branch, on the path of every join.
  void consume_alone() noexcept {
    assert(state != waiter_state::granted);
    state = waiter_state::idle;
  }
};

class wait_queue {
 public:
  bool empty() const noexcept { return head_ == nullptr; }
  waiter* front() const noexcept { return head_; }

  void push_back(waiter* w) noexcept {
    assert(w->state == waiter_state::idle);
    w->next = nullptr;
    w->prev = tail_;
    if (tail_ != nullptr) {
      tail_->next = w;
    } else {
      head_ = w;
    }
    tail_ = w;
    w->state = waiter_state::linked;
  }

  void push_front(waiter* w) noexcept {
    assert(w->state == waiter_state::idle);
    w->prev = nullptr;
    w->next = head_;
    if (head_ != nullptr) {
      head_->prev = w;
    } else {
      tail_ = w;
    }
    head_ = w;
    w->state = waiter_state::linked;
  }

  // Unlinks w (linked on this queue) without granting it: idle again.
  void remove(waiter* w) noexcept {
    unlink(w);
    w->state = waiter_state::idle;
  }

  // Grants w (linked on this queue): unlinked, granted.
  void take(waiter* w) noexcept {
    unlink(w);
    w->state = waiter_state::granted;
  }

  // Grants the oldest record; null if none. For queues without selects.
  waiter* pop_front() noexcept {
    waiter* w = head_;
    if (w != nullptr) take(w);
    return w;
  }

  // Grants the oldest record that may still fire; null if none. Select
  // records whose select already fired elsewhere are unlinked on the way;
  // for a select record that is returned, this call won its select and
  // recorded it as the winner.
  waiter* dequeue() noexcept {
    for (;;) {
      waiter* w = head_;
      if (w == nullptr) return nullptr;
      if (w->sel == nullptr) {
        take(w);
        return w;
      }
      std::uint32_t expected = 0;
      // ACQ_REL: pairs with the other peers' CASes on the same select.
      if (w->sel->done.compare_exchange_strong(expected, 1,
                                               std::memory_order_acq_rel,
                                               std::memory_order_acquire)) {
        w->sel->winner = w;
        take(w);
        return w;
      }
      remove(w);
    }
  }

  // The one cancel (see "One cancel" above). Under the queue's lock, for a
  // record of this queue's primitive whose owner will never consume it.
  // Returns true if it had been granted: the caller must pass the grant on
  // or undo it. Afterwards the record is idle.
  [[nodiscard]] bool cancel(waiter* w) noexcept {
    switch (w->state) {
      case waiter_state::linked:
        remove(w);
        return false;
      case waiter_state::granted:
        w->state = waiter_state::idle;
        return true;
      case waiter_state::idle:
        break;
    }
    return false;
  }

 private:
  void unlink(waiter* w) noexcept {
    assert(w->state == waiter_state::linked);
    if (w->prev != nullptr) {
      w->prev->next = w->next;
    } else {
      head_ = w->next;
    }
    if (w->next != nullptr) {
      w->next->prev = w->prev;
    } else {
      tail_ = w->prev;
    }
    w->next = w->prev = nullptr;
  }

  waiter* head_ = nullptr;
  waiter* tail_ = nullptr;
};

// Records granted under a queue's lock, woken after it (see "No touch after
// the last grant"). Lives on the waker's stack.
class grant_list {
 public:
  // w has just been granted (taken off its queue) under the lock.
  void push(waiter* w) noexcept {
    assert(w->state == waiter_state::granted);
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
    waiter* w = head_;
    head_ = tail_ = nullptr;
    while (w != nullptr) {
      waiter* next = w->next;  // both read before w's owner may run
      const wake_token t = w->who;
      wake(t);
      w = next;
    }
  }

 private:
  waiter* head_ = nullptr;
  waiter* tail_ = nullptr;
  std::uint32_t size_ = 0;
};

}  // namespace goro::internal

#endif  // GORO_CORE_INTERNAL_WAITER_H_
