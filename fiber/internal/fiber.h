// fiber: an ordinary function running on its own stack inside a G.
//
// The design in one paragraph. A stackful G is an ordinary G whose root
// task (stackful_root.h) owns a fiber and awaits its driver coroutine,
// fiber::drive(). The scheduler never knows: it runs them like any task.
// The driver switches into the fiber's stack (resume); the fiber runs
// plain C++ until it must wait. goro::await(x) then asks x's awaiter
// await_ready on the fiber's stack (a ready operation completes right
// there), and otherwise hands the driver a type-erased "wait request": the
// awaiter's address and a function that calls its await_suspend with the
// driver's coroutine handle. The fiber switches back (suspend); the driver
// co_awaits the request, so the channel, lock, timer or join parks the G in
// the usual way, exactly as for a task; when the G is resumed the driver
// switches into the fiber again, and the fiber calls await_resume on its
// own stack. So every awaitable in goro works in a fiber with no code of
// its own, each wait parks a G (not a thread), and no exception crosses a
// stack switch: one thrown by await_suspend is caught by the driver and
// rethrown in the fiber.
//
//   M stack:  ... execute() -> drive() frame (heap) -> resume() ------+
//                                    ^ await_suspend(h)                | switch
//   fiber stack:                     +-- wait() <- await(x) <- f(...)
//
// Threads. resume() runs from first to last instruction on one thread: the
// fiber switches back to the context that resume() saved, on the same
// thread's stack. Between two resumes the driver (and with it the fiber)
// may move to another M, so the fiber's code must not keep a thread-local's
// address across goro::await; goro's own accessors (current_machine,
// fiber::current) are opaque calls for that reason.
//
// Per-thread state that belongs to the fiber is swapped at every switch:
//  - the C++ runtime's exception globals (the caught-exception stack and
//    uncaught count, __cxa_get_globals), so that a fiber that waits inside a
//    catch block and resumes on another thread still rethrows its own
//    exception, and std::uncaught_exceptions() counts per fiber;
//  - fiber::current() and the overflow handler's view of the stack.
// Sanitizers are told about every switch: ASan
// (__sanitizer_start/finish_switch_fiber) so its stack bookkeeping follows,
// TSan (__tsan_switch_to_fiber) so it treats the fiber as its own thread
// of execution.
//
// Ending. A fiber's function returns (or throws; the driver's body wrapper
// catches and keeps the exception): the fiber switches away for the last
// time, the driver frees its stack. A fiber destroyed while suspended (its
// G abandoned at runtime shutdown) is unwound first: ~fiber switches in
// with `unwinding` set and the pending goro::await throws fiber_unwind, so
// every destructor on the fiber's stack runs, as for a task's frames.
// fiber_unwind is not a std::exception; code that catches (...) must
// rethrow it. A fiber that cannot be unwound (it waits again while an
// exception is propagating, e.g. in a destructor, or swallows
// fiber_unwind and keeps waiting) is abandoned instead: its stack is
// released without the remaining destructors (unwind_instead_of_waiting).
#ifndef GORO_FIBER_INTERNAL_FIBER_H_
#define GORO_FIBER_INTERNAL_FIBER_H_

#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <exception>

#include "goro/fiber/internal/fiber_stack.h"
#include "goro/runtime/internal/blocking.h"
#include "goro/task/task.h"

namespace goro::internal {

// Thrown by goro::await in a fiber that is being destroyed unfinished.
struct fiber_unwind {};

// A fiber is the wait context of the thread it runs on
// (runtime/internal/blocking.h): goro::await and the primitives' _blocking
// calls hand it their awaiter, and it asks its driver to co_await that.
class fiber final : public wait_context {
 public:
  using body_fn = void (*)(void* arg);

  // Nothing is allocated until the first resume().
  fiber(std::size_t stack_size, body_fn body, void* arg) noexcept
      : stack_size_(stack_size), body_(body), arg_(arg) {}
  // Unwinds a suspended fiber (see "Ending"), then pools its stack.
  ~fiber();
  fiber(const fiber&) = delete;
  fiber& operator=(const fiber&) = delete;

  // --- the driver's side (runs on an M's stack) ---
  // The coroutine that runs the fiber to its end, awaiting its requests.
  // Throws std::system_error if no stack can be mapped.
  task<void> drive();
  // Runs the fiber until it suspends (true: request_ says on what) or its
  // body returns (false).
  bool resume();

  // --- the fiber's side ---
  // The fiber this thread is running, or null (plain threads, stackless
  // Gs, and a driver between resumes). Opaque: see "Threads".
  static fiber* current() noexcept;
  // Called by every wait before it touches its awaiter: throws
  // fiber_unwind if the fiber is being destroyed (or abandons it, see
  // unwind_instead_of_waiting). Checked first because an awaiter's
  // await_ready may begin a protocol that only its await_suspend ends (a
  // channel operation holds the channel's lock from one to the other), so
  // nothing may throw between the two.
  void before_wait() override {
    if (unwinding_) unwind_instead_of_waiting();
  }
  // Hands `request` to the driver and switches away until the driver
  // resumes the fiber: the awaiter may now be resumed (await_resume).
  // Throws what the awaiter's await_suspend threw, or fiber_unwind if the
  // fiber is destroyed meanwhile.
  void wait(wait_request request) override;

  std::uint64_t gid() const noexcept { return gid_; }

 private:
  enum class state : std::uint8_t { created, suspended, running, finished };
  struct eh_globals {  // __cxa_eh_globals of the Itanium C++ ABI
    void* caught = nullptr;
    unsigned int uncaught = 0;
  };

  static void entry(void* self) noexcept;
  void start();
  void switched_in() noexcept;          // fiber side, after every switch in
  void switch_out(bool last) noexcept;  // fiber side
  [[noreturn]] void unwind_instead_of_waiting(
      const wait_request* pending = nullptr);

  const std::size_t stack_size_;
  const body_fn body_;
  void* const arg_;
  fiber_stack stack_{};
  void* sp_ = nullptr;         // the fiber's context while it is away
  void* caller_sp_ = nullptr;  // resume()'s context while the fiber runs
  wait_request request_{};
  std::exception_ptr suspend_error_{};  // thrown by await_suspend
  std::uintptr_t lowest_sp_ = UINTPTR_MAX;
  std::uint64_t gid_ = 0;
  state state_ = state::created;
  bool unwinding_ = false;
  int waits_while_unwinding_ = 0;
  eh_globals eh_{};
  running_stack running_{};
  // Sanitizer bookkeeping (unused without them).
  void* asan_fake_stack_ = nullptr;
  const void* caller_stack_bottom_ = nullptr;
  std::size_t caller_stack_size_ = 0;
  void* tsan_fiber_ = nullptr;
  void* tsan_caller_ = nullptr;
};

}  // namespace goro::internal

#endif  // GORO_FIBER_INTERNAL_FIBER_H_
