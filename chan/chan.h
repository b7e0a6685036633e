// goro::chan<T>: Go's channels.
//
//   goro::chan<int> ch = goro::make_chan<int>();     // unbuffered
//   goro::go([](goro::chan<int> ch) -> goro::task<> {
//     co_await ch.send(42);                           // waits for a receiver
//     ch.close();
//   }, ch);
//   while (std::optional<int> v = co_await ch.recv()) use(*v);  // Go's range
//
// The handle. chan<T> is a reference to a channel: copies share it (like a
// Go channel value), == compares identity, and the channel lives while any
// handle does. A default-constructed chan<T> is the nil channel. Handles are
// cheap to copy (one atomic increment) and safe to copy, compare and drop
// from any thread; the operations below are safe from any number of Gs and
// threads at once.
//
// T may be move-only and need not be default-constructible; its move
// constructor and destructor must be noexcept (values move while the
// channel is locked). Zero-capacity channels are rendezvous points.
// Awaiting needs alignof(T) <= 128: send(), recv(), send_case() and
// recv_case() do not compile for a T aligned beyond that, because the
// awaitable holds a T in the awaiting coroutine's frame, and frames are
// aligned to at most 128 bytes (goro/task/internal/frame_allocator.h says
// why); send a pointer to it instead. try_send, try_recv, send_blocking and
// recv_blocking take any T.
//
// Operations on a channel ch with capacity cap (Go's semantics throughout;
// chan/README.md lists where goro differs and why):
//
//  co_await ch.send(v)     Sends v (copied or moved into the operation when
//                          send() is called). If a receiver is waiting, v
//                          goes straight to it; else, if fewer than cap
//                          values are buffered, into the buffer; else the G
//                          waits (FIFO among senders) until a receiver takes
//                          it. Throws channel_error("send on closed channel")
//                          if the channel is closed, also if it is closed
//                          while the G waits. Nil channel: waits forever.
//  co_await ch.recv()      Receives: std::optional<T> with the oldest
//                          buffered value, or a waiting sender's value, or,
//                          once the channel is closed and drained, an empty
//                          optional at once, forever (Go's v, ok := <-ch).
//                          Otherwise waits (FIFO among receivers). Nil
//                          channel: waits forever.
//  ch.try_send(v)          Sends only if that needs no waiting; returns
//                          whether it sent. An rvalue v is moved from only on
//                          success. Throws like send on a closed channel.
//                          (Go: select { case ch <- v: default: }.)
//  ch.try_recv()           Receives only if that needs no waiting. Returns a
//                          goro::try_recv_result<T>, a std::optional<T> that
//                          holds the value if one was received, and whose
//                          closed() tells "closed and drained" apart from
//                          "nothing yet". Never blocks.
//  ch.close()              Closes: buffered values stay receivable; every
//                          waiting receiver gets an empty optional and every
//                          waiting sender gets channel_error. Throws
//                          channel_error("close of closed channel") the
//                          second time and ("close of nil channel") on nil.
//  ch.len(), ch.cap()      Buffered values now (a snapshot), and the
//                          capacity. Both 0 for unbuffered and nil channels.
//  ch.recv_case(),         Cases for goro::select (goro/chan/select.h).
//  ch.send_case(v)
//
// Waiting never blocks the thread: the G parks and the M runs other Gs. The
// G woken by a send or receive is put in the waker's P's runnext slot, so a
// pair of Gs talking over a channel runs back to back on one P.
//
// Code that cannot co_await uses
//  ch.send_blocking(v), ch.recv_blocking()
// which have the semantics of send and recv and wait in the way the
// caller can:
//  - on a plain thread (legacy code, producers outside any runtime) they
//    block the OS thread; they interoperate with Gs on the same channel;
//  - on a fiber (goro::go_stackful, goro/fiber/stackful.h) they suspend the
//    fiber like goro::await(ch.send(v)): the M runs other Gs meanwhile;
//  - in a stackless G they throw std::logic_error (there is no stack to
//    suspend, and blocking would stall the M and every G behind it); use
//    co_await there.
//
// Memory model (Go's): a send happens before the receive that takes its
// value completes; a receive from an unbuffered channel happens before the
// matching send completes; the k-th receive from a channel of capacity C
// happens before the (k+C)-th send completes; close happens before a
// receive that returns empty because of it.
//
// An awaitable returned by send()/recv() refers to the channel of the handle
// it was made from: await it within the full expression (as
// `co_await ch.recv()` does), and at most once (a second co_await throws
// std::logic_error). Awaited from a goro::task that is not running as a G
// (driven by a foreign coroutine type), an operation that can complete at
// once does; one that would have to wait throws std::logic_error instead.
//
// Channels belong to no runtime: Gs of several runtimes and plain threads
// may share one. A runtime must not be destroyed while something outside it
// may still be completing an operation on a channel that one of its Gs
// waits on (goro/runtime/runtime.h). T's move constructor and destructor
// run with the channel locked and must not use the same channel.
#ifndef GORO_CHAN_CHAN_H_
#define GORO_CHAN_CHAN_H_

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <type_traits>
#include <utility>

