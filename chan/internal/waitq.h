// chan_waiter and waitq: who is blocked on a channel, and in what order.
//
// A chan_waiter is Go's sudog: the record of one blocked send or receive.
// It lives inside the awaiter object of the blocked operation, that is, in
// the coroutine frame of the waiting G (or on the stack of a plain thread in
// send_blocking/recv_blocking), so blocking allocates nothing. A select
// contributes one record per channel case, all pointing at one shared
// select_state.
//
// Who may touch a record. Its fields are written by its owner before it is
// linked, and afterwards only by a peer holding the channel's lock: the peer
// unlinks it (dequeue), moves the value across (`slot`), sets `success`,
// copies whom to wake into a wake_token, and after releasing the lock wakes
// the owner through the token, never touching the record again (from then
// on it may be destroyed at any moment). The owner reads the fields after it is woken; the wake
// (scheduler::ready's run queue hand-over, or parker's RELEASE/ACQUIRE
// token) orders the peer's writes before those reads.
//
// Select. Several records of one select can be linked on different channels
// at once, but only one may fire. A peer that dequeues a select record must
// win the CAS of select_state::done from 0 to 1 before using it; a loser
// just drops the record (it is already unlinked) and looks at the next. The
// selecting G, once woken, takes each channel's lock in turn and unlinks its
// remaining records (`queued` tells which are still linked). Records stay
// valid until then, because the G cannot run past that step while they are
// linked. This is Go's selectDone protocol (runtime/select.go).
//
// FIFO. Records are appended at the tail and taken from the head, so blocked
// senders and receivers are served in arrival order.
#ifndef GORO_CHAN_INTERNAL_WAITQ_H_
#define GORO_CHAN_INTERNAL_WAITQ_H_

#include <atomic>
#include <cstdint>

#include "goro/core/internal/intrusive_list.h"
#include "goro/core/internal/parker.h"
#include "goro/core/internal/wake_token.h"

namespace goro::internal {

struct g;

struct chan_waiter;

struct select_state {
  // 0 while the select waits; 1 once a case has won. The winner's CAS is
  // ACQ_REL against the other peers' CASes; the owner reads `winner` only
  // after being woken (ordered by the wake).
  std::atomic<std::uint32_t> done{0};
  chan_waiter* winner = nullptr;
};

// 48 bytes on 64-bit targets: a blocked G pays for this in its frame. The
// fields without initializers are set by whoever links the record
// (enqueue, the park commit, block_thread); leaving them alone keeps the
// awaiter's construction, on every channel operation, to a few stores.
struct chan_waiter {
  chan_waiter* next;  // set by enqueue
  chan_waiter* prev;  // set by enqueue
  union {
    g* gp;           // whom to wake: a G (by_thread == false)
    parker* thread;  // or a plain thread's parker
  };
  // send: the T to move from; receive: the std::optional<T> to fill.
  void* slot;
  select_state* sel = nullptr;  // null unless part of a select
  std::uint16_t case_index;     // position in the select's case list
  bool by_thread = false;
  bool is_send = false;  // which queue of its channel it goes on
  bool success = false;  // a peer completed it (false: woken by close)
  bool queued = false;   // linked on a waitq (under the channel lock)
  // For the owner of a single send/receive (blocked_op), which has no
  // other room for them.
  bool started = false;  // awaited already
  bool parked = false;   // linked by the park commit, owner not yet resumed
};

class waitq {
 public:
  bool empty() const noexcept { return list_.empty(); }
  void enqueue(chan_waiter* w) noexcept { list_.push_back(w); }
  // Unlinks w, which must be on this queue.
  void remove(chan_waiter* w) noexcept { list_.remove(w); }

  // The oldest record that may still fire, unlinked; null if none. Select
  // records whose select already fired elsewhere are dropped on the way
  // (see "Select" above); for a select record that is returned, this call
  // won its select, and it is recorded as the winner.
  chan_waiter* dequeue() noexcept {
    for (;;) {
      chan_waiter* w = list_.front();
      if (w == nullptr) return nullptr;
      list_.remove(w);
      if (w->sel == nullptr) return w;
      std::uint32_t expected = 0;
      // ACQ_REL: pairs with the other peers' CASes on the same select.
      if (w->sel->done.compare_exchange_strong(expected, 1,
                                               std::memory_order_acq_rel,
                                               std::memory_order_acquire)) {
        w->sel->winner = w;
        return w;
      }
    }
  }

 private:
  intrusive_list<chan_waiter> list_;
};

inline wake_token token_of(const chan_waiter* w) noexcept {
  return w->by_thread ? wake_token{nullptr, w->thread}
                      : wake_token{w->gp, nullptr};
}

}  // namespace goro::internal

#endif  // GORO_CHAN_INTERNAL_WAITQ_H_
