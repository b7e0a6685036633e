#include "goro/runtime/internal/scheduler.h"

#include <sys/prctl.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <thread>

#include "goro/core/internal/fatal.h"
#include "goro/core/internal/futex.h"
#include "goro/task/internal/promise.h"


namespace goro::internal {
namespace {

thread_local machine* tls_machine = nullptr;

std::uint64_t fastrand(processor* pp) noexcept {
  // xorshift64*, seeded per P.
  std::uint64_t x = pp->rng;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  pp->rng = x;
  return x * 0x2545F4914F6CDD1DULL;
}

[[noreturn]] void panic_exception(g* gp, const std::exception_ptr& e) {
  std::string what = "unknown exception";
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    what = std::string(typeid(ex).name()) + ": " + ex.what();
  } catch (...) {
  }
  std::fprintf(stderr,
               "goro: panic: exception escaped G %llu and nobody joined it: "
               "%s\n",
               static_cast<unsigned long long>(gp->id), what.c_str());
  std::fflush(stderr);
  std::abort();
}


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

scheduler::scheduler(int procs) : procs_(procs), galloc_(this) {
  ps_.reserve(procs);
  std::lock_guard<std::mutex> lock(mu_);
  for (int i = 0; i < procs; ++i) {
    ps_.push_back(std::make_unique<processor>(i));
    ps_.back()->rng = 0x9E3779B97F4A7C15ULL * (i + 1);
  }
  for (int i = procs - 1; i >= 0; --i) pidleput_locked(ps_[i].get());
}

scheduler::~scheduler() {
  machine* self = current_machine();
  if (self != nullptr && self->sched == this) {
    fatal("a goro::runtime was destroyed from inside one of its own Gs");
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_.store(true, std::memory_order_seq_cst);
    for (auto& m : all_ms_) m->park.unpark();
  }
  poller_.wake_always();  // the poller, if any, sleeps there
  // No M is created once stopping_ is set (startm checks it under mu_).
  for (auto& m : all_ms_) m->thread.join();

  // Every M has exited: this thread is the only one left. Destroy the frames
  // of Gs that never finished (and of finished Gs whose join handle is still
  // alive). A frame's destructors may drop join handles of other Gs:
  // drop_ref sees teardown_ and leaves the freeing to this loop.
  teardown_ = true;
  // A destructor may spawn (a new G, possibly a new block), and that G
  // must be destroyed too, so repeat until a pass finds nothing left
  // (for_each_g walks blocks added meanwhile).
  for (bool again = true; again;) {
    again = false;
    // Pass 1, while every frame is still alive: detach each live chain's
    // frames from the task objects that own them. A frame may be owned by a
    // task in *another* G's frame (a G awaiting a task it borrowed), which
    // pass 2 may destroy first.
    galloc_.for_each_g([this](g* gp) { detach_owners(gp); });
    // Pass 2: destroy every chain innermost-first.
    galloc_.for_each_g([this, &again](g* gp) { again |= destroy_frames(gp); });
  }
  // Timers still armed (their owners outlive the runtime, or armed them
  // from the destructors above) will never fire: tell their owners.
  for (auto& p : ps_) p->timers.detach_all();
  // The g structs go with galloc_.
}

// Destroys the frames of a G that will never run again, innermost first.
//
// Destroying only the root would work (each frame's task object destroys the
// frame it awaits) but recurses once per frame: an abandoned chain of 100k
// nested co_awaits overflowed the stack. So walk from the frame the G is
// suspended in up through the awaiting frames, destroying each; the task
// objects that owned them were detached first (detach_owners).
// Each frame's locals are still destroyed before its parent's, as they would
// be on return.
namespace {
// The innermost frame of a G that will not run again, and its promise. A
// finished G's resume point is stale: it has only its root left.
promise_base* innermost(g* gp, std::coroutine_handle<>* h) {
  if (gp->kind != suspend_kind::done && gp->resume_promise != nullptr) {
    *h = gp->resume;
    return gp->resume_promise;
  }
  *h = gp->root;
  return gp->root_promise;
}
}  // namespace

void scheduler::detach_owners(g* gp) noexcept {
  if (!gp->root) return;
  std::coroutine_handle<> h;
  for (promise_base* p = innermost(gp, &h); p != nullptr; p = p->parent_) {
    if (p->owner_ != nullptr) {
      *p->owner_ = {};
      p->owner_ = nullptr;
    }
  }
}

bool scheduler::destroy_frames(g* gp) noexcept {
  if (!gp->root) return false;
  const std::coroutine_handle<> root = gp->root;
  std::coroutine_handle<> h;
  promise_base* p = innermost(gp, &h);
  gp->root = {};
  while (p != nullptr) {
    promise_base* parent = p->parent_;
    std::coroutine_handle<> parent_frame = p->continuation_;
    h.destroy();  // detach_owners already cut it from its owning task
    if (h == root) return true;
    if (parent == nullptr) break;  // a frame awaited by a foreign coroutine
    p = parent;
    h = parent_frame;
  }
  // The walk stopped at a coroutine that is not goro's: destroy the rest from
  // the root down (its task objects no longer own the frames freed above).
  root.destroy();
  return true;
}

// ---------------------------------------------------------------- spawning

g* scheduler::spawn(std::coroutine_handle<> root, promise_base* root_promise,
                    bool joinable) {
  machine* m = current_machine();
  processor* pp = (m != nullptr && m->sched == this) ? m->p : nullptr;
  g* gp = galloc_.get(pp);
  gp->root = root;
  gp->resume = root;
  gp->resume_promise = root_promise;
  gp->root_promise = root_promise;
  root_promise->g_ = gp;
  gp->tail = {};
  gp->kind = suspend_kind::none;
  gp->exception_observed = false;
  gp->join_word.store(kJoinNone, std::memory_order_relaxed);
  gp->refs.store(joinable ? 2 : 1, std::memory_order_relaxed);
  gp->reason = wait_reason::none;
  gp->repark = false;
  gp->id = g_alloc::new_id(pp);
  if (pp != nullptr) pp->counters.spawned.add();
  enqueue(pp, gp);
  return gp;
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
  const int busy = s->procs_ - s->npidle_.load(std::memory_order_relaxed) -
                   s->nmspinning_.load(std::memory_order_relaxed);
  // Go's canSpin: a single-CPU machine never spins (the holder cannot be
  // running meanwhile), nor does a runtime with no other busy P.
  static const bool single_cpu = std::thread::hardware_concurrency() <= 1;
  if (single_cpu || s->procs_ <= 1 || busy <= 1) return false;
  const processor* pp = m->p;
  return pp->runnext.load(std::memory_order_relaxed) == nullptr &&
         pp->runq.empty();
}

// The one way a new or woken G becomes runnable. From an M holding `pp`:
// runnext + wakep (handshake (a)). From anywhere else: the global queue +
// wake_for_global (handshake (b)).
void scheduler::enqueue(processor* pp, g* gp) {
  if (pp != nullptr) {
    runqput(pp, gp, /*next=*/true);
    wakep();
  } else {
    global_.push(gp);
    wake_for_global();
  }
}

// ------------------------------------------------------------- run queues

void scheduler::runqput(processor* pp, g* gp, bool next) {
  if (next) {
    // seq_cst: the store half of handshake (a) in scheduler.h; pairs with
    // the seq_cst loads of runnext in any_work(). Also publishes gp to a
    // thief's acquire CAS in steal_work().
    g* old = runnext_exchange(pp, gp);
    if (old == nullptr) return;
    gp = old;  // kick the old runnext to the tail
  }
  if (!pp->runq.push(gp)) runqput_slow(pp, gp);
}

void scheduler::runqput_slow(processor* pp, g* gp) {
  g* batch[run_queue::kCapacity / 2 + 1];
  for (;;) {
    std::uint32_t n = pp->runq.take_half_for_overflow(batch);
    if (n == 0) {
      if (pp->runq.push(gp)) return;
      continue;  // still full: thieves raced with us; try again
    }
    batch[n] = gp;
    global_.push_batch(batch, n + 1);
    return;
  }
}

// After the running G parked or finished: the G in runnext, to run at once
// in the same time slice, if the slice allows. This is what find_runnable
// would pick next anyway (runnext, inheriting); taking it here skips the
// trip through the scheduler loop, which is most of the cost of a channel
// ping-pong. Once the slice is used up the M goes through find_runnable,
// where the fairness checks (global queue every 61 ticks, stopping) run.
g* scheduler::take_runnext_for_handoff(processor* pp) {
  if (pp->inherited >= kMaxInheritedRuns ||
      pp->runnext.load(std::memory_order_relaxed) == nullptr ||
      stopping_.load(std::memory_order_relaxed)) {
    return nullptr;
  }
  return runnext_exchange(pp, nullptr);
}

// runnext is shared with thieves, hence the seq_cst exchange (see runqput
// and runq_get for what it pairs with). With a single P there are no
// thieves and no spinning Ms: only the M holding the P touches its runnext
// (a P changes hands under mu_), and wakep() finds no idle P, so handshake
// (a) has no other side. Plain loads and stores then do, and save the two
// locked instructions a channel wake-up would otherwise cost (~6 ns each
// here: a third of a 1-P ping-pong round trip).
g* scheduler::runnext_exchange(processor* pp, g* gp) noexcept {
  if (procs_ == 1) {
    g* old = pp->runnext.load(std::memory_order_relaxed);
    pp->runnext.store(gp, std::memory_order_relaxed);
    return old;
  }
  return pp->runnext.exchange(gp, std::memory_order_seq_cst);
}

g* scheduler::runq_get(processor* pp, bool* inherit) {
  if (pp->runnext.load(std::memory_order_relaxed) != nullptr) {
    // The producer is this M (thieves only ever store null), so no
    // ordering is needed; the exchange is atomic because thieves CAS
    // runnext to null (runnext_exchange).
    g* next = runnext_exchange(pp, nullptr);
    if (next != nullptr) {
      if (pp->inherited < kMaxInheritedRuns) {
        ++pp->inherited;
        *inherit = true;
        return next;
      }
      // The time slice is used up: to the back of the line.
      runqput(pp, next, /*next=*/false);
    }
  }
  *inherit = false;
  return pp->runq.pop();
}

g* scheduler::global_get(processor* pp, std::size_t max) {
  std::size_t want = global_.size() / procs_ + 1;
  if (max != 0 && want > max) want = max;
  if (want > run_queue::kCapacity / 2) want = run_queue::kCapacity / 2;
  g* batch[run_queue::kCapacity / 2];
  std::size_t n = global_.pop_batch(batch, want);
  if (n == 0) return nullptr;
  pp->counters.global_takes.add(n);
  for (std::size_t i = 1; i < n; ++i) runqput(pp, batch[i], /*next=*/false);
  if (n > 1) {
    // The rest now wait in our ring while we run batch[0], which may never
    // yield (Gs are not preempted): make sure an idle P comes to steal them.
    // The fence makes the ring pushes the store half of handshake (a) for
    // wakep's loads (the tail store alone is only a release).
    std::atomic_thread_fence(std::memory_order_seq_cst);
    wakep();
  }
  return batch[0];
}

g* scheduler::steal_work(processor* pp) {
  constexpr int kRounds = 4;
  for (int round = 0; round < kRounds; ++round) {
    const bool last_round = round == kRounds - 1;
    const int start = static_cast<int>(fastrand(pp) % procs_);
    for (int i = 0; i < procs_; ++i) {
      processor* victim = ps_[(start + i) % procs_].get();
      if (victim == pp) continue;
      if (stopping_.load(std::memory_order_relaxed)) return nullptr;
      pp->counters.steal_attempts.add();
      if (g* gp = victim->runq.steal_into(pp->runq)) {
        pp->counters.stolen.add(1 + pp->runq.size());
        return gp;
      }
      if (last_round) {
        g* next = victim->runnext.load(std::memory_order_relaxed);
        if (next != nullptr) {
          // The victim is probably about to run it (a G that just readied
          // its partner). Give it a moment, as Go's usleep(3) does, so a
          // ping-pong pair is not split across cores for nothing.
          for (int k = 0; k < 64; ++k) cpu_relax();
          // ACQUIRE: pairs with the owner's seq_cst exchange that stored it.
          if (victim->runnext.compare_exchange_strong(
                  next, nullptr, std::memory_order_acquire,
                  std::memory_order_relaxed)) {
            pp->counters.stolen.add();
            return next;
          }
        }
      }
    }
  }
  return nullptr;
}

g* scheduler::spin_for_work(processor* pp) {
  // Waking a parked M costs a futex wake plus the thread's wake-up latency
  // (several microseconds here), during which a busy producer queues more
  // Gs; parking at the first empty look makes a producer/consumer pair pay
  // that on nearly every G (measured: the demo's million Gs took 2.7 us
  // each). So a spinner keeps looking for a short while before it parks.
  // Spinners are few by construction (the spin rule), and an idle runtime
  // spins only once, for kSpinFor, after its last G.
  //
  // Between rounds it backs off exponentially: every probe reads the
  // victims' queue heads, tails and runnext, pulling those cache lines away
  // from the Ms that own them and write them on every spawn (measured:
  // without backoff the owner's runnext exchange was the top entry of the
  // skynet profile).
  const auto deadline = std::chrono::steady_clock::now() + kSpinFor;
  int pause = 16;
  for (;;) {
    if (g* gp = steal_work(pp)) return gp;
    if (!global_.empty()) {
      if (g* gp = global_get(pp, 0)) return gp;
    }
    // Every P's expired timers (Go's stealWork runs its victims').
    if (g* gp = run_timers_for(pp)) return gp;
    if (stopping_.load(std::memory_order_relaxed)) return nullptr;
    if (std::chrono::steady_clock::now() >= deadline) return nullptr;
    for (int i = 0; i < pause; ++i) cpu_relax();
    // Capped: while this M backs off, wakep() sees a spinner and wakes
    // nobody, so the longest pause is the latency added to new work. 256
    // pauses is ~5 us here; A/B at 128 / 256 / 1024: spawn+join 90 / 80 /
    // 77 ns, skynet unchanged within noise.
    if (pause < 256) pause *= 2;
  }
}

bool scheduler::any_work() const noexcept {
  // seq_cst loads: the load half of both handshakes in scheduler.h.
  if (global_.size() != 0) return true;
  for (const auto& p : ps_) {
    if (p->runnext.load(std::memory_order_seq_cst) != nullptr) return true;
    if (!p->runq.empty()) return true;
  }
  return false;
}

// ----------------------------------------------------- waking and sleeping

void scheduler::wakep() {
  // seq_cst loads: the load half of handshake (a); the store half was the
  // runnext exchange in runqput.
  if (npidle_.load(std::memory_order_seq_cst) == 0) return;
  if (nmspinning_.load(std::memory_order_seq_cst) != 0) return;
  std::int32_t expected = 0;
  if (!nmspinning_.compare_exchange_strong(expected, 1,
                                           std::memory_order_seq_cst)) {
    return;
  }
  startm(nullptr, /*spinning=*/true);
}

void scheduler::wake_for_global() {
  // Handshake (b): the push stored global size seq_cst; this load pairs
  // with the npidle increment in find_runnable.
  if (npidle_.load(std::memory_order_seq_cst) == 0) return;
  startm(nullptr, /*spinning=*/false);
}

void scheduler::startm(processor* pp, bool spinning) {
  std::unique_lock<std::mutex> lock(mu_);
  if (pp == nullptr) pp = pidleget_locked();
  if (pp == nullptr || stopping_.load(std::memory_order_relaxed)) {
    if (pp != nullptr) pidleput_locked(pp);
    lock.unlock();
    // We took the spinning slot in wakep(); give it back. If work appeared
    // meanwhile, the Ms that hold the Ps will find it.
    if (spinning) nmspinning_.fetch_sub(1, std::memory_order_seq_cst);
    return;
  }
  machine* m = midle_;
  if (m != nullptr) {
    midle_ = m->idle_link;
    m->idle_link = nullptr;
    m->next_p = pp;
    m->next_spinning = spinning;
    lock.unlock();
    // RELEASE in unpark pairs with the ACQUIRE in park(); next_p itself is
    // read under mu_ too.
    m->park.unpark();
    return;
  }
  auto owned = std::make_unique<machine>();
  m = owned.get();
  m->sched = this;
  m->next_p = pp;
  m->next_spinning = spinning;
  all_ms_.push_back(std::move(owned));
  // Started under mu_ so that the destructor, which snapshots all_ms_ under
  // mu_, joins every M that was ever started.
  m->thread = std::thread([this, m] { m_main(m); });
}

void scheduler::reset_spinning(machine* m) {
  m->spinning = false;
  nmspinning_.fetch_sub(1, std::memory_order_seq_cst);
  // We found work and stop spinning: there may be more, so make sure some M
  // is looking for it.
  wakep();
}

processor* scheduler::pidleget_locked() noexcept {
  processor* pp = pidle_;
  if (pp != nullptr) {
    pidle_ = pp->idle_link;
    pp->idle_link = nullptr;
    npidle_.fetch_sub(1, std::memory_order_seq_cst);
  }
  return pp;
}

void scheduler::pidleput_locked(processor* pp) noexcept {
  pp->idle_link = pidle_;
  pidle_ = pp;
  // seq_cst: the store half of handshake (b), read by wake_for_global().
  npidle_.fetch_add(1, std::memory_order_seq_cst);
}

// ---------------------------------------------------------------- the M

void scheduler::m_main(machine* m) {
  tls_machine = m;
  m->park_clock = coarse_nanotime();
  // 1 ns of timer slack instead of the default 50 us: the poller's epoll
  // timeout is a timer's due time (poller.h, "Precision").
  prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
  {
    std::lock_guard<std::mutex> lock(mu_);
    m->p = m->next_p;
    m->spinning = m->next_spinning;
    m->next_p = nullptr;
  }
  for (;;) {
    bool inherit = false;
    g* gp = find_runnable(m, &inherit);
    if (gp == nullptr) break;  // stopping
    if (m->spinning) reset_spinning(m);
    execute(m, gp, inherit);
  }
  if (m->spinning) {
    m->spinning = false;
    nmspinning_.fetch_sub(1, std::memory_order_seq_cst);
  }
  tls_machine = nullptr;
}

g* scheduler::find_runnable(machine* m, bool* inherit) {
  for (;;) {
    if (stopping_.load(std::memory_order_acquire) || m->p == nullptr) {
      return nullptr;
    }
    processor* pp = m->p;
    *inherit = false;

    // 0. This P's expired timers (one relaxed load when there are none).
    const std::int64_t due = pp->timers.earliest_hint();
    if (due != kNever) {
      const std::int64_t now = nanotime();
      if (due <= now) pp->timers.run_expired(now);
    }

    // 1. Fairness: now and then the global queue goes first.
    if (pp->schedtick % kGlobalCheckInterval == 0 && !global_.empty()) {
      if (g* gp = global_get(pp, 1)) return gp;
    }
    // 2. Local.
    if (g* gp = runq_get(pp, inherit)) return gp;
    // 3. Global.
    if (!global_.empty()) {
      if (g* gp = global_get(pp, 0)) return gp;
    }
    // 4. Steal, if the spinning budget allows.
    const std::int32_t busy =
        procs_ - npidle_.load(std::memory_order_seq_cst);
    if (m->spinning ||
        2 * nmspinning_.load(std::memory_order_seq_cst) < busy) {
      if (!m->spinning) {
        m->spinning = true;
        nmspinning_.fetch_add(1, std::memory_order_seq_cst);
      }
      if (g* gp = spin_for_work(pp)) return gp;
    }

    // 5. Nothing to do: give the P up, and join the idle Ms in the same
    //    critical section, so that a startm() racing with us finds this M
    //    rather than creating another (Ms never outnumber Ps).
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_.load(std::memory_order_relaxed)) return nullptr;
      pp->counters.parks.add();  // still ours until pidleput
      pidleput_locked(pp);       // npidle+1, seq_cst: handshake (b)
      m->p = nullptr;
      m->idle_link = midle_;
      midle_ = m;
    }
    if (m->spinning) {
      m->spinning = false;
      // seq_cst: handshake (a). After this, re-check every queue.
      nmspinning_.fetch_sub(1, std::memory_order_seq_cst);
    }
    // Handshake (b) for everyone, and (a) for a former spinner: any_work()
    // reads the global size and every P's runnext and ring.
    if (any_work()) {
      std::lock_guard<std::mutex> lock(mu_);
      // If startm() already chose this M (next_p set), its token is on the
      // way: park() below returns at once with that P.
      if (m->next_p == nullptr) {
        if (processor* again = pidleget_locked()) {
          unlink_idle_m_locked(m);
          m->p = again;
          m->spinning = true;
          nmspinning_.fetch_add(1, std::memory_order_seq_cst);
        }
        // No idle P: every P is held by a running M, which will find it.
      }
    }
    // Sleep until startm() hands us a P (or the runtime stops), or, as the
    // poller, until the earliest timer.
    while (m->p == nullptr) {
      if (stopping_.load(std::memory_order_acquire)) return nullptr;
      if (poll(m)) {  // back with a P, or on the idle list again
        m->park_clock = coarse_nanotime();
        continue;
      }
      m->park.park();
      m->park_clock = coarse_nanotime();
      std::lock_guard<std::mutex> lock(mu_);
      if (m->next_p == nullptr) return nullptr;  // woken for shutdown
      m->p = m->next_p;
      m->spinning = m->next_spinning;
      m->next_p = nullptr;
    }
  }
}

