// result_slot<T>: a T (or a reference, or nothing) or an exception, set by
// one party and taken by another: runtime::block_on's waiting thread, a
// fiber's body and its driver, goro::await. Not synchronised: the users
// order set and take themselves.
#ifndef GORO_RUNTIME_INTERNAL_RESULT_SLOT_H_
#define GORO_RUNTIME_INTERNAL_RESULT_SLOT_H_

#include <exception>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

namespace goro::internal {

template <class T>
class result_slot {
 public:
  template <class... U>
  void set_value(U&&... v) {
    if constexpr (std::is_reference_v<T>) {
      value_.emplace(std::addressof(v)...);
    } else if constexpr (!std::is_void_v<T>) {
      value_.emplace(std::forward<U>(v)...);
    }
  }
  void set_exception(std::exception_ptr e) noexcept {
    exception_ = std::move(e);
  }

  // The value, or rethrows the exception.
  T take() {
    if (exception_) std::rethrow_exception(std::exchange(exception_, nullptr));
    if constexpr (std::is_reference_v<T>) {
      return static_cast<T>(**value_);
    } else if constexpr (!std::is_void_v<T>) {
      return std::move(*value_);
    }
  }

 private:
  using stored =
      std::conditional_t<std::is_reference_v<T>,
                         std::add_pointer_t<std::remove_reference_t<T>>,
                         std::conditional_t<std::is_void_v<T>, char, T>>;
  std::exception_ptr exception_;
  std::optional<stored> value_;
};

}  // namespace goro::internal

#endif  // GORO_RUNTIME_INTERNAL_RESULT_SLOT_H_
