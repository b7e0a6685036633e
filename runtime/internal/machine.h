// machine: an M, one OS thread of a runtime (Go's m).
//
// An M runs Gs only while it holds a P (processor.h). It gets its first P,
// and every P after a sleep, from startm (idle.h), which hands it over
// through next_p under the idle lock before unparking the M.
#ifndef GORO_RUNTIME_INTERNAL_MACHINE_H_
#define GORO_RUNTIME_INTERNAL_MACHINE_H_

#include <thread>

#include "goro/core/internal/g.h"
#include "goro/core/internal/parker.h"
#include "goro/runtime/internal/processor.h"

namespace goro::internal {

class scheduler;

// An M: one OS thread.
struct machine {
  scheduler* sched = nullptr;
  processor* p = nullptr;  // the P this M holds; null while idle
  bool spinning = false;
  g* curg = nullptr;  // the G running on this M, if any
  // The time a G parking on this M records (g::wait_since): the coarse
  // clock, read every kParkClockEvery parks and whenever the M wakes from
  // its sleep, so that a park costs no clock read (a read costs about as
  // much as a whole channel hand-off). Stale by at most that many parks,
  // plus however long the Gs since the last read ran without parking.
  static constexpr std::uint32_t kParkClockEvery = 32;
  std::int64_t park_clock = 0;
  std::uint32_t parks = 0;
  parker park;
  // Handed over by startm() under the idle lock, read by the M under the
  // same lock after it wakes.
  processor* next_p = nullptr;
  bool next_spinning = false;
  machine* idle_link = nullptr;
  std::thread thread;
};

// The M running on this thread, or null on a thread that is not an M.
// Deliberately opaque (defined out of line, never inlined): a G can resume
// on another thread after any co_await, and clang has been seen to cache a
// thread_local's address across suspension points.
machine* current_machine() noexcept;

// The G running on this thread, or null.
g* current_g() noexcept;

// Marks this thread as running m (null: no M). Called by the M itself when
// its thread starts and before it exits (scheduler::m_main).
void set_current_machine(machine* m) noexcept;

}  // namespace goro::internal

#endif  // GORO_RUNTIME_INTERNAL_MACHINE_H_
