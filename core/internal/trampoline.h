// trampoline: the one part of a G that goro::task's inline code touches.
//
// A G is a chain of task frames (core/internal/g.h). Calls and returns
// between the frames of one G never resume a frame from inside another: the
// awaiting side writes the frame to run next into `tail` (a call into a
// child, or a return to the parent) and suspends; the M's loop
// (scheduler::execute) resumes `tail`. A root frame that finishes
// sets `kind = done` instead. That keeps the stack flat whatever the
// compiler does with symmetric transfer (g++ 12 does not emit the tail call
// below -O2 or under sanitizers).
//
// These two fields are the whole of what user translation units compile
// against: the rest of the G (core/internal/g.h) is reached only through
// out-of-line calls (park, join, spawn), so it can change without touching
// any public header.
#ifndef GORO_CORE_INTERNAL_TRAMPOLINE_H_
#define GORO_CORE_INTERNAL_TRAMPOLINE_H_

#include <coroutine>
#include <cstdint>

namespace goro::internal {

// What the G asked for when its frame last suspended.
//   none  nothing: a frame hop through `tail`, or an awaiter goro does not
//         know (a fatal error: such a G could never be resumed);
//   park  the G waits (core/internal/park.h): its M runs the park commit;
//   done  the root frame finished: the G is released or its joiner woken.
enum class suspend_kind : std::uint8_t { none, park, done };

struct trampoline {
  std::coroutine_handle<> tail{};          // resume this next, if set
  suspend_kind kind = suspend_kind::none;  // otherwise: why it suspended
};

}  // namespace goro::internal

#endif  // GORO_CORE_INTERNAL_TRAMPOLINE_H_
