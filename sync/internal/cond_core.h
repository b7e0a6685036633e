// cond_core: goro::cond's ticket list; Go's sync.Cond over notifyList
// (src/runtime/sema.go, notifyList*).
//
// Tickets. wait() takes a ticket, an increasing number (wait_ticket),
// *before* it unlocks the caller's mutex, and only then waits for that
// ticket to be notified. signal() notifies the oldest ticket not yet
// notified (notify_ticket, then +1); broadcast() notifies every ticket
// taken so far (notify_ticket = wait_ticket). A waiter whose ticket is
// below notify_ticket has been notified, whether or not it had linked its
// record yet; so:
//  - no wake-up is lost between unlocking the mutex and linking: a signal in
//    that window notifies the ticket, and the waiter, finding it notified,
//    does not park;
//  - order is FIFO by ticket, and broadcast wakes exactly the Gs that called
//    wait() before it (later tickets are not below its notify_ticket);
//  - there are no spurious wake-ups: a record is unlinked only by the
//    signal or broadcast that notified its ticket.
//
// Records are linked in ticket order almost always; a signal looks for the
// record with its ticket, which is normally the head. Since every ticket
// below notify_ticket is notified, the records a broadcast must wake are a
// prefix of the list: those it finds from the head with tickets below its
// notify value.
//
// After the notification, the waiter relocks the mutex (mutex_core's
// multi-step wait) before wait() returns.
//
// Orderings. The ticket counters are read and written under `lock`
// (wait_ticket also atomically, so that signal with no waiters is one load
// of each); the spin lock orders everything else.
#ifndef GORO_SYNC_INTERNAL_COND_CORE_H_
#define GORO_SYNC_INTERNAL_COND_CORE_H_

#include <atomic>
#include <cstdint>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "goro/core/internal/spin_lock.h"
#include "goro/core/internal/waiter.h"
#include "goro/sync/internal/mutex_core.h"
#include "goro/sync/internal/sync_op.h"

namespace goro::internal {

struct cond_core {
  spin_lock lock;
  std::atomic<std::uint64_t> wait_ticket{0};    // next ticket to hand out
  std::atomic<std::uint64_t> notify_ticket{0};  // next ticket to notify
  wait_queue waiters ABSL_GUARDED_BY(lock);
  // Tickets of waiters destroyed at runtime teardown before they were
  // notified; signal skips them (guarded by lock, normally empty).
  std::vector<std::uint64_t> dead_tickets ABSL_GUARDED_BY(lock);

  void signal() noexcept;
  void broadcast() noexcept;
};

// co_await c.wait(m): take a ticket, unlock m, wait for the ticket, relock m.
bool advance_cond_wait(sync_op* op) noexcept;

struct cond_wait_op : sync_op {
  cond_wait_op(cond_core* cc, mutex_core* mc) noexcept
      : sync_op{&advance_cond_wait}, c(cc), m(mc), relock(mc) {}
  void begin() noexcept { stage = kTicket; }
  void cancel() noexcept;

  enum stage_t : int { kTicket, kNotified, kRelock };
  cond_core* c;
  mutex_core* m;
  int stage;
  mutex_lock_op relock;
  waiter w;
};

}  // namespace goro::internal

#endif  // GORO_SYNC_INTERNAL_COND_CORE_H_