// ------------------------------------------------------------------ timers

void scheduler::add_timer(timer* t, std::int64_t when) {
  machine* m = current_machine();
  processor* pp =
      (m != nullptr && m->sched == this && m->p != nullptr) ? m->p
                                                            : ps_[0].get();
  if (pp->timers.add(t, when)) timer_added(when);
}

void scheduler::timer_added(std::int64_t when) {
  // seq_cst: the load half of handshake (c); the store half was the heap's
  // publish of its earliest.
  const std::int64_t pu = poll_until_.load(std::memory_order_seq_cst);
  if (pu != 0) {
    if (when < pu) poller_.wake();
    return;
  }
  wakep();
}

std::int64_t scheduler::earliest_timer() const noexcept {
  std::int64_t e = kNever;
  for (const auto& p : ps_) {
    const std::int64_t w = p->timers.earliest();  // seq_cst: handshake (c)
    if (w < e) e = w;
  }
  return e;
}

bool scheduler::run_all_timers() noexcept {
  std::int64_t now = 0;
  bool ran = false;
  for (const auto& p : ps_) {
    const std::int64_t due = p->timers.earliest_hint();
    if (due == kNever) continue;
    if (now == 0) now = nanotime();
    if (due <= now) ran |= p->timers.run_expired(now) != 0;
  }
  return ran;
}

