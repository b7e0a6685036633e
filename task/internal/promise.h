// Promise types behind goro::task<T>.
//
// promise_base carries what every frame of a G shares with the runtime:
// the g it runs on, the continuation (the awaiting parent frame, null for a
// G's root) and a stored exception. task_promise<T> adds the result slot.
//
// Calls between frames. A call into a child task and the return to its
// parent must not grow the thread's stack: a G may make millions of
// synchronous calls in a loop. Two ways, chosen per translation unit:
//  - Direct (GORO_INTERNAL_DIRECT_TRANSFER == 1): await_suspend /
//    final_suspend return the next frame (symmetric transfer), and the
//    compiler resumes it with a tail call. clang guarantees that tail call
//    (musttail) at every optimisation level, sanitizers included, on x86-64
//    and AArch64. g++ 12 emits it at -O2, -O3 and -Os only, and not under
//    ASan or TSan, and not with -fno-optimize-sibling-calls; the
//    preprocessor cannot tell -O1 or -Og from -O2, so g++ gets the direct
//    path only where the build promises all of that by defining
//    GORO_SIBLING_CALLS (goro's own --config=opt does, next to its -O2).
//    A unit that defines it and is not built that way overflows the stack
//    on a long loop of synchronous calls.
//  - Trampoline (everywhere else, or with GORO_NO_DIRECT_TRANSFER): they
//    write the next frame into the G's `tail` (goro/core/internal/
//    trampoline.h) and suspend to the M's loop, which resumes it: one trip
//    through the loop per hop, on any compiler and level.
// Each hop is complete in itself (a direct hop ends in the loop like any
// other once the G parks or ends), so translation units built either way
// mix freely; the functions that differ take the way as a template
// parameter, so each unit links its own.
//
// Compilers. Directly, a join publishes the joiner and a G's end may free
// the root frame from inside await_suspend (below), which is only sound if
// the compiler touches nothing in the frame after await_suspend returns
// but the jump to the next frame. The standard allows it; compilers have
// not always kept to it (LLVM issues 56301 and 65054, fixed; 64152, open
// for awaiters in general; GCC bug 121961, from g++ 15.2). clang 19 and
// g++ 12-14 do for these awaiters (checked in their code; ASan and TSan
// runs agree); other versions are unchecked and take the trampoline.
//
// A G's end. Through the trampoline, a root frame that finishes sets
// `kind = done` and the M's loop ends the G. Directly, the root's
// final_suspend asks the G's runtime to end it then and there
// (g_owner::end_root, core/internal/g.h) and transfers to the frame it
// names, usually the G that was waiting to join this one: a fork-join
// child hands its M back to its parent without a trip through the loop
// (the join's side is in runtime/join_handle.h). That virtual call is the
// only part of the G beyond its trampoline that this header compiles
// against.
//
// A goro::task awaited from a coroutine type that is not goro's (its promise
// does not derive from promise_base) has no g; then plain symmetric transfer
// is used, and stack depth is up to the compiler, as with any task library.
#ifndef GORO_TASK_INTERNAL_PROMISE_H_
#define GORO_TASK_INTERNAL_PROMISE_H_

#include <coroutine>
#include <exception>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>

#include "goro/core/internal/g.h"
#include "goro/core/internal/trampoline.h"
#include "goro/task/internal/frame_allocator.h"

#if defined(GORO_NO_DIRECT_TRANSFER)
#define GORO_INTERNAL_DIRECT_TRANSFER 0
#elif defined(__clang__) && __clang_major__ >= 19 && \
    (defined(__x86_64__) || defined(__aarch64__))
#define GORO_INTERNAL_DIRECT_TRANSFER 1
#elif !defined(__clang__) && defined(__GNUC__) && __GNUC__ >= 12 &&           \
    __GNUC__ <= 14 && defined(GORO_SIBLING_CALLS) && defined(__OPTIMIZE__) && \
    !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
#define GORO_INTERNAL_DIRECT_TRANSFER 1
#else
#define GORO_INTERNAL_DIRECT_TRANSFER 0
#endif

namespace goro {
template <class T>
class task;
}

namespace goro::internal {

struct promise_base {
  // The G this frame runs on (the G derives from its trampoline:
  // core/internal/g.h); null if a foreign coroutine drives the frame.
  trampoline* g_ = nullptr;
  std::coroutine_handle<> continuation_{};
  // Set while the frame is being awaited: the awaiting frame's promise (null
  // if it is not goro's) and the task object there that owns this frame.
  promise_base* parent_ = nullptr;
  std::coroutine_handle<>* owner_ = nullptr;
  std::exception_ptr exception_{};

