// The G: goro's unit of scheduling.
//
// A G is one logical thread of control: a chain of goro::task frames, the
// outermost of which (the "root") was handed to go()/co_spawn(). The chain is
// linked through the promises (each child promise names its continuation, its
// awaiting parent) and every promise in the chain points at the same g.
//
// The trampoline. A G never resumes one of its own frames from inside
// another: awaiting a child task, returning from it, parking and yielding all
// *suspend* the current frame and leave a note in the g saying what should
// happen next:
//
//   tail  set     -> the M resumes `tail` at once (a call into a child task,
//                    or a return to the parent). Loop.
//   kind == park  -> the G wants to sleep; the M runs `park_fn(park_arg, g)`
//                    to publish it to whoever will wake it (see below).
//   kind == yield -> the G goes to the back of the global queue (Gosched).
//   kind == done  -> the root frame finished; the G is released.
//
// The loop that reads these notes (scheduler::execute) runs on the M's own
// stack, so a chain of ten million synchronous co_awaits never grows the
// stack, whatever the compiler does with symmetric transfer (g++ 12 does not
// emit the tail call below -O2 or under sanitizers).
//
// The publication rule. Once a G is reachable by another thread (on a run
// queue, a wait list, a join word), that thread may resume it, run it to
// completion and free its frames. So no awaiter publishes its G from
// await_suspend: it records park_fn/park_arg, the frame to resume in
// `resume`, and returns. The M calls park_fn after the frame is fully
// suspended and, once park_fn reports the G published, never touches the g
// again. park_fn can also say "the event already happened" (the M resumes
// the G at once, like Go's gopark unlock function failing) or "run this
// other G now" (a direct hand-off; see park_commit_fn).
//
// Waits that take several steps. Some waits cannot end with the wake-up:
// a woken mutex waiter in Go's normal mode must still compete for the lock
// and may have to wait again, and rwmutex and cond waits queue on more than
// one thing in turn. Such a wait sets `repark`: its park function is then
// re-run each time the G is scheduled, before the frame resumes, and either
// ends the wait (returns gp: the frame resumes) or parks the G again
// (returns nullptr, the G published once more). The frame resumes only once,
// when the whole wait is over, so one co_await can wait many times, and
// nothing in the wait depends on how the G is resumed (sync/internal/
// sync_op.h).
//
// Exactly-once wake-up. A parked G is made runnable by whoever wins the
// single atomic transition that published it (for a join: the exchange on
// join_word), so two wakers can never both enqueue it.
#ifndef GORO_RUNTIME_INTERNAL_G_H_
#define GORO_RUNTIME_INTERNAL_G_H_

#include <atomic>
#include <coroutine>
#include <cstdint>
#include <exception>

namespace goro::internal {

class scheduler;
struct g;
struct promise_base;

// Publishes a parked G. Runs on the M after the G's frame is suspended.
// Returns
//  - nullptr: the G is now owned by its waker; the M must not touch it again;
//  - gp itself: the event already happened, resume gp at once;
//  - another G: gp is parked (owned by that G's finish) and the M runs the
//    returned G next, in gp's time slice (a direct hand-off, see
//    scheduler::execute).
using park_commit_fn = g* (*)(void* arg, g* gp);

enum class suspend_kind : std::uint8_t { none, park, yield, done };

// Lifecycle, for shutdown and assertions. Written with relaxed stores: every
// transition is also ordered by the queue or join word that hands the G over.
enum class g_status : std::uint8_t { free, runnable, running, waiting, dead };

// join_word values other than a waiter's g*.
inline constexpr std::uintptr_t kJoinNone = 0;  // running, nobody waiting
inline constexpr std::uintptr_t kJoinDone = 1;  // root frame finished

// Field order packs the struct into 88 bytes (the small fields share the
// last word): every parked G costs this plus its frames. A G waiting on a
// channel or lock needs no field here: its waiter record lives in the
// awaiter, in its frame.
struct g {
  // --- trampoline notes, touched only by the thread running the G ---
  std::coroutine_handle<> tail{};    // resume this next (child call/return)
  std::coroutine_handle<> resume{};  // where the G continues when scheduled
  promise_base* resume_promise = nullptr;  // resume's promise (innermost)
  park_commit_fn park_fn = nullptr;
  void* park_arg = nullptr;

  // --- identity and ownership ---
  std::coroutine_handle<> root{};    // owned root frame; null when released
  promise_base* root_promise = nullptr;
  std::uint64_t id = 0;
  scheduler* sched = nullptr;

  // --- join state (co_spawn) ---
  // kJoinNone, kJoinDone, or the g* of the single G waiting in a join.
  std::atomic<std::uintptr_t> join_word{kJoinNone};
  // References to the g and its root frame: one held by the running G until
  // it finishes, one by a live join_handle. The last to drop releases both.
  std::atomic<std::uint32_t> refs{0};

  suspend_kind kind = suspend_kind::none;  // trampoline note
  std::atomic<g_status> status{g_status::free};
  // Set when a join handle took the root's exception; an exception nobody
  // took ends the process when the G is released (a Go panic).
  bool exception_observed = false;
  // Run park_fn again before resuming (see "Waits that take several steps").
  // Set by the G itself when it suspends into such a wait (sync_op.h,
  // await_on), cleared by the M when park_fn ends the wait.
  bool repark = false;
};
static_assert(sizeof(void*) != 8 || sizeof(g) == 88, "g grew: see above");

}  // namespace goro::internal

#endif  // GORO_RUNTIME_INTERNAL_G_H_