#include "goro/chan/channel_error.h"
#include "goro/chan/internal/chan_ops.h"
#include "goro/chan/internal/hchan.h"
#include "goro/chan/internal/select_cases.h"
#include "goro/runtime/internal/blocking.h"
#include "goro/task/internal/frame_allocator.h"

namespace goro {

// What ch.try_recv() returns: a std::optional<T> (engaged iff a value was
// received) that also says whether the channel was closed and drained.
template <class T>
class try_recv_result : public std::optional<T> {
 public:
  try_recv_result() noexcept = default;
  // True iff nothing was received because the channel is closed and
  // drained (false when a value was received or the channel was merely
  // empty).
  bool closed() const noexcept { return closed_; }

 private:
  template <class>
  friend class chan;
  bool closed_ = false;
};

template <class T>
class chan {
  static_assert(!std::is_reference_v<T> && !std::is_void_v<T> &&
                    !std::is_const_v<T>,
                "goro::chan<T>: T must be a non-const object type");

 public:
  using value_type = T;

  // The nil channel.
  chan() noexcept = default;
  chan(const chan& o) noexcept : c_(o.c_) {
    if (c_ != nullptr) c_->retain();
  }
  chan(chan&& o) noexcept : c_(std::exchange(o.c_, nullptr)) {}
  chan& operator=(const chan& o) noexcept {
    chan(o).swap(*this);
    return *this;
  }
  chan& operator=(chan&& o) noexcept {
    chan(std::move(o)).swap(*this);
    return *this;
  }
  ~chan() {
    if (c_ != nullptr) c_->release();
  }
  void swap(chan& o) noexcept { std::swap(c_, o.c_); }

  // False for the nil channel.
  explicit operator bool() const noexcept { return c_ != nullptr; }
  friend bool operator==(const chan& a, const chan& b) noexcept {
    return a.c_ == b.c_;
  }

  // The awaitables (send, recv and the select cases) hold a T and live in
  // the awaiting coroutine's frame: alignof(T) <= 128 (frame_allocator.h).
  [[nodiscard]] internal::send_awaiter<T> send(T v) const
      noexcept(std::is_nothrow_move_constructible_v<T>) {
    static_assert(internal::check_frame_alignment<T>());
    return internal::send_awaiter<T>(c_, std::move(v));
  }
  [[nodiscard]] internal::recv_awaiter<T> recv() const noexcept {
    static_assert(internal::check_frame_alignment<T>());
    return internal::recv_awaiter<T>(c_);
  }

  bool try_send(const T& v) const
    requires std::copy_constructible<T>
  {
    if (c_ == nullptr) return false;
    T copy(v);
    return try_send_impl(copy);
  }
  bool try_send(T&& v) const {
    if (c_ == nullptr) return false;
    return try_send_impl(v);
  }

  [[nodiscard]] try_recv_result<T> try_recv() const {
    try_recv_result<T> out;
    if (c_ == nullptr) return out;
    internal::wake_token peer;
    c_->lock.lock();
    const internal::chan_attempt r = c_->recv_locked(out, &peer);
    c_->lock.unlock();
    if (peer) internal::wake(peer);
    out.closed_ = r == internal::chan_attempt::closed;
    return out;
  }

