// See sync_op.h.
#include "goro/sync/internal/sync_op.h"

#include "goro/core/internal/g.h"
#include "goro/core/internal/parker.h"
#include "goro/runtime/internal/scheduler.h"
#include "goro/runtime/runtime.h"
#include "goro/sync/internal/sync_fatal.h"

namespace goro::internal {

g* sync_op_commit(void* arg, g* gp) noexcept {
  auto* op = static_cast<sync_op*>(arg);
  // Before advance can publish gp: its records name gp, and the M runs
  // this commit again each time gp is scheduled until the wait is over.
  op->self = wake_token{gp, nullptr};
  gp->repark = true;
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
