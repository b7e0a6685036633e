// A G's end, and the runtime's own park commits: join and yield.
//
// join_word is the join handshake: kJoinNone, then either the joiner's g*
// (stored by join_park: the joiner is parked, the finisher runs or queues
// it) or kJoinDone (stored by finish: the joiner reads the result at once).
// refs counts the G itself and its join handle, if any; the last drop_ref
// releases the frame and gives the g struct back (g_alloc.h). finish and
// drop_ref are inline in scheduler.h: every G's end goes through them.
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
    fatal(
        "a join_handle was awaited by two Gs at once (one handle, one owner)");
  }
  return me;  // t finished already
}

g* scheduler::yield_park(g* me) {
  global_.push(me);  // Gosched: to the back of the global queue
  // Like Go's goschedImpl: the yielder may be one of several CPU-bound Gs,
  // so make sure an idle P comes to help.
  idle_.wakep();
  return nullptr;
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

}  // namespace goro::internal
