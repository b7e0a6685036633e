#include <stdexcept>

#include "goro/task/internal/promise.h"

namespace goro::internal {

void throw_empty_task() {
  throw std::logic_error(
      "goro: co_await on an empty task (moved-from or default-constructed)");
}

void throw_task_awaited_twice() {
  throw std::logic_error("goro: task awaited twice (a task runs only once)");
}

}  // namespace goro::internal