  void close() const;

  std::size_t len() const noexcept {
    return c_ == nullptr ? 0 : c_->qcount.load(std::memory_order_relaxed);
  }
  std::size_t cap() const noexcept { return c_ == nullptr ? 0 : c_->cap; }

  void send_blocking(T v) const {
    internal::send_awaiter<T> aw(c_, std::move(v));
    internal::block_here(aw, "chan::send_blocking()",
                         [&aw] { aw.run_blocking(); });
  }
  [[nodiscard]] std::optional<T> recv_blocking() const {
    internal::recv_awaiter<T> aw(c_);
    return internal::block_here(aw, "chan::recv_blocking()",
                                [&aw] { return aw.run_blocking(); });
  }

  // Cases for goro::select. From an lvalue handle the case borrows the
  // channel (keep the handle alive until the select returns); from an
  // rvalue handle it takes the handle's reference along.
  [[nodiscard]] internal::recv_select_case<T> recv_case() const& noexcept {
    static_assert(internal::check_frame_alignment<T>());
    return {c_, false};
  }
  [[nodiscard]] internal::recv_select_case<T> recv_case() && noexcept {
    static_assert(internal::check_frame_alignment<T>());
    return {std::exchange(c_, nullptr), true};
  }
  [[nodiscard]] internal::send_select_case<T> send_case(T v) const& noexcept(
      std::is_nothrow_move_constructible_v<T>) {
    static_assert(internal::check_frame_alignment<T>());
    return {c_, false, std::move(v)};
  }
  [[nodiscard]] internal::send_select_case<T> send_case(T v) && noexcept(
      std::is_nothrow_move_constructible_v<T>) {
    static_assert(internal::check_frame_alignment<T>());
    return {std::exchange(c_, nullptr), true, std::move(v)};
  }

  // For std::hash and diagnostics: the channel's identity.
  const void* id() const noexcept { return c_; }

 private:
  template <class U, std::integral I>
  friend chan<U> make_chan(I capacity);

  explicit chan(internal::hchan<T>* c) noexcept : c_(c) {}

  bool try_send_impl(T& v) const {
    internal::wake_token peer;
    c_->lock.lock();
    const internal::chan_attempt r = c_->send_locked(v, &peer);
    c_->lock.unlock();
    switch (r) {
      case internal::chan_attempt::done:
        if (peer) internal::wake(peer);
        return true;
      case internal::chan_attempt::closed:
        internal::throw_send_on_closed();
      case internal::chan_attempt::blocked:
        break;
    }
    return false;
  }

  internal::hchan<T>* c_ = nullptr;
};

// Makes a channel with room for `capacity` buffered values (0: unbuffered).
// Throws channel_error("makechan: size out of range") if capacity is
// negative or the buffer could not fit in memory; std::bad_alloc if the
// memory is not there.
template <class T, std::integral I = int>
[[nodiscard]] chan<T> make_chan(I capacity = 0) {
  if constexpr (std::is_signed_v<I>) {
    if (capacity < 0) internal::throw_size_out_of_range();
  }
  if (static_cast<std::uintmax_t>(capacity) >
      std::numeric_limits<std::size_t>::max()) {
    internal::throw_size_out_of_range();
  }
  return chan<T>(
      internal::hchan<T>::create(static_cast<std::size_t>(capacity)));
}

namespace internal {
// Closes c (non-null): marks it closed and wakes every waiter, outside the
// lock. Out of line: it is not on any hot path.
void close_chan(hchan_base* c);
}  // namespace internal

template <class T>
void chan<T>::close() const {
  if (c_ == nullptr) internal::throw_close_of_nil();
  internal::close_chan(c_);
}

}  // namespace goro

template <class T>
struct std::hash<goro::chan<T>> {
  std::size_t operator()(const goro::chan<T>& ch) const noexcept {
    return std::hash<const void*>{}(ch.id());
  }
};

#endif  // GORO_CHAN_CHAN_H_