g* scheduler::run_timers_for(processor* pp) {
  if (!run_all_timers()) return nullptr;
  bool inherit;
  return runq_get(pp, &inherit);  // what the timers readied, if anything
}

// The idle loop's sleep as the poller (see "Timers" in scheduler.h). m holds
// no P and is on the idle M list. Returns false if m should rather park on
// its parker (no timers, another M polls, or startm has just chosen m);
// true after a poll, with m holding a P, or back on the idle list.
bool scheduler::poll(machine* m) {
  // After giving the P up (npidle+1) and spinning down: handshake (c).
  const std::int64_t next = earliest_timer();
  if (next == kNever) return false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (m->next_p != nullptr || stopping_.load(std::memory_order_relaxed)) {
      return false;  // startm chose m: park() returns at once
    }
    std::int64_t other = 0;
    // seq_cst: publishes our deadline before the re-check below.
    if (!poll_until_.compare_exchange_strong(other, next,
                                             std::memory_order_seq_cst)) {
      if (next < other) poller_.wake();  // it will look again
      return false;
    }
    unlink_idle_m_locked(m);
  }
  std::int64_t deadline = next;
  for (;;) {
    // Timers armed since the last look: their adders compared with an older
    // poll_until_ (or saw none), so look again now that it is published.
    deadline = std::min(deadline, earliest_timer());
    poller_.wait_until(deadline);
    if (stopping_.load(std::memory_order_acquire)) break;
    // Woken early for a timer that is not due yet (an earlier one was
    // armed, or the deadline's timer was stopped): keep polling, for the
    // new earliest, without taking a P.
    const std::int64_t now = nanotime();
    deadline = earliest_timer();
    if (deadline <= now || deadline == kNever) break;
    // seq_cst: the new deadline, published before the look at the top.
    poll_until_.store(deadline, std::memory_order_seq_cst);
  }
  // seq_cst: from here adders see no poller and wakep() instead; the loads
  // in run_all_timers and the next poll() come after.
  poll_until_.store(0, std::memory_order_seq_cst);
  // Every timer was stopped meanwhile: nothing to run, back to the idle
  // list (the caller's next poll() then finds no timer and parks).
  const bool none = deadline == kNever;
  processor* pp = nullptr;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!none && !stopping_.load(std::memory_order_relaxed)) {
      pp = pidleget_locked();
    }
    if (pp != nullptr) {
      m->p = pp;
    } else {
      m->idle_link = midle_;
      midle_ = m;
    }
  }
  // With a P, the readied Gs go to its runnext (find_runnable finds them);
  // without one, to the global queue. Not once the runtime is stopping:
  // its timers are detached at teardown instead.
  if (!stopping_.load(std::memory_order_acquire)) run_all_timers();
  return true;
}

