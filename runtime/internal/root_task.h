// Turning go()/co_spawn() arguments into the root task of a new G.
//
// The classic coroutine-lambda bug:
//     go([x] () -> task<> { use(x); co_return; });
// The lambda's captures live in the closure object, not in the coroutine
// frame; the closure is a temporary that dies at the end of the go(...)
// expression, long before the G runs. So go/co_spawn never call the callable
// in place: they move the callable and its arguments into the parameters of
// a wrapper coroutine (owning_root), whose frame lives exactly as long as
// the G. The user's coroutine is then invoked *from inside* that frame, with
// the stored arguments passed as rvalues: by-value parameters are moved in,
// const& and && parameters bind to the copies in the wrapper's frame, which
// outlive them.
//
// The wrapper frame is skipped (one frame per G instead of two, on the
// hottest path) when nothing can dangle:
//  - a function pointer whose parameters are all taken by value: calling it
//    moves the arguments into its own frame;
//  - a stateless callable (captureless lambda, empty functor) whose
//    operator() is not overloaded and takes every parameter by value.
#ifndef GORO_RUNTIME_INTERNAL_ROOT_TASK_H_
#define GORO_RUNTIME_INTERNAL_ROOT_TASK_H_

#include <functional>
#include <type_traits>
#include <utility>

#include "goro/task/internal/frame_allocator.h"
#include "goro/task/task.h"

namespace goro::internal {

// Whether every parameter of a callable is taken by value. False when that
// cannot be known (overloaded or generic operator()).
template <class Sig>
struct sig_by_value : std::false_type {};
template <class R, class... P>
struct sig_by_value<R(P...)>
    : std::bool_constant<(!std::is_reference_v<P> && ...)> {};
template <class R, class... P>
struct sig_by_value<R(P...) noexcept> : sig_by_value<R(P...)> {};

template <class Member>
struct member_sig {};
template <class C, class R, class... P>
struct member_sig<R (C::*)(P...) const> {
  using type = R(P...);
};
template <class C, class R, class... P>
struct member_sig<R (C::*)(P...) const noexcept> {
  using type = R(P...);
};
template <class C, class R, class... P>
struct member_sig<R (C::*)(P...)> {
  using type = R(P...);
};

template <class F, class = void>
struct params_by_value : std::false_type {};
template <class F>
struct params_by_value<
    F, std::enable_if_t<std::is_pointer_v<F> &&
                        std::is_function_v<std::remove_pointer_t<F>>>>
    : sig_by_value<std::remove_pointer_t<F>> {};
// Any other operator() form (ref-qualified, non-const noexcept, overloaded,
// generic) is simply not known to be safe: it gets the wrapper frame.
template <class F>
struct params_by_value<
    F, std::void_t<typename member_sig<decltype(&F::operator())>::type>>
    : sig_by_value<typename member_sig<decltype(&F::operator())>::type> {};

// What go / co_spawn / block_on / run accept: a goro::task<T> itself, or a
// callable that, given the (decayed) arguments, returns one. Used to keep
// goro::run out of overload sets it was never meant for: an unqualified
// call run(x) in user code finds it by argument-dependent lookup whenever x
// is a goro type.
template <class F, class... Args>
concept spawnable =
    (sizeof...(Args) == 0 && is_task_v<std::decay_t<F>>) ||
    std::is_invocable_v<std::decay_t<F>&&, std::decay_t<Args>&&...>;

template <class F, class... Args>
struct spawn_traits {
  using callable = std::decay_t<F>;
  static constexpr bool is_ready_task =
      sizeof...(Args) == 0 && is_task_v<callable>;

  template <class X, bool ReadyTask>
  struct result_of {
    using type = X;
  };
  template <class X>
  struct result_of<X, false> {
    using type = std::invoke_result_t<callable&&, std::decay_t<Args>&&...>;
  };
  using task_type = typename result_of<callable, is_ready_task>::type;
  static_assert(is_task_v<task_type>,
                "goro::go / co_spawn: the callable must return goro::task<T> "
                "(or pass a goro::task<T> itself)");
  using value_type = typename task_type::value_type;

  // Nothing to keep alive: invoke in place (see the header comment).
  static constexpr bool stateless =
      (std::is_pointer_v<callable> || std::is_empty_v<callable>) &&
      params_by_value<callable>::value;
};

template <class Task, class F, class... Args>
Task owning_root(F f, Args... args) {
  // Named, not a temporary inside the co_await expression (g++ < 13
  // PR100611 can destroy such temporaries twice).
  Task t = std::invoke(std::move(f), std::move(args)...);
  co_return co_await t;
}

template <class F, class... Args>
auto make_root_task(F&& f, Args&&... args) {
  // The callable and the arguments are kept in a frame: owning_root's, or
  // (arguments) the coroutine's own parameters.
  static_assert(check_frame_alignment<std::decay_t<F>>() &&
                (check_frame_alignment<std::decay_t<Args>>() && ...));
  using traits = spawn_traits<F, Args...>;
  using task_type = typename traits::task_type;
  if constexpr (traits::is_ready_task) {
    static_assert(std::is_rvalue_reference_v<F&&>,
                  "goro::go / co_spawn: pass the task by value (std::move it)");
    return task_type(std::move(f));
  } else if constexpr (traits::stateless) {
    return task_type(std::invoke(
        std::forward<F>(f), std::decay_t<Args>(std::forward<Args>(args))...));
  } else {
    return owning_root<task_type, typename traits::callable,
                       std::decay_t<Args>...>(std::forward<F>(f),
                                              std::forward<Args>(args)...);
  }
}

}  // namespace goro::internal

#endif  // GORO_RUNTIME_INTERNAL_ROOT_TASK_H_
