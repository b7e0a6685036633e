// The awaiters behind `co_await ch.send(v)` and `co_await ch.recv()`, and
// the thread-blocking forms send_blocking / recv_blocking.
//
// Protocol of a blocking operation (Go's chansend/chanrecv + gopark with
// chanparkcommit, adapted to goro's publication rule, core/internal/g.h;
// the park itself is core/internal/park.h's):
//
//  1. await_ready takes the channel lock and tries the operation
//     (hchan<T>::send_locked / recv_locked). If it completes, or fails for
//     good (closed), it unlocks, wakes the peer it completed with, and the G
//     goes on without suspending: the uncontended path is one lock, one
//     unlock and no scheduler call.
//  2. Otherwise the lock stays held and await_ready returns false.
//     await_suspend parks the G (park_on): "run commit(this) once my frame
//     is suspended".
//  3. commit, on the M after the frame is suspended, links the waiter record
//     (which lives in this awaiter, in the G's frame) on the channel's queue
//     and releases the lock. From that unlock on, a peer can complete the
//     record and ready the G, which may run and free its frame at once, so
//     commit does not touch the awaiter after the unlock.
//
// No wake-up is lost: the check that found the operation blocked and the
// linking of the record happen in one critical section, and every peer
// looks for records under the same lock. Because the lock is released only
// after the G is parked, a peer can never ready a G that is still running.
//
// A nil channel parks the G forever (Go: "chan send (nil chan)"); teardown
// of the runtime destroys its frame. If a frame is destroyed while its
// record is still linked (the runtime is torn down while the G waits), the
// awaiter's destructor cancels it (core/internal/waiter.h, "One cancel"),
// so the channel, which may live on in other hands, never points into a
// freed frame. A channel has no grant to undo: a value moved into the
// record's slot dies with the frame, one moved out is the receiver's.
#ifndef GORO_CHAN_INTERNAL_CHAN_OPS_H_
#define GORO_CHAN_INTERNAL_CHAN_OPS_H_

#include <coroutine>
#include <optional>
#include <type_traits>
#include <utility>

#include "goro/chan/internal/hchan.h"
#include "goro/core/internal/waiter.h"
#include "goro/runtime/internal/park.h"
#include "goro/runtime/internal/scheduler_ref.h"
#include "goro/task/internal/promise.h"

namespace goro::internal {

// Park commit (chan.cc): link `op`'s record and unlock. (A nil channel
// parks with park_forever, scheduler_ref.h.)
g* commit_blocked_op(void* op, g* gp);

// Blocks the calling thread forever (a blocking op on a nil channel).
[[noreturn]] void block_thread_forever();

// One send or receive, as the awaiters and the blocking forms run it: the
// steps of the protocol above that do not depend on T.
struct blocked_op {
  hchan_base* c;
  waiter w;
  const bool is_send;    // which queue of the channel w goes on
  bool started = false;  // awaited already (a second await is misuse)

  blocked_op(hchan_base* ch, bool send) noexcept : c(ch), is_send(send) {}

  // Requires c->lock (not expressible: the lock crosses calls).
  wait_queue& queue() const noexcept ABSL_NO_THREAD_SAFETY_ANALYSIS {
    return is_send ? c->sendq : c->recvq;
  }

  // Step 1, before the attempt: rejects a second await. Returns false for
  // the nil channel (nothing to lock), true with the lock held otherwise.
  // The channel's lock is taken here and released by settle, by the park
  // commit or by block_thread: a protocol across calls (steps 1-3), which
  // the thread-safety analysis cannot follow; hence the opt-outs below.
  bool begin() ABSL_NO_THREAD_SAFETY_ANALYSIS {
    if (started) {
      throw_awaited_twice(is_send ? "a channel send" : "a channel receive");
    }
    started = true;
    if (c == nullptr) return false;
    c->lock.lock();
    return true;
  }

  // Step 1, after the attempt `r`: true if the operation is over (lock
  // released, peer woken); false if it must wait (lock still held). A send
  // on a closed channel throws.
  bool settle(chan_attempt r, wake_token peer) ABSL_NO_THREAD_SAFETY_ANALYSIS {
    if (r == chan_attempt::blocked) return false;
    c->lock.unlock();
    if (r == chan_attempt::closed) {
      if (is_send) throw_send_on_closed();
      return true;  // a receive on a closed, drained channel: empty
    }
    if (peer) wake(peer);
    w.success = true;
    return true;
  }