void scheduler::unlink_idle_m_locked(machine* m) noexcept {
  for (machine** link = &midle_; *link != nullptr; link = &(*link)->idle_link) {
    if (*link == m) {
      *link = m->idle_link;
      m->idle_link = nullptr;
      return;
    }
  }
}

// Runs gp, and whatever this M may run after it in the same time slice,
// until the M must look for work again (find_runnable).
void scheduler::execute(machine* m, g* gp, bool inherit) {
  processor* pp = m->p;
  if (!inherit) {
    ++pp->schedtick;
    pp->inherited = 0;
  }
  pp->counters.run.add();
  m->curg = gp;
  std::coroutine_handle<> h = gp->resume;
  // A G in a wait of several steps (park.h) is scheduled to run its park
  // commit again, not its frame: the commit decides whether the wait is
  // over.
  bool recommit = gp->repark;
  for (;;) {
    if (!recommit) {
      gp->kind = suspend_kind::none;
      gp->reason = wait_reason::none;
      h.resume();
      // The G is suspended and, whatever it wants, not yet published:
      // reading its notes is safe (see "The publication rule" in g.h).
      if (gp->tail) {
        h = gp->tail;
        gp->tail = {};
        continue;
      }
    }
    g* next = after_suspend(m, pp, gp);
    if (next == gp) {  // the wait is over: resume the frame
      h = gp->resume;
      recommit = false;
      continue;
    }
    if (next == nullptr || !run_next_in_slice(m, pp, next)) return;
    gp = next;
    h = gp->resume;
    recommit = gp->repark;
  }
}

