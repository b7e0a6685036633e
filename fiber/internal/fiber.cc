#include "goro/fiber/internal/fiber.h"

#include <cxxabi.h>
#include <unistd.h>

#include <cstring>
#include <exception>

#include "goro/core/internal/fatal.h"
#include "goro/fiber/internal/context_switch.h"
#include "goro/runtime/internal/scheduler.h"

#if defined(__SANITIZE_ADDRESS__)
#define GORO_ASAN 1
#elif defined(__SANITIZE_THREAD__)
#define GORO_TSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define GORO_ASAN 1
#elif __has_feature(thread_sanitizer)
#define GORO_TSAN 1
#endif
#endif
#if defined(GORO_ASAN)
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif
#if defined(GORO_TSAN)
#include <sanitizer/tsan_interface.h>
#endif

namespace goro::internal {

namespace {
// This thread's fiber state, one trivially constructed thread_local (no
// lazy-initialisation guard on the resume path).
struct thread_state {
  const running_stack* running;  // for the overflow handler
  // The thread's C++ exception globals (__cxa_get_globals(): its address
  // is fixed for the thread's life). <cxxabi.h> declares an opaque type;
  // both libsupc++ and libc++abi lay it out as fiber::eh_globals on x86-64
  // and AArch64.
  void* eh;
  bool prepared;  // prepare_thread_for_fibers() done
};
thread_local thread_state tls{};
}  // namespace

// Only fibers install a wait context (resume() below).
fiber* fiber::current() noexcept {
  return static_cast<fiber*>(current_wait_context());
}

const running_stack* running_stack_of_this_thread() noexcept {
  return tls.running;
}

void fiber::start() {
  stack_ = fiber_stack::acquire(stack_size_);
  sp_ = make_context(stack_.top(), &fiber::entry, this);
  running_.guard_lo = stack_.base;
  running_.guard_hi = stack_.lo();
  running_.size = stack_.size;
#if defined(GORO_TSAN)
  tsan_fiber_ = __tsan_create_fiber(0);
#endif
}

bool fiber::resume() {
  if (state_ == state::finished) fatal("fiber resumed after it finished");
  if (state_ == state::created) {
    start();
    if (g* gp = current_g()) gid_ = gp->id;
    running_.gid = gid_;
  }
  thread_state& ts = tls;  // resume() never changes threads (fiber.h)
  if (!ts.prepared) {
    prepare_thread_for_fibers();
    ts.eh = static_cast<void*>(abi::__cxa_get_globals());
    ts.prepared = true;
  }

  // null: drivers run on M stacks.
  fiber* const outer = static_cast<fiber*>(exchange_wait_context(this));
  ts.running = &running_;
  void* const ehp = ts.eh;
  eh_globals thread_eh;
  std::memcpy(&thread_eh, ehp, sizeof(thread_eh));
  std::memcpy(ehp, &eh_, sizeof(eh_));
  state_ = state::running;

#if defined(GORO_TSAN)
  tsan_caller_ = __tsan_get_current_fiber();
  __tsan_switch_to_fiber(tsan_fiber_, 0);
#endif
#if defined(GORO_ASAN)
  void* fake_stack = nullptr;
  __sanitizer_start_switch_fiber(&fake_stack, stack_.lo(), stack_.size);
#endif
  switch_context(&caller_sp_, sp_);
#if defined(GORO_ASAN)
  __sanitizer_finish_switch_fiber(fake_stack, nullptr, nullptr);
#endif

  // Back on this thread's stack: the fiber suspended or finished.
  std::memcpy(&eh_, ehp, sizeof(eh_));
  std::memcpy(ehp, &thread_eh, sizeof(thread_eh));
  ts.running = outer != nullptr ? &outer->running_ : nullptr;
  exchange_wait_context(outer);
  return state_ != state::finished;
}

void fiber::switched_in() noexcept {
#if defined(GORO_ASAN)
  // Learns where the driver's stack is, to switch back to it.
  __sanitizer_finish_switch_fiber(asan_fake_stack_, &caller_stack_bottom_,
                                  &caller_stack_size_);
#endif
}

void fiber::switch_out(bool last) noexcept {
#if defined(GORO_ASAN)
  // On the last switch ASan may free the fiber's fake stack (null save).
  __sanitizer_start_switch_fiber(last ? nullptr : &asan_fake_stack_,
                                 caller_stack_bottom_, caller_stack_size_);
#endif
#if defined(GORO_TSAN)
  __tsan_switch_to_fiber(tsan_caller_, 0);
#endif
  state_ = last ? state::finished : state::suspended;
  switch_context(&sp_, caller_sp_);
}

void fiber::wait(wait_request request) {
  // before_wait() ran before the awaiter was touched, and unwinding_ only
  // changes while the fiber is switched out.
  if (unwinding_) fatal("fiber::suspend while unwinding");
  request_ = request;
  const auto sp = reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0));
  if (sp < lowest_sp_) lowest_sp_ = sp;
  switch_out(/*last=*/false);
  switched_in();
  if (unwinding_) unwind_instead_of_waiting(&request_);
  request_ = {};
  if (suspend_error_) {
    std::exception_ptr e = static_cast<std::exception_ptr&&>(suspend_error_);
    suspend_error_ = nullptr;
    std::rethrow_exception(static_cast<std::exception_ptr&&>(e));
  }
}

