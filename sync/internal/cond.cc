// goro::cond's wait, signal and broadcast. The protocol is described in
// cond_core.h.
#include "goro/sync/cond.h"

#include <algorithm>
#include <cstdint>

#include "goro/sync/internal/cond_core.h"

namespace goro::internal {

void cond_wait_op::cancel() noexcept {
  if (!w.idle()) {
    bool pass_on = false;
    {
      spin_lock_guard guard(c->lock);
      if (c->waiters.cancel(&w)) {
        // Notified, but destroyed before it could run. A broadcast woke
        // the others anyway; a signal meant "wake one", and that one is
        // gone, so hand the signal to the next waiter.
        pass_on = w.signaled;
      } else {
        // Never notified: its ticket must not swallow a later signal.
        // (Teardown only; if this allocation fails, noexcept terminates.)
        c->dead_tickets.push_back(static_cast<std::uint64_t>(w.n));
      }
    }
    if (pass_on) c->signal();
  }
  relock.cancel();
}

bool advance_cond_wait(sync_op* base) noexcept {
  auto* op = static_cast<cond_wait_op*>(base);
  cond_core* c = op->c;
  switch (op->stage) {
    case cond_wait_op::kTicket: {
      // Runs once, from the park commit: the G is suspended, so unlocking
      // may ready another G without any risk to ours.
      op->w.n = static_cast<std::int64_t>(
          c->wait_ticket.fetch_add(1, std::memory_order_relaxed));
      op->m->unlock();
      c->lock.lock();
      if (static_cast<std::uint64_t>(op->w.n) <
          c->notify_ticket.load(std::memory_order_relaxed)) {
        c->lock.unlock();  // notified already: do not park
      } else {
        op->stage = cond_wait_op::kNotified;
        op->w.who = op->self;
        c->waiters.push_back(&op->w);
        c->lock.unlock();  // publishes the G: op may be gone from here on
        return false;
      }
      [[fallthrough]];
    }
    case cond_wait_op::kNotified:
      if (op->w.granted()) op->w.consume();
      op->stage = cond_wait_op::kRelock;
      if (op->m->try_lock_fast()) return true;
      op->relock.begin();
      op->relock.self = op->self;
      [[fallthrough]];
    default:  // kRelock
      return advance_mutex_lock(&op->relock);
  }
}

void cond_core::signal() noexcept {
  // Nobody waiting and nothing to notify: one load of each counter.
  if (wait_ticket.load(std::memory_order_relaxed) ==
      notify_ticket.load(std::memory_order_relaxed)) {
    return;
  }
  wake_token to_wake;
  {
    spin_lock_guard guard(lock);
    std::uint64_t t = notify_ticket.load(std::memory_order_relaxed);
    const std::uint64_t end = wait_ticket.load(std::memory_order_relaxed);
    // Skip the tickets of waiters that died waiting (teardown).
    while (t != end && !dead_tickets.empty()) {
      auto it = std::find(dead_tickets.begin(), dead_tickets.end(), t);
      if (it == dead_tickets.end()) break;
      dead_tickets.erase(it);
      ++t;
    }
    if (t == end) {
      notify_ticket.store(t, std::memory_order_relaxed);
      return;
    }
    notify_ticket.store(t + 1, std::memory_order_relaxed);
    for (waiter* w = waiters.front(); w != nullptr; w = w->next) {
      if (static_cast<std::uint64_t>(w->n) == t) {
        waiters.take(w);
        w->signaled = true;
        to_wake = w->who;
        break;
      }
    }
    // Not found: the ticket's owner has not linked its record yet; it will
    // find the ticket notified and not park.
  }
  if (to_wake) wake(to_wake);
}

void cond_core::broadcast() noexcept {
  if (wait_ticket.load(std::memory_order_relaxed) ==
      notify_ticket.load(std::memory_order_relaxed)) {
    return;
  }
  // Every notified record unlinked in the same hold of the lock that
  // notifies the tickets, the wake-ups after it: the last woken G may free
  // the cond as soon as it runs (core/internal/waiter.h, "No touch after the
  // last grant").
  grant_list woken;
  {
    spin_lock_guard guard(lock);
    const std::uint64_t limit = wait_ticket.load(std::memory_order_relaxed);
    notify_ticket.store(limit, std::memory_order_relaxed);
    dead_tickets.clear();  // all below limit: notified now
    for (;;) {
      waiter* w = waiters.front();
      if (w == nullptr || static_cast<std::uint64_t>(w->n) >= limit) break;
      waiters.take(w);
      w->signaled = false;
      woken.push(w);
    }
  }
  woken.wake_all();
}

}  // namespace goro::internal
