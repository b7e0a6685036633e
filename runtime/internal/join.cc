// A G's end, and the runtime's own park commits: join and yield.
//
// join_word is the join handshake, a wait queue of at most one waiter
// record (core/internal/waiter.h, "Joins"), and the G's reference count:
//   kJoinNone      running; a join handle holds the G
//   waiter*        running; the handle's owner waits in a join (linked by
//                  join_park: the joiner is parked, or about to run the G
//                  itself)
//   kJoinDone      finished; the handle will release the G
//   kJoinDetached  no handle (go, or the handle was dropped); the G's end
//                  releases it
// The g and its root frame are released exactly once, by whichever of the
// G's end (finish) and the handle's drop (drop_handle) comes second.
//
// Joiner (join_park, the park commit of `co_await handle`; where frames
// hop directly, join_direct in execute.cc runs the same steps from the
// joiner's await_suspend):
//  1. Fill in the record (who = me), state linked; CAS join_word from
//     kJoinNone to the record (ACQ_REL). Success: parked. (Fast path: if t
//     is the newest G of this P's fork deque, or sits in its runnext, and
//     the joiner takes it from there, nobody else can reach t, so a relaxed
//     store links the record and t runs here.)
//  2. Failure (kJoinDone): the G finished first; resume at once, the
//     record back to idle.
// Finisher (finish, scheduler.h), on an ACQUIRE load of the word:
//  1. kJoinDetached: release the G. Nobody else will ever touch the word.
//  2. A record: its owner is parked and holds the handle, so nobody else
//     writes the word: store kJoinDone (RELEASE), the grant.
//  3. kJoinNone: exchange it for kJoinDone (ACQ_REL): the grant races a
//     link or a drop. The exchange returns a record (go to 4), kJoinNone
//     (done: the handle releases) or kJoinDetached (release the G).
//  4. Granted a record: read its `who`, nothing else, and run that G next
//     (a hand-off) or wake it. The joiner consumes the grant when it runs.
// Handle drop (drop_handle):
//  1. ACQUIRE load; kJoinDone: release the G (no RMW: the finisher is done
//     with the word).
//  2. Else exchange kJoinDetached in (ACQ_REL); kJoinDone came back: the
//     G finished meanwhile, release it; kJoinNone: its end will.
// Cancel (join_cancel, teardown destroying a parked joiner): CAS the word
// from the record back to kJoinNone; if that fails the grant came first,
// and a join has nothing to undo.
// finish is inline in scheduler.h: every G's end goes through it.
#include <cassert>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <typeinfo>

#include "goro/core/internal/fatal.h"
#include "goro/runtime/internal/scheduler.h"
#include "goro/task/internal/promise.h"