namespace {
// The driver's side of a wait: await_ready was asked on the fiber's stack.
// The awaiter's answer is the frame to run next: none (noop: the G waits),
// the driver itself (the wait is over at once), or a task's first frame
// (goro::await of a task). Directly, the transfer to it is a tail call.
// Through the trampoline, this unit's frames never resume one another:
// the driver continues without a call (false), and a task's frame goes to
// the M's loop through the G's `tail`. A call here would nest one stack
// frame per wait, for as long as waits end at once or a task awaited from
// a unit that hops directly returns straight into this driver.
struct request_awaiter {
  const wait_request* request;
  bool await_ready() const noexcept { return false; }
  template <bool Direct = GORO_INTERNAL_DIRECT_TRANSFER>
  std::conditional_t<Direct, std::coroutine_handle<>, bool> await_suspend(
      std::coroutine_handle<task_promise<void>> h) const {
    const std::coroutine_handle<> next = request->suspend(request->awaiter, h);
    if constexpr (Direct) {
      return next;
    } else {
      if (next == h) return false;
      if (next != std::noop_coroutine()) h.promise().g_->tail = next;
      return true;
    }
  }
  void await_resume() const noexcept {}
};
}  // namespace

task<void> fiber::drive() {
  while (resume()) {
    try {
      request_awaiter wait{&request_};  // named: g++ < 13 PR100611
      co_await wait;
    } catch (...) {
      // await_suspend threw: the awaiter did not suspend; the fiber gets
      // the exception where it waits.
      suspend_error_ = std::current_exception();
    }
  }
}

// The fiber is being destroyed ("Ending" in fiber.h) and is at a wait that
// can never complete. Normally: throw fiber_unwind and let the stack
// unwind. Two cases cannot throw:
//  - an exception is already propagating on this fiber (the wait is in a
//    destructor, run by fiber_unwind itself or by the fiber's own
//    exception): a second throw out of a destructor would std::terminate;
//  - the fiber keeps waiting after fiber_unwind was thrown (a catch (...)
//    swallowed it): it would never end.
// Then the fiber is abandoned: it switches away for the last time and its
// stack is released without running the destructors still on it (what
// they own leaks; nothing on the stack is touched again). One exception:
// the awaiter of a pending wait, if it lives on this stack, is destroyed
// first, because a parked awaiter is linked into its channel or lock,
// which would otherwise keep a pointer into a stack about to be reused.
void fiber::unwind_instead_of_waiting(const wait_request* pending) {
  constexpr int kMaxWaitsWhileUnwinding = 64;
  if (std::uncaught_exceptions() == 0 &&
      ++waits_while_unwinding_ <= kMaxWaitsWhileUnwinding) {
    throw fiber_unwind{};
  }
  if (std::uncaught_exceptions() == 0) {
    static const char kMsg[] =
        "goro: a fiber kept waiting while its runtime was being destroyed "
        "(does a catch (...) swallow goro::internal::fiber_unwind? rethrow "
        "it); its stack is released without running the rest of its "
        "destructors\n";
    ssize_t ignored = write(STDERR_FILENO, kMsg, sizeof(kMsg) - 1);
    (void)ignored;
  }
  if (pending != nullptr && pending->cancel != nullptr) {
    const auto* a = static_cast<const char*>(pending->awaiter);
    if (a >= stack_.lo() && a < stack_.top()) pending->cancel(pending->awaiter);
  }
#if defined(GORO_ASAN)
  // Frames left on the stack keep their redzones poisoned; the next fiber
  // on this stack must not inherit them.
  __asan_unpoison_memory_region(stack_.lo(), stack_.size);
#endif
  switch_out(/*last=*/true);
  fatal("an abandoned fiber was resumed");
}

void fiber::entry(void* self) noexcept {
  auto* f = static_cast<fiber*>(self);
  f->switched_in();
  try {
    f->body_(f->arg_);
  } catch (const fiber_unwind&) {
    // Being destroyed: the stack is unwound, nothing more to do.
  }
  // Anything else escaping body_ (which catches everything) hits this
  // function's noexcept: std::terminate.
  f->switch_out(/*last=*/true);
  fatal("a finished fiber was resumed");
}

fiber::~fiber() {
  if (state_ == state::suspended) {
    unwinding_ = true;  // request_ stays: the pending wait's awaiter
    suspend_error_ = nullptr;
    // Every goro::await from here on throws fiber_unwind without
    // switching away, so this runs the fiber to its end.
    if (resume()) fatal("a fiber being unwound suspended");
  }
  if (stack_) fiber_stack::release(stack_, lowest_sp_);
#if defined(GORO_TSAN)
  if (tsan_fiber_ != nullptr) __tsan_destroy_fiber(tsan_fiber_);
#endif
}

}  // namespace goro::internal
