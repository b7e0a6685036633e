// See poller.h.
#include "goro/runtime/internal/poller.h"

#include <errno.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <atomic>

#include "goro/core/internal/fatal.h"
#include "goro/runtime/internal/timer_heap.h"

namespace goro::internal {

namespace {

// Whether epoll_pwait2 can be used; cleared when it is missing or refused.
std::atomic<bool> have_pwait2{true};

}  // namespace

poller::poller() {
  epfd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epfd_ < 0) fatal_errno("epoll_create1");
  evfd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (evfd_ < 0) fatal_errno("eventfd");
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = evfd_;
  if (epoll_ctl(epfd_, EPOLL_CTL_ADD, evfd_, &ev) != 0) {
    fatal_errno("epoll_ctl(eventfd)");
  }
}

poller::~poller() {
  close(evfd_);
  close(epfd_);
}

void poller::wait_until(std::int64_t deadline) noexcept {
  epoll_event events[8];
  for (;;) {
    int n;
    if (deadline == kNever) {
      n = epoll_wait(epfd_, events, 8, -1);
    } else {
      const std::int64_t delay = deadline - nanotime();
      if (delay <= 0) break;
      if (have_pwait2.load(std::memory_order_relaxed)) {
        timespec ts{static_cast<time_t>(delay / 1'000'000'000),
                    static_cast<long>(delay % 1'000'000'000)};
        n = epoll_pwait2(epfd_, events, 8, &ts, nullptr);
        // ENOSYS: a kernel before 5.11. EPERM: a seccomp profile older than
        // the system call (older container runtimes answer unknown calls
        // so). EINVAL: likewise refused. All mean "use epoll_wait".
        if (n < 0 && (errno == ENOSYS || errno == EPERM || errno == EINVAL)) {
          have_pwait2.store(false, std::memory_order_relaxed);
          continue;
        }
      } else {
        // Whole milliseconds, rounded up: never early.
        const std::int64_t ms = (delay + 999'999) / 1'000'000;
        n = epoll_wait(epfd_, events, 8,
                       ms > 0x7fffffff ? 0x7fffffff : static_cast<int>(ms));
      }
    }
    if (n < 0) {
      if (errno == EINTR) continue;
      fatal_errno("epoll_wait");
    }
    bool woken = false;
    for (int i = 0; i < n; ++i) woken |= events[i].data.fd == evfd_;
    if (woken || deadline == kNever) break;
    // n == 0: the timeout. Loop to check the clock: the kernel may wake
    // us a little before the deadline by its own clock's rounding.
  }
  // Drain the eventfd and re-arm wake(). A wake() that lands while this
  // thread is on its way out is absorbed, and that is fine: the scheduler
  // re-reads every heap's earliest timer after each wait (timers.cc,
  // poll), which is what such a wake() asks for.
  std::uint64_t v;
  while (read(evfd_, &v, sizeof v) > 0) {
  }
  wake_pending_.store(false, std::memory_order_release);
}

void poller::wake() noexcept {
  // ACQ_REL: pairs with the sleeper's RELEASE clear above.
  if (wake_pending_.exchange(true, std::memory_order_acq_rel)) return;
  wake_always();
}

void poller::wake_always() noexcept {
  const std::uint64_t one = 1;
  while (write(evfd_, &one, sizeof one) < 0 && errno == EINTR) {
  }
}

}  // namespace goro::internal
