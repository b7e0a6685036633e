// goro::group: Go's errgroup.Group: a set of Gs working on parts of one
// task, waited for together, the first failure reported (and, with a
// context, the others told to stop).
//
//   goro::group g = goro::group::with_context(ctx);
//   for (auto& url : urls) {
//     g.go([&g, url]() -> goro::task<void> {
//       co_await fetch(g.context(), url);   // throws on failure
//     });
//   }
//   co_await g.wait();   // every G has finished; rethrows the first failure
//
// Contract:
//  - g.go(f, args...) starts f(args...) in a new G (a fork-join child of the
//    caller: it runs on the caller's P unless stolen, as co_spawn's do). f
//    may return a goro::task (awaited) or be an ordinary callable; f and
//    the arguments are decay-copied into the G, as goro::go does. Must be
//    called from inside a G of a goro runtime (std::logic_error otherwise).
//  - co_await g.wait() suspends until every G started by go() has finished
//    (including those a limit held back), then rethrows the first exception
//    any of them threw, in time order; the others are dropped. Later waits
//    rethrow the same one. A group is reusable: go() may be called again
//    after wait().
//  - group::with_context(parent) gives a group whose context() is derived
//    from parent and is cancelled when the first G throws, or when wait()
//    returns, whichever comes first (Go's errgroup.WithContext). A group
//    made by the default constructor has background() as its context().
//  - set_limit(n) bounds how many of the group's Gs are active at once
//    (n < 0: no limit, the default). Where Go's Go blocks the caller while
//    the limit is reached, g.go() never blocks (a stackless G cannot block
//    inside a plain call): the G is created but starts only when an active
//    one finishes, in the order go() was called. try_go() instead starts
//    nothing and returns false when the limit is reached. A limit of 0
//    makes go() throw std::logic_error (in Go it would block forever).
//    Changing the limit while Gs of the group are active throws
//    std::logic_error, as Go panics.
//  - Destroying a group does not wait: Gs still running finish on their
//    own, and what they throw is dropped. Move-only; one owner, not
//    thread-safe, like Go's (go() from several Gs of the group is fine).
#ifndef GORO_GROUP_GROUP_H_
#define GORO_GROUP_GROUP_H_

#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "goro/context/context.h"
#include "goro/core/internal/spin_lock.h"
#include "goro/runtime/spawn.h"
#include "goro/sync/wait_group.h"
#include "goro/task/task.h"

namespace goro {

namespace internal {

// What a group's Gs share with it (they may outlive the group object).
class group_state {
 public:
  // Admits a child: true to start it now, false when it was queued behind
  // the limit (it starts from a finishing child's end()). Throws when the
  // limit is 0.
  bool admit(task<void>* t);
  // try_go: true (and counted active) if below the limit.
  bool try_admit();
  void set_limit(int n);
  // A child threw: keep the first exception, cancel the context.
  void fail(std::exception_ptr e) noexcept;
  // A child's end: starts the next queued child, if any, then done().
  void end();
  void start(task<void> t);

  wait_group wg;
  goro::context ctx;
  std::optional<cancel_func> cancel;

  std::exception_ptr first() noexcept;

 private:
  spin_lock mu_;
  std::exception_ptr first_ ABSL_GUARDED_BY(mu_);
  int limit_ ABSL_GUARDED_BY(mu_) = -1;
  int active_ ABSL_GUARDED_BY(mu_) = 0;
  std::deque<task<void>> queued_ ABSL_GUARDED_BY(mu_);
};

task<void> group_wait(std::shared_ptr<group_state> st);

}  // namespace internal

class group {
 public:
  group();
  static group with_context(const goro::context& parent);

  group(group&&) noexcept = default;
  group& operator=(group&&) noexcept = default;
  group(const group&) = delete;
  group& operator=(const group&) = delete;

  // The group's context (Go's second result of WithContext).
  const goro::context& context() const noexcept { return st_->ctx; }
  const goro::context& ctx() const noexcept { return st_->ctx; }

  void set_limit(int n) { st_->set_limit(n); }

  template <class F, class... Args>
  void go(F&& f, Args&&... args) {
    task<void> t = make_child(std::forward<F>(f), std::forward<Args>(args)...);
    st_->wg.add(1);
    bool now;
    try {
      now = st_->admit(&t);
    } catch (...) {
      st_->wg.done();
      throw;
    }
    if (now) start_or_undo(std::move(t));
  }

  template <class F, class... Args>
  bool try_go(F&& f, Args&&... args) {
    if (!st_->try_admit()) return false;
    st_->wg.add(1);
    start_or_undo(make_child(std::forward<F>(f), std::forward<Args>(args)...));
    return true;
  }

  [[nodiscard]] task<void> wait() { return internal::group_wait(st_); }

 private:
  template <class F, class... Args>
  static task<void> run_child(std::shared_ptr<internal::group_state> st, F f,
                              Args... args) {
    try {
      if constexpr (internal::is_task_v<std::invoke_result_t<F&, Args&...>>) {
        co_await std::invoke(f, args...);
      } else {
        std::invoke(f, args...);
      }
    } catch (...) {
      st->fail(std::current_exception());
    }
    st->end();
  }

  template <class F, class... Args>
  task<void> make_child(F&& f, Args&&... args) {
    // One frame: the coroutine's parameters hold f and the arguments.
    return run_child<std::decay_t<F>, std::decay_t<Args>...>(
        st_, std::forward<F>(f), std::forward<Args>(args)...);
  }

  void start_or_undo(task<void> t);

  std::shared_ptr<internal::group_state> st_;
};

}  // namespace goro

#endif  // GORO_GROUP_GROUP_H_
