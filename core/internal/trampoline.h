// trampoline: the one part of a G that goro::task's inline code touches.
//
// A G is a chain of task frames (core/internal/g.h). Calls and returns
// between the frames of one G never resume a frame from inside another.
// Where the compiler guarantees the tail call of symmetric transfer, the
// awaiting side returns the next frame and the compiler jumps to it
// (task/internal/promise.h, "Calls between frames"). Elsewhere it writes
// the frame to run next into `tail` (a call into a child, or a return to
// the parent) and suspends; the M's loop (scheduler::execute) resumes
// `tail`. Either way the stack stays flat. A root frame that finishes sets
// `kind = done` (and, where frames hop directly, has its runtime end the G
// at once: g_owner::end_root in g.h).
//
// The park notes live here too: park() (park.h) is the other thing user
// code does to a G, on every wait, and writing five fields inline costs
// less than a call that writes them. The trampoline is all that
// goro::task's inline code compiles against. A join (runtime/join_handle.h)
// also reads the G's runtime, id and join word inline (core/internal/g.h),
// on the path of every fork-join parent; the rest of the G is reached only
// through out-of-line calls (spawn, the park commits).
#ifndef GORO_CORE_INTERNAL_TRAMPOLINE_H_
#define GORO_CORE_INTERNAL_TRAMPOLINE_H_

#include <coroutine>
#include <cstdint>

#include "goro/core/internal/wait_reason.h"

namespace goro::internal {

// What the G asked for when its frame last suspended.
//   none  nothing: a frame hop through `tail`, or an awaiter goro does not
//         know (a fatal error: such a G could never be resumed);
//   park  the G waits (core/internal/park.h): its M runs the park commit;
//   done  the root frame finished: the G is released or its joiner woken.
enum class suspend_kind : std::uint8_t { none, park, done };

struct g;
struct promise_base;

// A park commit (park.h, step 3): publishes the parked G `gp` to whoever
// will wake it and says what the M does next.
using park_commit_fn = g* (*)(void* arg, g* gp);

struct trampoline {
  std::coroutine_handle<> tail{};  // resume this next, if set

  // --- park notes, written by park() (park.h), read by the M ---
  std::coroutine_handle<> resume{};        // where the G continues
  promise_base* resume_promise = nullptr;  // resume's promise (innermost)
  park_commit_fn park_fn = nullptr;
  void* park_arg = nullptr;

  suspend_kind kind = suspend_kind::none;  // why the frame suspended
  // What the G waits for; defined only while it is parked (the dump and
  // the deadlock report read it then).
  wait_reason reason = wait_reason::none;
};

}  // namespace goro::internal

#endif  // GORO_CORE_INTERNAL_TRAMPOLINE_H_