  // Step 2 (await_suspend): the trampoline notes. `slot` is the value to
  // send or the optional to receive into.
  template <class Promise>
  void suspend(std::coroutine_handle<Promise> h,
               void* slot) ABSL_NO_THREAD_SAFETY_ANALYSIS {
    if (!runs_as_g(h)) {
      if (c != nullptr) c->lock.unlock();
      throw_not_in_g(is_send ? "co_await on a channel send"
                             : "co_await on a channel receive");
    }
    w.slot = slot;
    if (c == nullptr) {
      park_on(
          h, &park_forever, nullptr,
          is_send ? wait_reason::chan_send_nil : wait_reason::chan_receive_nil);
      return;
    }
    park_on(h, &commit_blocked_op, this,
            is_send ? wait_reason::chan_send : wait_reason::chan_receive);
  }

  // The thread-blocking form of steps 2 and 3: link the record with the
  // thread's parker, unlock and sleep until a peer (or close) completes it.
  // Returns whether a peer completed it (false: closed).
  bool block_thread(void* slot) noexcept ABSL_NO_THREAD_SAFETY_ANALYSIS {
    parker self;
    w.who = wake_token{nullptr, &self};
    w.slot = slot;
    queue().push_back(&w);
    c->lock.unlock();
    self.park();  // ACQUIRE: pairs with wake()'s unpark; w is ours again
    w.consume();
    return w.success;
  }

  // After the wake-up (await_resume): false if the channel was closed on
  // us. (Also after an await_ready that completed: nothing to consume.)
  bool resumed() noexcept {
    if (w.granted()) w.consume();
    return w.success;
  }

  // For the awaiter's destructor: cancels the record if the frame dies
  // while it waits (runtime teardown). Nothing to undo for a channel.
  void cancel() noexcept {
    if (w.idle()) return;
    chan_lock_guard guard(c->lock);
    (void)queue().cancel(&w);
  }
};

template <class T>
class [[nodiscard]] send_awaiter {
 public:
  send_awaiter(hchan<T>* c,
               T v) noexcept(std::is_nothrow_move_constructible_v<T>)
      : op_(c, /*send=*/true), value_(std::move(v)) {}
  send_awaiter(const send_awaiter&) = delete;
  send_awaiter& operator=(const send_awaiter&) = delete;
  ~send_awaiter() { op_.cancel(); }

  ABSL_ATTRIBUTE_ALWAYS_INLINE bool await_ready()
      ABSL_NO_THREAD_SAFETY_ANALYSIS {
    if (!op_.begin()) return false;
    wake_token peer;
    const chan_attempt r = chan()->send_locked(value_, &peer);
    return op_.settle(r, peer);
  }
  template <class Promise>
  void await_suspend(std::coroutine_handle<Promise> h) {
    op_.suspend(h, &value_);
  }
  void await_resume() {
    if (!op_.resumed()) throw_send_on_closed();
  }

  // ch.send_blocking(v) on a plain thread (runtime/internal/blocking.h
  // dispatches).
  void run_blocking() ABSL_NO_THREAD_SAFETY_ANALYSIS {
    if (!op_.begin()) block_thread_forever();
    wake_token peer;
    const chan_attempt r = chan()->send_locked(value_, &peer);
    if (op_.settle(r, peer)) return;
    if (!op_.block_thread(&value_)) throw_send_on_closed();
  }

 private:
  hchan<T>* chan() const noexcept { return static_cast<hchan<T>*>(op_.c); }

  blocked_op op_;
  T value_;
};

template <class T>
class [[nodiscard]] recv_awaiter {
 public:
  explicit recv_awaiter(hchan<T>* c) noexcept : op_(c, /*send=*/false) {}
  recv_awaiter(const recv_awaiter&) = delete;
  recv_awaiter& operator=(const recv_awaiter&) = delete;
  ~recv_awaiter() { op_.cancel(); }

  ABSL_ATTRIBUTE_ALWAYS_INLINE bool await_ready()
      ABSL_NO_THREAD_SAFETY_ANALYSIS {
    if (!op_.begin()) return false;
    wake_token peer;
    const chan_attempt r = chan()->recv_locked(slot_, &peer);
    return op_.settle(r, peer);
  }
  template <class Promise>
  void await_suspend(std::coroutine_handle<Promise> h) {
    op_.suspend(h, &slot_);
  }
  std::optional<T> await_resume() noexcept {
    op_.resumed();  // closed or not, slot_ says what was received
    return std::move(slot_);
  }

  // ch.recv_blocking() on a plain thread (runtime/internal/blocking.h
  // dispatches).
  std::optional<T> run_blocking() ABSL_NO_THREAD_SAFETY_ANALYSIS {
    if (!op_.begin()) block_thread_forever();
    wake_token peer;
    const chan_attempt r = chan()->recv_locked(slot_, &peer);
    if (!op_.settle(r, peer)) {
      op_.block_thread(&slot_);
    }
    return std::move(slot_);
  }

 private:
  hchan<T>* chan() const noexcept { return static_cast<hchan<T>*>(op_.c); }

  blocked_op op_;
  std::optional<T> slot_;
};

}  // namespace goro::internal

#endif  // GORO_CHAN_INTERNAL_CHAN_OPS_H_
