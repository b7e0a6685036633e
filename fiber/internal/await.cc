#include "goro/fiber/await.h"

#include <stdexcept>

namespace goro::internal {

void throw_await_outside_fiber() {
  throw std::logic_error(
      "goro::await() called outside a fiber: in a stackless G use co_await; "
      "on a plain thread use the *_blocking calls or runtime::block_on; to "
      "wait from ordinary functions, start them with goro::go_stackful");
}

}  // namespace goro::internal
