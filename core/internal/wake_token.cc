// See wake_token.h.
#include "goro/core/internal/wake_token.h"

#include "goro/core/internal/g.h"

namespace goro::internal {

void wake(wake_token t) noexcept {
  if (t.gp != nullptr) {
    // RELEASE through the run-queue hand-over: the M that resumes gp sees
    // what the waker wrote into its record.
    t.gp->sched->ready(t.gp);
  } else {
    // RELEASE: pairs with the waiter's park(). unpark() may touch the
    // parker (its futex word) after the owner has already seen the token
    // and returned; that is harmless (see core/internal/futex.h).
    t.thread->unpark();
  }
}

}  // namespace goro::internal