namespace goro::internal {
namespace {

[[noreturn, gnu::noinline, gnu::cold]] void panic_exception(
    g* gp, const std::exception_ptr& e) {
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

g* scheduler::join_park(g* me, join_wait* jw, processor* pp) {
  if (take_join_target(pp, jw->target)) {
    link_join_here(me, jw);
    return jw->target;
  }
  return join_link(me, jw);
}

// The target runs elsewhere, or waits where this P cannot take it back:
// link the record, or find the target finished.
g* scheduler::join_link(g* me, join_wait* jw) {
  g* t = jw->target;
  waiter* w = &jw->w;
  w->who = wake_token{me, nullptr};
  w->link_alone();
  std::uintptr_t word = kJoinNone;
  // Joiner, step 1 (the link). ACQ_REL on success: RELEASE publishes the
  // record (and our resume point) to the finisher's ACQ_REL exchange in
  // finish(). ACQUIRE on failure: t is done and we are about to read its
  // result.
  if (t->join_word.compare_exchange_strong(
          word, reinterpret_cast<std::uintptr_t>(w), std::memory_order_acq_rel,
          std::memory_order_acquire)) {
    return nullptr;  // parked; t's finish will run or queue us
  }
  if (word != kJoinDone) {
    fatal(
        "a join_handle was awaited by two Gs at once (one handle, one owner)");
  }
  // Step 2: t finished first; nothing was linked after all.
  w->granted_alone();
  w->consume();
  return me;
}

void join_cancel(join_wait* jw) noexcept {
  waiter* w = &jw->w;
  if (!w->linked()) return;
  std::uintptr_t word = reinterpret_cast<std::uintptr_t>(w);
  // ACQUIRE on failure: the finisher's exchange came first (granted).
  if (jw->target->join_word.compare_exchange_strong(
          word, kJoinNone, std::memory_order_acq_rel,
          std::memory_order_acquire)) {
    w->state = waiter_state::idle;
    return;
  }
  assert(word == kJoinDone);
  w->granted_alone();
  w->consume();  // nothing to undo: the result stays with the handle
}

g* scheduler::yield_park(g* me) {
  // Nothing local to run (and no timer to run first, no fairness turn
  // ahead of the global queue): find_runnable's next step would take a
  // batch from the global queue anyway. Push and take under one lock and
  // skip the loop; the batch is the one global_get would take (one G on
  // the turn of step 1), and may be me alone: a lone yielder resumes at
  // once. A fresh time slice, as find_runnable would start.
  processor* pp = current_p();
  if (pp != nullptr && pp->runnext.load(std::memory_order_relaxed) == nullptr &&
      pp->forks.empty() && pp->runq.empty() &&
      pp->timers.earliest_hint() == kNever && !idle_.stopping_relaxed()) {
    const std::size_t max = pp->schedtick % kGlobalCheckInterval == 0
                                ? 1
                                : run_queue::kCapacity / 2;
    g* batch[run_queue::kCapacity / 2];
    const std::size_t n =
        global_.push_then_pop(me, batch, static_cast<std::size_t>(procs_), max);
    ++pp->schedtick;
    pp->inherited = 0;
    // keep_global_batch wakes an idle P for the Gs it puts in the ring
    // (its fence makes that step 1 of handshake (a), idle.h).
    g* next = keep_global_batch(pp, batch, n);
    // Resumed at once: no hand-off counts this run (run_next_in_slice).
    if (next == me) pp->counters.run.add();
    // Like Go's goschedImpl: the yielder may be one of several CPU-bound
    // Gs, so an idle P comes to help with what is left in the global
    // queue. No lost wake-up: push_then_pop's seq_cst store of the size is
    // step 1 of handshake (a) for wakep's loads, as a plain push's is; the
    // relaxed empty() reads that store or a later one, and a later push
    // wakes for itself. Empty: nothing is left for anyone to take.
    if (!global_.empty()) idle_.wakep();
    return next;
  }
  global_.push(me);  // Gosched: to the back of the global queue
  // Like Go's goschedImpl: the yielder may be one of several CPU-bound Gs,
  // so make sure an idle P comes to help.
  idle_.wakep();
  return nullptr;
}

void scheduler::drop_handle(g* gp) noexcept {
  // ACQUIRE: pairs with the finisher's RELEASE store or ACQ_REL exchange of
  // kJoinDone (release() reads what the G wrote).
  std::uintptr_t w = gp->join_word.load(std::memory_order_acquire);
  if (w != kJoinDone) {
    // ACQ_REL: RELEASE publishes this owner's writes (exception_observed)
    // to the finisher's ACQUIRE load; ACQUIRE as above.
    w = gp->join_word.exchange(kJoinDetached, std::memory_order_acq_rel);
    if (w != kJoinDone) {
      assert(w == kJoinNone && "a join handle dropped while it is awaited");
      return;  // the G's end releases it
    }
  }
  release(gp, current_p());
}

void scheduler::release(g* gp, processor* pp) noexcept {
  if (teardown_) return;  // the destructor frees everything
  promise_base* pr = gp->root_promise;
  if (pr != nullptr && pr->exception_ && !gp->exception_observed) {
    panic_exception(gp, pr->exception_);
  }
  std::coroutine_handle<> root = gp->root;
  gp->root = {};
  gp->root_promise = nullptr;
  if (root) root.destroy();
  galloc_.put(pp, gp);
}

}  // namespace goro::internal
