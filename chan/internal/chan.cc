// The out-of-line parts of channels and select: the slow paths (contended
// lock, close, errors), the park commit functions and select's non-template
// passes. The protocols are described in the headers next to this file.
#include <sched.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <new>
#include <stdexcept>
#include <string>

#include "goro/chan/channel_error.h"
#include "goro/chan/internal/chan_ops.h"
#include "goro/chan/internal/hchan.h"
#include "goro/chan/internal/select_op.h"
#include "goro/core/internal/futex.h"
#include "goro/core/internal/g.h"
#include "goro/core/internal/parker.h"
#include "goro/core/internal/waiter.h"
#include "goro/runtime/internal/scheduler.h"

namespace goro::internal {

g* commit_blocked_op(void* arg, g* gp) ABSL_NO_THREAD_SAFETY_ANALYSIS {
  auto* op = static_cast<blocked_op*>(arg);
  hchan_base* c = op->c;
  op->w.who = wake_token{gp, nullptr};
  op->queue().push_back(&op->w);
  c->lock.unlock();  // publishes gp: op may be gone from here on
  return nullptr;
}

void block_thread_forever() {
  parker never;
  for (;;) never.park();
}

// ------------------------------------------------------------------ close

void close_chan(hchan_base* c) {
  // Every waiter granted under the lock and woken after it (Go's closechan
  // does the same; core/internal/waiter.h, "No touch after the last
  // grant": a woken G may drop the last handle at once).
  grant_list granted;
  {
    chan_lock_guard guard(c->lock);
    if (c->closed) throw_close_of_closed();
    c->closed = true;
    // Every waiting receiver gets an empty optional (its slot stays empty),
    // every waiting sender channel_error (success stays false).
    for (wait_queue* q : {&c->recvq, &c->sendq}) {
      while (waiter* w = q->dequeue()) {
        w->success = false;
        granted.push(w);
      }
    }
  }
  granted.wake_all();
}

// ------------------------------------------------------------------ select

namespace {
// wyrand (Wang Yi's PRNG): one multiply per number, good enough for
// choosing among select cases, and per thread, so selects on different
// threads do not share a cache line.
thread_local std::uint64_t tls_rand_state = 0;
}  // namespace

// noinline: a coroutine that resumes on another thread must not use a
// cached address of the previous thread's state. The compiler may compute
// a thread_local's address once per function and keep it across a
// co_await, after which the coroutine may run on another thread; a call it
// cannot inline computes the address afresh.
[[gnu::noinline]] std::uint64_t fastrand64() noexcept {
  std::uint64_t s = tls_rand_state;
  if (s == 0) {
    // Seed from the state's own address (distinct per thread) and the
    // clock.
    s = reinterpret_cast<std::uintptr_t>(&tls_rand_state) ^
        static_cast<std::uint64_t>(
            std::chrono::steady_clock::now().time_since_epoch().count());
  }
  s += 0xa0761d6478bd642fULL;
  tls_rand_state = s;
  const __uint128_t m =
      static_cast<__uint128_t>(s) * (s ^ 0xe7037ed1a0b428dbULL);
  return static_cast<std::uint64_t>(m >> 64) ^ static_cast<std::uint64_t>(m);
}

namespace {
std::uint32_t sort_lock_order(hchan_base** order, std::uint32_t n) noexcept {
  // Insertion sort: selects have a handful of cases, and std::sort's
  // set-up costs more than the sort itself at that size.
  for (std::uint32_t i = 1; i < n; ++i) {
    hchan_base* c = order[i];
    std::uint32_t j = i;
    for (; j > 0 && std::less<hchan_base*>{}(c, order[j - 1]); --j) {
      order[j] = order[j - 1];
    }
    order[j] = c;
  }
  std::uint32_t out = 1;  // drop duplicates (a channel in several cases)
  for (std::uint32_t i = 1; i < n; ++i) {
    if (order[i] != order[out - 1]) order[out++] = order[i];
  }
  return out;
}

}  // namespace

std::uint32_t lock_select(hchan_base** order, std::uint32_t n) noexcept
    ABSL_NO_THREAD_SAFETY_ANALYSIS {
  std::uint32_t i = 0;
  while (i < n && order[i]->lock.try_lock()) ++i;
  if (i == n) return n;
  unlock_all(order, i);
  n = sort_lock_order(order, n);
  for (i = 0; i < n; ++i) order[i]->lock.lock();
  return n;
}

void unlock_all(hchan_base* const* order,
                std::uint32_t n) noexcept ABSL_NO_THREAD_SAFETY_ANALYSIS {
  for (std::uint32_t i = n; i > 0; --i) order[i - 1]->lock.unlock();
}

g* commit_select(void* arg, g* gp) ABSL_NO_THREAD_SAFETY_ANALYSIS {
  auto* core = static_cast<select_core*>(arg);
  for (std::uint32_t i = 0; i < core->nslots; ++i) {
    select_slot& s = core->slots[core->perm[i]];
    waiter* w = s.w;
    w->who = wake_token{gp, nullptr};
    w->slot = s.slot;
    w->sel = &core->sel;
    w->case_index = static_cast<std::uint16_t>(s.case_index);
    w->success = false;
    (s.is_send ? s.c->sendq : s.c->recvq).push_back(w);
  }
  // Reverse lock order, the first channel locked last (see "Why pass 2 may
  // read the awaiter" in select_op.h). Nothing of *core is read after that
  // unlock.
  hchan_base* const* order = core->order;
  std::uint32_t n = core->nlocks;
  while (n > 1) order[--n]->lock.unlock();
  hchan_base* last = order[0];
  last->lock.unlock();
  return nullptr;
}

void unlink_select(select_core* core) noexcept {
  waiter* winner = core->sel.winner;
  for (std::uint32_t i = 0; i < core->nslots; ++i) {
    select_slot& s = core->slots[i];
    if (s.w == winner) {  // off its queue already: the owner's
      if (s.w->granted()) s.w->consume();
      continue;
    }
    chan_lock_guard guard(s.c->lock);
    (void)(s.is_send ? s.c->sendq : s.c->recvq).cancel(s.w);
  }
}

bool select_parked(const select_core* core) noexcept {
  for (std::uint32_t i = 0; i < core->nslots; ++i) {
    if (!core->slots[i].w->idle()) return true;
  }
  return false;
}

// ------------------------------------------------------------------ errors

void throw_send_on_closed() {
  throw goro::channel_error("send on closed channel");
}
void throw_close_of_closed() {
  throw goro::channel_error("close of closed channel");
}
void throw_close_of_nil() { throw goro::channel_error("close of nil channel"); }
void throw_size_out_of_range() {
  throw goro::channel_error("makechan: size out of range");
}
void throw_awaited_twice(const char* what) {
  throw std::logic_error(std::string("goro: ") + what +
                         " was awaited twice (each awaitable is awaited "
                         "once)");
}
void throw_select_value_of_unfired(std::size_t wanted, std::size_t fired) {
  throw std::logic_error("goro: select_result::value<" +
                         std::to_string(wanted) + ">() but case " +
                         std::to_string(fired) + " fired");
}

// ------------------------------------------------------------------ memory

void* alloc_chan_block(std::size_t bytes, std::size_t align) {
  return ::operator new(bytes, std::align_val_t(align));
}

void free_chan_block(void* p, std::size_t bytes, std::size_t align) noexcept {
  ::operator delete(p, bytes, std::align_val_t(align));
}

}  // namespace goro::internal