// The one place the M interprets why a G's frame suspended (trampoline.h)
// and what its park commit answered (park.h, step 3). Returns gp to resume
// it, another G to run next in this slice, or null to look for work.
g* scheduler::after_suspend(machine* m, processor* pp, g* gp) {
  m->curg = nullptr;
  g* next = nullptr;
  switch (gp->kind) {
    case suspend_kind::park:
      if (++m->parks % machine::kParkClockEvery == 0) {
        m->park_clock = coarse_nanotime();
      }
      gp->wait_since = m->park_clock;  // before the commit publishes gp
      next = gp->park_fn(gp->park_arg, gp);
      if (next == gp) {  // the event already happened, or the wait is over
        gp->repark = false;
        m->curg = gp;
        return gp;
      }
      // null: gp belongs to its waker now. Another G: a hand-off (join).
      break;
    case suspend_kind::done:
      next = finish(gp);  // the G that was waiting to join gp, if any
      break;
    case suspend_kind::none:
      fatal(
          "a G suspended on an awaiter that goro does not know (it neither "
          "awaited a goro::task nor a goro primitive); resuming a G from "
          "outside the runtime is not supported");
  }
  return next != nullptr ? next : take_runnext_for_handoff(pp);
}

// Direct hand-off: `next` is runnable, owned by this M, and in no queue.
// Run it now, in the current time slice, as if it had been taken from
// runnext (returns true: the caller runs it); once the slice is used up it
// goes through runnext instead (returns false), so a chain of hand-offs
// cannot starve the P's other Gs.
bool scheduler::run_next_in_slice(machine* m, processor* pp, g* next) {
  if (pp->inherited >= kMaxInheritedRuns) {
    runqput(pp, next, /*next=*/true);
    wakep();
    return false;
  }
  ++pp->inherited;
  pp->counters.run.add();
  m->curg = next;
  return true;
}

