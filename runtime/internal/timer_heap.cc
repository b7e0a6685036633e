// See timer_heap.h.
#include "goro/runtime/internal/timer_heap.h"

#include <sched.h>

#include "goro/core/internal/futex.h"

namespace goro::internal {

void timer::wait_not_running() const noexcept {
  // ACQUIRE: pairs with the firing's RELEASE decrement.
  for (int i = 0; running.load(std::memory_order_acquire) != 0; ++i) {
    if (i < 100) {
      cpu_relax();
    } else {
      sched_yield();
    }
  }
}

namespace {
constexpr std::uint32_t kArity = 4;  // Go's timer heap is 4-ary too
}  // namespace

bool timer_heap::add(timer* t, std::int64_t when) {
  spin_lock_guard guard(lock_);
  t->when = when;
  t->index = static_cast<std::uint32_t>(heap_.size());
  heap_.push_back(t);
  // RELEASE: pairs with stop()'s ACQUIRE load.
  t->heap.store(this, std::memory_order_release);
  sift_up_locked(t->index);
  publish_earliest_locked();
  return heap_[0] == t;
}

bool timer_heap::stop(timer* t) noexcept {
  for (;;) {
    // ACQUIRE: pairs with the RELEASE stores of add and of the firing.
    timer_heap* h = t->heap.load(std::memory_order_acquire);
    if (h == nullptr) return false;
    spin_lock_guard guard(h->lock_);
    if (t->heap.load(std::memory_order_relaxed) != h) continue;  // moved
    h->remove_at_locked(t->index);
    t->heap.store(nullptr, std::memory_order_release);
    h->publish_earliest_locked();
    return true;
  }
}

int timer_heap::run_expired(std::int64_t now) {
  int ran = 0;
  for (;;) {
    lock_.lock();
    if (heap_.empty() || heap_[0]->when > now) {
      lock_.unlock();
      return ran;
    }
    timer* t = heap_[0];
    const bool skip =
        t->period > 0 && t->running.load(std::memory_order_relaxed) != 0;
    // Counted in before `heap` can read null (see the header).
    if (t->waitable && !skip) {
      t->running.fetch_add(1, std::memory_order_relaxed);
    }
    if (t->period > 0) {
      // Stays armed: the next due time after now, skipping the periods a
      // late run missed (a slow reader of a ticker loses ticks, as in Go).
      const std::int64_t late = now - t->when;
      const std::int64_t periods = 1 + late / t->period;
      const std::int64_t step =
          periods > kNever / t->period ? kNever : periods * t->period;
      t->when = deadline_after(t->when, step);
      sift_down_locked(0);
    } else {
      remove_at_locked(0);
      t->heap.store(nullptr, std::memory_order_release);
    }
    publish_earliest_locked();
    lock_.unlock();
    // A periodic timer whose previous firing is still running (its M was
    // descheduled for a whole period) just moves on: one firing at a time,
    // so ticks never arrive out of order. That tick is dropped, as a tick
    // for a slow reader is.
    if (skip) continue;
    // A waitable timer's fn counts the firing out itself (timer_heap.h).
    t->fn(t, timer_event::fired, now);
    ++ran;
  }
}

void timer_heap::detach_all() noexcept {
  for (;;) {
    timer* t;
    {
      spin_lock_guard guard(lock_);
      if (heap_.empty()) return;
      t = heap_.back();
      heap_.pop_back();
      t->heap.store(nullptr, std::memory_order_release);
      publish_earliest_locked();
    }
    t->fn(t, timer_event::detached, 0);
  }
}

void timer_heap::remove_at_locked(std::uint32_t i) noexcept {
  const std::uint32_t last = static_cast<std::uint32_t>(heap_.size()) - 1;
  if (i != last) {
    heap_[i] = heap_[last];
    heap_[i]->index = i;
  }
  heap_.pop_back();
  if (i < heap_.size()) {
    timer* moved = heap_[i];
    sift_up_locked(i);
    if (moved->index == i) sift_down_locked(i);
  }
}

void timer_heap::sift_up_locked(std::uint32_t i) noexcept {
  timer* t = heap_[i];
  while (i > 0) {
    const std::uint32_t parent = (i - 1) / kArity;
    if (heap_[parent]->when <= t->when) break;
    heap_[i] = heap_[parent];
    heap_[i]->index = i;
    i = parent;
  }
  heap_[i] = t;
  t->index = i;
}

void timer_heap::sift_down_locked(std::uint32_t i) noexcept {
  const std::uint32_t n = static_cast<std::uint32_t>(heap_.size());
  timer* t = heap_[i];
  for (;;) {
    const std::uint32_t first = i * kArity + 1;
    if (first >= n) break;
    std::uint32_t best = first;
    const std::uint32_t end = first + kArity < n ? first + kArity : n;
    for (std::uint32_t c = first + 1; c < end; ++c) {
      if (heap_[c]->when < heap_[best]->when) best = c;
    }
    if (heap_[best]->when >= t->when) break;
    heap_[i] = heap_[best];
    heap_[i]->index = i;
    i = best;
  }
  heap_[i] = t;
  t->index = i;
}

void timer_heap::publish_earliest_locked() noexcept {
  const std::int64_t e = heap_.empty() ? kNever : heap_[0]->when;
  const std::int64_t old = earliest_.load(std::memory_order_relaxed);
  if (e < old) {
    // seq_cst: an earlier timer is step 1 of the adder in the timer
    // handshake (c) (timers.cc); a sleeping M must see it.
    earliest_.store(e, std::memory_order_seq_cst);
  } else if (e != old) {
    // Later (or none): nobody needs waking for that; a reader that sees
    // the old value only wakes early and looks again.
    earliest_.store(e, std::memory_order_release);
  }
}

}  // namespace goro::internal
