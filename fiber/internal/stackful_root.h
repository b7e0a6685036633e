// The root task of a stackful G: owns the fiber and the callable, and
// awaits the fiber's driver (fiber::drive; fiber.h explains the design).
#ifndef GORO_FIBER_INTERNAL_STACKFUL_ROOT_H_
#define GORO_FIBER_INTERNAL_STACKFUL_ROOT_H_

#include <cstddef>
#include <exception>
#include <functional>
#include <tuple>
#include <type_traits>
#include <utility>

#include "goro/fiber/internal/fiber.h"
#include "goro/runtime/internal/result_slot.h"
#include "goro/task/internal/frame_allocator.h"
#include "goro/task/task.h"

namespace goro::internal {

// The callable and its arguments, kept in the driver's frame (on the heap,
// alive as long as the G), called on the fiber's stack with the stored
// arguments as rvalues, like go()'s.
template <class T, class F, class... Args>
struct fiber_body {
  F f;
  std::tuple<Args...> args;
  result_slot<T> result;

  static void run(void* self) {
    auto* b = static_cast<fiber_body*>(self);
    try {
      if constexpr (std::is_void_v<T>) {
        std::apply(std::move(b->f), std::move(b->args));
        b->result.set_value();
      } else {
        b->result.set_value(std::apply(std::move(b->f), std::move(b->args)));
      }
    } catch (const fiber_unwind&) {
      throw;  // not the function's failure: the fiber is being destroyed
    } catch (...) {
      b->result.set_exception(std::current_exception());
    }
  }
};

template <class T, class F, class... Args>
task<T> stackful_root(std::size_t stack_size, F f, Args... args) {
  using body_t = fiber_body<T, F, Args...>;
  static_assert(check_frame_alignment<body_t>());  // body is in this frame
  body_t body{std::move(f), std::tuple<Args...>(std::move(args)...), {}};
  fiber fb(stack_size, &body_t::run, &body);
  task<void> driving = fb.drive();  // named: g++ < 13 PR100611
  co_await driving;
  co_return body.result.take();
}

}  // namespace goro::internal

#endif  // GORO_FIBER_INTERNAL_STACKFUL_ROOT_H_