g* scheduler::join_park(g* me, g* t) {
  // Fast path: `t` is in this P's runnext (not yet started, or readied and
  // not yet resumed), so no other M can reach it except a thief's CAS on
  // runnext. Winning that
  // slot makes t ours alone: record me as its joiner and run t right here
  // (hand-off). This is what makes `co_await co_spawn(f)` cost no queueing.
  machine* m = current_machine();
  processor* pp = m->p;
  g* expected = t;
  if (pp->runnext.load(std::memory_order_relaxed) == t &&
      pp->runnext.compare_exchange_strong(expected, nullptr,
                                          std::memory_order_acquire,
                                          std::memory_order_relaxed)) {
    // Relaxed: t runs next on this thread; finish(t) reads it here or, if t
    // parks and moves, after the queue hand-over that orders it.
    t->join_word.store(reinterpret_cast<std::uintptr_t>(me),
                       std::memory_order_relaxed);
    return t;
  }
  std::uintptr_t w = kJoinNone;
  // ACQ_REL on success: RELEASE publishes me (and its resume point) to the
  // finisher's ACQ_REL exchange in finish(). ACQUIRE on failure: t is done
  // and we are about to read its result.
  if (t->join_word.compare_exchange_strong(
          w, reinterpret_cast<std::uintptr_t>(me), std::memory_order_acq_rel,
          std::memory_order_acquire)) {
    return nullptr;  // parked; t's finish will run or queue us
  }
  if (w != kJoinDone) {
    fatal("a join_handle was awaited by two Gs at once (one handle, one owner)");
  }
  return me;  // t finished already
}

