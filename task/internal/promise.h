// Promise types behind goro::task<T>.
//
// promise_base carries what every frame of a G shares with the runtime:
// the g it runs on, the continuation (the awaiting parent frame, null for a
// G's root) and a stored exception. task_promise<T> adds the result slot.
//
// Calls and returns between frames of one G go through the G's trampoline
// (goro/core/internal/trampoline.h): await_suspend / final_suspend write the
// next frame into its `tail` and suspend to the M's loop, which resumes it.
// The trampoline is the only part of the G that this header, and so every
// user translation unit, compiles against.
// That keeps the stack flat on every compiler and optimisation level, at the
// price of one indirect call per hop (measured in benchmarks/README.md).
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

#include "goro/core/internal/trampoline.h"
#include "goro/task/internal/frame_allocator.h"

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
    template <class Promise>
    std::coroutine_handle<> await_suspend(
        std::coroutine_handle<Promise> self) const noexcept {
      promise_base& p = self.promise();
      if (trampoline* gp = p.g_) {
        // Inside a G: hand the next frame to the trampoline. A root frame
        // (no continuation) ends the G.
        if (p.continuation_) {
          gp->tail = p.continuation_;
        } else {
          gp->kind = suspend_kind::done;
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
