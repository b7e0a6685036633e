// The scheduler's entry points: spawn, ready, lock_may_spin, stats, and the
// M of the current thread. The mechanisms are in the files that
// scheduler.h's map lists.
#include "goro/runtime/internal/scheduler.h"

#include <thread>

#include "goro/task/internal/promise.h"

namespace goro::internal {
namespace {

thread_local machine* tls_machine = nullptr;

}  // namespace

[[gnu::noinline]] machine* current_machine() noexcept {
  machine* m = tls_machine;
  asm volatile("" ::: "memory");  // opaque: never reuse a cached TLS read
  return m;
}

[[gnu::noinline]] g* current_g() noexcept {
  machine* m = tls_machine;
  asm volatile("" ::: "memory");
  return m != nullptr ? m->curg : nullptr;
}

void set_current_machine(machine* m) noexcept { tls_machine = m; }

scheduler::scheduler(int procs)
    : procs_(procs), idle_(this, procs), galloc_(this) {
  asymmetric_fence::init();  // before any M exists
  ps_.reserve(procs);
  for (int i = 0; i < procs; ++i) {
    ps_.push_back(std::make_unique<processor>(i, /*stealable=*/procs > 1));
    ps_.back()->rng = 0x9E3779B97F4A7C15ULL * (i + 1);
  }
  idle_.add_initial_ps(ps_);
}

processor* scheduler::current_p() const noexcept {
  // A plain read of the thread-local: an ordinary function, never inlined
  // into a coroutine (see ready()).
  machine* m = tls_machine;
  return (m != nullptr && m->sched == this) ? m->p : nullptr;
}

namespace {
void init_g(g* gp, std::coroutine_handle<> root, promise_base* root_promise,
            bool joinable, processor* pp) {
  gp->root = root;
  gp->resume = root;
  gp->resume_promise = root_promise;
  gp->root_promise = root_promise;
  root_promise->g_ = gp;
  gp->tail = {};
  gp->kind = suspend_kind::none;
  gp->exception_observed = false;
  gp->join_word.store(joinable ? kJoinNone : kJoinDetached,
                      std::memory_order_relaxed);
  gp->reason = wait_reason::none;
  gp->repark = false;
  gp->id = g_alloc::new_id(pp);
}
}  // namespace

// From a thread without a P: the shared free list and the global queue,
// out of line so that spawn's own path needs no stack frame for them.
[[gnu::noinline]] g* scheduler::spawn_without_p(std::coroutine_handle<> root,
                                                promise_base* root_promise,
                                                bool joinable) {
  g* gp = galloc_.get(nullptr);
  init_g(gp, root, root_promise, joinable, nullptr);
  enqueue(nullptr, gp);
  return gp;
}

g* scheduler::spawn(processor* pp, std::coroutine_handle<> root,
                    promise_base* root_promise, bool joinable) {
  if (pp == nullptr) [[unlikely]] {
    return spawn_without_p(root, root_promise, joinable);
  }
  g* gp = galloc_.get(pp);
  init_g(gp, root, root_promise, joinable, pp);
  pp->counters.spawned.add();
  if (joinable) {
    (void)fork_push(pp, gp);
  } else {
    enqueue(pp, gp);
  }
  return gp;
}

// go / co_spawn from a G: one read of the thread-local for the runtime and
// the P (spawn_target, opaque like current_machine: the caller may be
// inlined into a coroutine), then the inline spawn.
[[gnu::noinline]] machine* spawn_target(const char* what) {
  machine* m = tls_machine;
  asm volatile("" ::: "memory");  // as in current_machine
  if (m == nullptr) [[unlikely]]
    throw_outside_runtime(what);
  return m;
}

g* spawn_on(machine* m, std::coroutine_handle<> root,
            promise_base* root_promise, bool joinable) {
  return m->sched->spawn(m->p, root, root_promise, joinable);
}

void scheduler::ready(g* gp) {
  // A plain read of the thread-local: ready() is an ordinary function, never
  // inlined into a coroutine, so no stale TLS address can be cached across
  // a suspension (the reason current_machine() is noinline).
  machine* m = tls_machine;
  enqueue((m != nullptr && m->sched == this) ? m->p : nullptr, gp);
}

bool scheduler::lock_may_spin(int iter) noexcept {
  constexpr int kMaxLockSpins = 4;  // Go's active_spin
  if (iter >= kMaxLockSpins) return false;
  machine* m = tls_machine;
  if (m == nullptr || m->p == nullptr) return false;
  const scheduler* s = m->sched;
  // Relaxed: a heuristic; a stale answer only costs a spin or a park.
  const int busy = s->idle_.busy_hint();
  // Go's canSpin: a single-CPU machine never spins (the holder cannot be
  // running meanwhile), nor does a runtime with no other busy P.
  static const bool single_cpu = std::thread::hardware_concurrency() <= 1;
  if (single_cpu || s->procs_ <= 1 || busy <= 1) return false;
  const processor* pp = m->p;
  return pp->runnext.load(std::memory_order_relaxed) == nullptr &&
         pp->runq.empty() && pp->forks.empty();
}

runtime_stats scheduler::stats() const {
  runtime_stats s;
  s.procs.reserve(ps_.size());
  for (const auto& p : ps_) {
    processor_stats ps;
    ps.spawned = p->counters.spawned.get();
    ps.run = p->counters.run.get();
    ps.stolen = p->counters.stolen.get();
    ps.steal_attempts = p->counters.steal_attempts.get();
    ps.parks = p->counters.parks.get();
    ps.global_takes = p->counters.global_takes.get();
    s.procs.push_back(ps);
  }
  return s;
}

}  // namespace goro::internal