  // A frame is aligned as its size allows, up to 128 bytes
  // (frame_allocator.h).
  static void* operator new(std::size_t size) { return frame_alloc(size); }
  static void operator delete(void* frame, std::size_t size) noexcept {
    frame_free(frame, size);
  }
  // What a compiler that passes the frame's alignment calls instead (clang
  // with -fcoro-aligned-allocation), for every frame: any alignment is
  // honoured, and the common case folds to frame_alloc. There is no aligned
  // operator delete to pair with it: clang 19 without that flag would pick
  // it for a promise aligned beyond 16 bytes and then call it without the
  // alignment (a compile error); with the flag it uses the one above, which
  // releases a frame of any alignment.
  static void* operator new(std::size_t size, std::align_val_t alignment) {
    const auto a = static_cast<std::size_t>(alignment);
    if (a <= kMaxFrameAlignment) return frame_alloc(size);
    return frame_alloc_aligned(size, a);
  }

  std::suspend_always initial_suspend() noexcept { return {}; }

  struct final_awaiter {
    bool await_ready() const noexcept { return false; }
    // Direct: the way this translation unit hops (a template parameter,
    // so that units built either way get distinct functions and the
    // linker cannot hand one the other's).
    template <class Promise, bool Direct = GORO_INTERNAL_DIRECT_TRANSFER>
    std::coroutine_handle<> await_suspend(
        std::coroutine_handle<Promise> self) const noexcept {
      promise_base& p = self.promise();
      if (trampoline* gp = p.g_) {
        // Inside a G: back to the parent (directly, or through the
        // trampoline). A root frame (no continuation) ends the G: directly,
        // its runtime ends it here and names the next frame to run on this
        // thread (g_owner::end_root, core/internal/g.h), usually the
        // joiner's; through the trampoline, the M's loop does.
        if (p.continuation_) {
          if constexpr (Direct) return p.continuation_;
          gp->tail = p.continuation_;
        } else {
          gp->kind = suspend_kind::done;
          if constexpr (Direct) {
            g* me = static_cast<g*>(gp);
            return me->sched->end_root(me);
          }
        }
        return std::noop_coroutine();
      }
      // Foreign parent: symmetric transfer.
      if (p.continuation_) return p.continuation_;
      return std::noop_coroutine();
    }
    void await_resume() const noexcept {}
  };
  final_awaiter final_suspend() noexcept { return {}; }

  void unhandled_exception() noexcept { exception_ = std::current_exception(); }
};

[[noreturn]] void throw_empty_task();
[[noreturn]] void throw_task_awaited_twice();

template <class T>
struct task_promise final : promise_base {
  // Reference results are stored as pointers.
  using stored_type =
      std::conditional_t<std::is_reference_v<T>,
                         std::add_pointer_t<std::remove_reference_t<T>>, T>;
  // The result lives here, in the frame.
  static_assert(check_frame_alignment<stored_type>());

  task_promise() noexcept {}
  ~task_promise() {
    if (has_value_) std::destroy_at(std::addressof(value_));
  }

  task<T> get_return_object() noexcept;

  template <class U = T>
    requires std::is_convertible_v<U&&, T>
  void return_value(U&& v) noexcept(
      std::is_nothrow_constructible_v<stored_type, U&&>) {
    if constexpr (std::is_reference_v<T>) {
      T ref = std::forward<U>(v);
      std::construct_at(std::addressof(value_), std::addressof(ref));
    } else {
      std::construct_at(std::addressof(value_), std::forward<U>(v));
    }
    has_value_ = true;
  }

  // Moves the result out (or rethrows). Called once, by the awaiter.
  T take_result() {
    if (exception_) std::rethrow_exception(exception_);
    if constexpr (std::is_reference_v<T>) {
      return static_cast<T>(*value_);
    } else {
      return std::move(value_);
    }
  }

 private:
  union {
    stored_type value_;
  };
  bool has_value_ = false;
};

template <>
struct task_promise<void> final : promise_base {
  task<void> get_return_object() noexcept;
  void return_void() noexcept {}
  void take_result() {
    if (exception_) std::rethrow_exception(exception_);
  }
};

}  // namespace goro::internal

#endif  // GORO_TASK_INTERNAL_PROMISE_H_
