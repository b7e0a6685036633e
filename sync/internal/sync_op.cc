// See sync_op.h.
#include "goro/sync/internal/sync_op.h"


#include "goro/runtime/internal/parker.h"
#include "goro/runtime/internal/scheduler.h"
#include "goro/runtime/runtime.h"
#include "goro/sync/internal/sync_fatal.h"

namespace goro::internal {

g* sync_op_commit(void* arg, g* gp) noexcept {
  auto* op = static_cast<sync_op*>(arg);
  // false: op linked a record naming gp and released the queue lock; gp
  // belongs to its waker and neither op nor gp may be touched again.
  return op->advance(op) ? gp : nullptr;
}

void block_on(sync_op* op, const char* what) {
  check_not_in_g(what);
  parker self;
  op->self = wake_token{nullptr, &self};
  // ACQUIRE (park): pairs with the waker's unpark, so what it wrote into
  // op's record is visible to the next advance.
  while (!op->advance(op)) self.park();
}


}  // namespace goro::internal
