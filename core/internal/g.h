// The G: goro's unit of scheduling.
//
// A G is one logical thread of control: a chain of goro::task frames, the
// outermost of which (the "root") was handed to go()/co_spawn(). The chain
// is linked through the promises (each child promise names its
// continuation, its awaiting parent) and every promise in the chain points
// at the same G.
//
// The trampoline (trampoline.h). A G never resumes one of its own frames
// from inside another: awaiting a child task, returning from it and parking
// all *suspend* the current frame and leave a note in the G saying what
// should happen next; the M's loop reads the note and acts on it:
//
//   tail  set     -> resume `tail` at once (a call into a child task, or a
//                    return to the parent). Loop.
//   kind == park  -> the G waits; the M runs `park_fn(park_arg, g)` to
//                    publish it to whoever will wake it (park.h).
//   kind == done  -> the root frame finished; the G is released.
//
// The publication rule. Once a G is reachable by another thread (on a run
// queue, a wait list, a join word), that thread may resume it, run it to
// completion and free its frames. So no awaiter publishes its G from
// await_suspend: it parks (park.h), which only records the commit function,
// its argument and the frame to resume, and returns. The M calls the commit
// after the frame is fully suspended and, once the commit reports the G
// published, never touches the G again. One exception, where frames hop
// directly (task/internal/promise.h): a join's await_suspend runs the
// join's commit itself (join_direct), and a root frame's final_suspend
// ends its G (end_root, which may free that frame); both then only return
// the next frame, and the compilers that hop directly touch nothing of the
// suspended frame after that (promise.h, "Compilers").
//
// Exactly-once wake-up. A parked G is made runnable by whoever wins the
// single atomic transition that published it (a waiter's grant, a join
// word's exchange), so two wakers can never both enqueue it.
//
// Who touches what. The trampoline and park notes are written by the G's
// own frames and read by the M running it: one thread at a time, handed
// over by the run queues. Identity and ownership are written when the G is
// spawned and released. join_word is atomic; its pairs are named where it
// is used (runtime/internal/join.cc, and finish in
// runtime/internal/scheduler.h).
#ifndef GORO_CORE_INTERNAL_G_H_
#define GORO_CORE_INTERNAL_G_H_

#include <atomic>
#include <coroutine>
#include <cstdint>

#include "goro/core/internal/park.h"
#include "goro/core/internal/trampoline.h"

namespace goro::internal {

struct g;
struct promise_base;

// The runtime a G belongs to, as the bottom layer sees it: what a waker
// needs to make a parked G runnable (wake_token.h), without naming the
// scheduler above.
class g_owner {
 public:
  // Makes a parked G runnable. Exactly one caller may ready a given park.
  virtual void ready(g* gp) = 0;

  // A G's root frame has finished and sits at its final suspend point, on
  // the M that ran it (called from the frame's final_suspend where frames
  // hop directly: task/internal/promise.h). Does what the M's loop does
  // with a finished G (its end, the joiner or the next local G) and
  // returns the frame to resume next on this thread, already made the M's
  // current G, or noop_coroutine to go back to the M's loop. The finished
  // frame may be gone when this returns: the caller must not touch it.
  virtual std::coroutine_handle<> end_root(g* gp) noexcept = 0;

 protected:
  ~g_owner() = default;
};

// join_word values other than the joiner's waiter* (core/internal/waiter.h,
// "Joins"; runtime/internal/join.cc has the protocol). The word is also the
// G's reference count: the g and its root frame are released by whichever
// of the G's end and its join handle's drop comes second, as the word
// tells them.
inline constexpr std::uintptr_t kJoinNone = 0;  // running, handle alive
inline constexpr std::uintptr_t kJoinDone = 1;  // root frame finished
// No handle (go, or the handle dropped): the G's end releases it.
inline constexpr std::uintptr_t kJoinDetached = 2;

// Field order packs the small fields into the last word: every parked G
// costs this plus its frames. A G waiting on a channel or lock needs no
// field here: its waiter record lives in the awaiter, in its frame.
struct g : trampoline {
  // (The park notes, with the wait reason, are in the trampoline.)
  // When the G last parked (coarse: the M's park clock, scheduler.h): what
  // a goroutine dump prints with the reason. Valid while the G is parked.
  std::int64_t wait_since = 0;

  // --- identity and ownership ---
  std::coroutine_handle<> root{};  // owned root frame; null when released
  promise_base* root_promise = nullptr;
  std::uint64_t id = 0;
  g_owner* sched = nullptr;

  // --- join state and ownership (co_spawn) ---
  // kJoinNone, kJoinDone, kJoinDetached, or the waiter record of the one
  // joiner.
  std::atomic<std::uintptr_t> join_word{kJoinNone};

  // Set when a join handle took the root's exception; an exception nobody
  // took ends the process when the G is released (a Go panic).
  bool exception_observed = false;
  // Run park_fn again each time the G is scheduled, before its frame
  // resumes (park.h, "Waits that take several steps"). Set by a park
  // commit, cleared by the M when the commit ends the wait.
  bool repark = false;
};
static_assert(sizeof(void*) != 8 || sizeof(g) == 104, "g grew: see above");

}  // namespace goro::internal

#endif  // GORO_CORE_INTERNAL_G_H_
