#include "goro/group/group.h"

#include <stdexcept>
#include <string>
#include <utility>

namespace goro {
namespace internal {

void group_state::throw_zero_limit() {
  throw std::logic_error(
      "goro::group::go: the group's limit is 0, so no G could ever start "
      "(Go would block forever)");
}

bool group_state::try_admit() {
  spin_lock_guard l(mu_);
  if (limit_ >= 0 && active_ >= limit_) return false;
  ++active_;
  return true;
}

void group_state::set_limit(int n) {
  spin_lock_guard l(mu_);
  if (active_ != 0 || !queued_.empty()) {
    throw std::logic_error(
        "goro::group::set_limit: modify limit while " +
        std::to_string(active_ + static_cast<int>(queued_.size())) +
        " Gs in the group are still active");
  }
  limit_ = n < 0 ? -1 : n;
}

void group_state::fail(std::exception_ptr e) noexcept {
  bool cancel_now = false;
  {
    spin_lock_guard l(mu_);
    if (!first_) {
      first_ = std::move(e);
      cancel_now = true;
    }
  }
  if (cancel_now && cancel) (*cancel)();
}

std::exception_ptr group_state::first() noexcept {
  spin_lock_guard l(mu_);
  return first_;
}

void group_state::start(task<void> t) { goro::co_spawn(std::move(t)).detach(); }

void group_state::end() {
  std::unique_ptr<queued_child> next;
  {
    spin_lock_guard l(mu_);
    if (!queued_.empty()) {
      next = std::move(queued_.front());
      queued_.pop_front();  // stays active: the slot passes to `next`
    } else {
      --active_;
    }
  }
  if (next) {
    // In a G (a finishing child's, or go()'s caller's): co_spawn has its
    // runtime. If this start fails (out of memory), the slot passes on.
    try {
      start(next->make(shared_from_this()));
    } catch (...) {
      end();  // next's own done()
    }
  }
  wg.done();
}

task<void> group_wait(std::shared_ptr<group_state> st) {
  co_await st->wg.wait();
  if (st->cancel) (*st->cancel)();
  if (std::exception_ptr e = st->first()) std::rethrow_exception(e);
}

}  // namespace internal

group::group() : st_(std::make_shared<internal::group_state>()) {}

group group::with_context(const goro::context& parent) {
  group g;
  auto [ctx, cancel] = goro::with_cancel(parent);
  g.st_->ctx = std::move(ctx);
  g.st_->cancel.emplace(std::move(cancel));
  return g;
}

}  // namespace goro