g* scheduler::yield_park(g* me) {
  global_.push(me);  // Gosched: to the back of the global queue
  // Like Go's goschedImpl: the yielder may be one of several CPU-bound Gs,
  // so make sure an idle P comes to help.
  wakep();
  return nullptr;
}

g* scheduler::finish(g* gp) {
  // ACQ_REL: RELEASE publishes the root's result to the joiner (who reads it
  // after its CAS fails with ACQUIRE, or after being handed off or readied);
  // ACQUIRE pairs with the joiner's RELEASE CAS that stored its g*.
  std::uintptr_t w =
      gp->join_word.exchange(kJoinDone, std::memory_order_acq_rel);
  drop_ref(gp);
  if (w != kJoinNone && w != kJoinDone) return reinterpret_cast<g*>(w);
  return nullptr;
}

void scheduler::drop_ref(g* gp) noexcept {
  // ACQ_REL: the last dropper must see every write the other holder made
  // (the joiner's exception_observed, the G's result).
  if (gp->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) release(gp);
}

void scheduler::release(g* gp) noexcept {
  if (teardown_) return;  // the destructor frees everything
  promise_base* pr = gp->root_promise;
  if (pr != nullptr && pr->exception_ && !gp->exception_observed) {
    panic_exception(gp, pr->exception_);
  }
  std::coroutine_handle<> root = gp->root;
  gp->root = {};
  gp->root_promise = nullptr;
  if (root) root.destroy();
  machine* m = current_machine();
  processor* pp = (m != nullptr && m->sched == this) ? m->p : nullptr;
  galloc_.put(pp, gp);
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
