// poller: where one idle M sleeps until the earliest timer, or until it is
// woken (Go's netpoll(delay) and netpollBreak, runtime/netpoll_epoll.go).
//
// An epoll instance with an eventfd registered in it. wait_until(deadline)
// blocks in epoll until the deadline passes or wake() writes the eventfd.
// The network poller (a later issue) registers sockets in the same epoll
// instance and gets their readiness from the same wait, so an idle runtime
// keeps exactly one thread in one blocking call whatever it waits for.
//
// Precision. Go passes epoll_wait a timeout in whole milliseconds, rounding
// sub-millisecond delays up to 1 ms; goro uses epoll_pwait2, whose timeout
// is a timespec, and falls back to epoll_wait (rounding up to the next
// millisecond, never down: a timer must not fire early) where that is
// missing (kernels before 5.11) or refused (seccomp profiles that predate
// it answer EPERM). Each M also asks the kernel for 1 ns of timer slack
// (PR_SET_TIMERSLACK; the default is 50 us), see execute.cc (m_main).
//
// Wake-ups are coalesced: `wake_pending_` is set by the first wake() after a
// wait, and only that one writes the eventfd (a system call); later ones see
// it set and return. The sleeper drains the eventfd and clears the flag
// after its wait returns. A wake() that comes before the wait begins leaves
// the eventfd readable, so that wait returns at once. One that comes while
// the sleeper is returning may be absorbed; the caller must re-check its
// condition after every wait (the scheduler does).
// Orderings: wake_pending_'s exchange is ACQ_REL; the eventfd write and the
// epoll wait order the rest (a system call is a full barrier).
#ifndef GORO_RUNTIME_INTERNAL_POLLER_H_
#define GORO_RUNTIME_INTERNAL_POLLER_H_

#include <atomic>
#include <cstdint>

namespace goro::internal {

class poller {
 public:
  // Creates the epoll instance and the eventfd; a failure (no file
  // descriptors left) is a fatal error.
  poller();
  ~poller();
  poller(const poller&) = delete;
  poller& operator=(const poller&) = delete;

  // Blocks until nanotime() >= deadline (kNever: no deadline) or a wake().
  // One thread at a time.
  void wait_until(std::int64_t deadline) noexcept;

  // Ends the current or next wait_until early. Any thread, any time.
  void wake() noexcept;
  // The same without coalescing: always writes the eventfd. For shutdown,
  // whose flag the sleeper reads after clearing wake_pending_ (a plain
  // store that a coalesced wake() could still see set, and skip).
  void wake_always() noexcept;

 private:
  int epfd_ = -1;
  int evfd_ = -1;
  std::atomic<bool> wake_pending_{false};
};

}  // namespace goro::internal

#endif  // GORO_RUNTIME_INTERNAL_POLLER_H_
