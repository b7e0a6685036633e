// Teardown: stop every M, then destroy every G still alive without
// resuming it.
#include <coroutine>

#include "goro/core/internal/fatal.h"
#include "goro/runtime/internal/scheduler.h"
#include "goro/task/internal/promise.h"

namespace goro::internal {

scheduler::~scheduler() {
  machine* self = current_machine();
  if (self != nullptr && self->sched == this) {
    fatal("a goro::runtime was destroyed from inside one of its own Gs");
  }
  idle_.stop();           // stopping, and every parked M woken
  poller_.wake_always();  // the poller, if any, sleeps there
  idle_.join_all();

  // Every M has exited: this thread is the only one left. Destroy the frames
  // of Gs that never finished (and of finished Gs whose join handle is still
  // alive). A frame's destructors may drop join handles of other Gs:
  // release() sees teardown_ and leaves the freeing to this loop.
  teardown_ = true;
  // A destructor may spawn (a new G, possibly a new block), and that G
  // must be destroyed too, so repeat until a pass finds nothing left
  // (for_each_g walks blocks added meanwhile).
  for (bool again = true; again;) {
    again = false;
    // Pass 1, while every frame is still alive: detach each live chain's
    // frames from the task objects that own them. A frame may be owned by a
    // task in *another* G's frame (a G awaiting a task it borrowed), which
    // pass 2 may destroy first.
    galloc_.for_each_g([this](g* gp) { detach_owners(gp); });
    // Pass 2: destroy every chain innermost-first.
    galloc_.for_each_g([this, &again](g* gp) { again |= destroy_frames(gp); });
  }
  // Timers still armed (their owners outlive the runtime, or armed them
  // from the destructors above) will never fire: tell their owners.
  for (auto& p : ps_) p->timers.detach_all();
  // The g structs go with galloc_.
}

// Destroys the frames of a G that will never run again, innermost first.
//
// Destroying only the root would work (each frame's task object destroys the
// frame it awaits) but recurses once per frame, and an abandoned chain of
// 100k nested co_awaits overflows the stack. So walk from the frame the G is
// suspended in up through the awaiting frames, destroying each; the task
// objects that owned them were detached first (detach_owners).
// Each frame's locals are still destroyed before its parent's, as they would
// be on return.
namespace {
// The innermost frame of a G that will not run again, and its promise. A
// finished G's resume point is stale: it has only its root left.
promise_base* innermost(g* gp, std::coroutine_handle<>* h) {
  if (gp->kind != suspend_kind::done && gp->resume_promise != nullptr) {
    *h = gp->resume;
    return gp->resume_promise;
  }
  *h = gp->root;
  return gp->root_promise;
}
}  // namespace

void scheduler::detach_owners(g* gp) noexcept {
  if (!gp->root) return;
  std::coroutine_handle<> h;
  for (promise_base* p = innermost(gp, &h); p != nullptr; p = p->parent_) {
    if (p->owner_ != nullptr) {
      *p->owner_ = {};
      p->owner_ = nullptr;
    }
  }
}

bool scheduler::destroy_frames(g* gp) noexcept {
  if (!gp->root) return false;
  const std::coroutine_handle<> root = gp->root;
  std::coroutine_handle<> h;
  promise_base* p = innermost(gp, &h);
  gp->root = {};
  while (p != nullptr) {
    promise_base* parent = p->parent_;
    std::coroutine_handle<> parent_frame = p->continuation_;
    h.destroy();  // detach_owners already cut it from its owning task
    if (h == root) return true;
    if (parent == nullptr) break;  // a frame awaited by a foreign coroutine
    p = parent;
    h = parent_frame;
  }
  // The walk stopped at a coroutine that is not goro's: destroy the rest from
  // the root down (its task objects no longer own the frames freed above).
  root.destroy();
  return true;
}

}  // namespace goro::internal
