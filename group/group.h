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
//    returns, whichever comes first (Go's errgroup.WithContext). Go's two
//    results read the same way: `auto [g, ctx] = group::with_context(p);`
//    binds g to the group and ctx to a copy of its context. A group made
//    by the default constructor has background() as its context().
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
#include <tuple>
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

class group_state;

// A child that go() could not start yet (the limit): f and its arguments,
// made into the child's task when a slot frees. It holds no reference to
// the group's state, so a group dropped with children still queued frees
// them (no cycle through the state).
class queued_child {
 public:
  virtual ~queued_child() = default;
  virtual task<void> make(std::shared_ptr<group_state> st) = 0;
};

// The body of every child G: runs f, reports what it throws, then ends.
template <class F, class... Args>
task<void> group_run_child(std::shared_ptr<group_state> st, F f, Args... args);

template <class F, class... Args>
class queued_child_of final : public queued_child {
 public:
  template <class F2, class... Args2>
  explicit queued_child_of(F2&& f, Args2&&... args)
      : f_(std::forward<F2>(f)), args_(std::forward<Args2>(args)...) {}
  task<void> make(std::shared_ptr<group_state> st) override {
    return std::apply(
        [&](Args&... a) {
          return group_run_child<F, Args...>(std::move(st), std::move(f_),
                                             std::move(a)...);
        },
        args_);
  }

 private:
  F f_;
  std::tuple<Args...> args_;
};

// What a group's Gs share with it (they may outlive the group object).
class group_state : public std::enable_shared_from_this<group_state> {
 public:
  // Admits a child: true to start it now (counted active); false when the
  // limit is reached, and then make_queued()'s child waits in the queue
  // (a finishing child's end() starts it). Throws when the limit is 0.
  template <class MakeQueued>
  bool admit(MakeQueued&& make_queued) {
    spin_lock_guard l(mu_);
    if (limit_ == 0) throw_zero_limit();
    if (limit_ > 0 && active_ >= limit_) {
      queued_.push_back(make_queued());
      return false;
    }
    ++active_;
    return true;
  }
  // try_go: true (and counted active) if below the limit.
  bool try_admit();
  void set_limit(int n);
  // A child threw: keep the first exception, cancel the context.
  void fail(std::exception_ptr e) noexcept;
  // A child's end (or a start that failed): passes the slot to the next
  // queued child, if any, else frees it; then done(). Runs in a G.
  void end();
  void start(task<void> t);

  wait_group wg;
  goro::context ctx;
  std::optional<cancel_func> cancel;

  std::exception_ptr first() noexcept;

 private:
  [[noreturn]] static void throw_zero_limit();

  spin_lock mu_;
  std::exception_ptr first_ ABSL_GUARDED_BY(mu_);
  int limit_ ABSL_GUARDED_BY(mu_) = -1;
  int active_ ABSL_GUARDED_BY(mu_) = 0;
  std::deque<std::unique_ptr<queued_child>> queued_ ABSL_GUARDED_BY(mu_);
};

template <class F, class... Args>
task<void> group_run_child(std::shared_ptr<group_state> st, F f, Args... args) {
  try {
    if constexpr (is_task_v<std::invoke_result_t<F&, Args&...>>) {
      co_await std::invoke(f, args...);
    } else {
      std::invoke(f, args...);
    }
  } catch (...) {
    st->fail(std::current_exception());
  }
  st->end();
}

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
    (void)internal::current_scheduler_or_throw("goro::group::go");
    st_->wg.add(1);
    bool now;
    try {
      now = st_->admit([&] {
        return std::unique_ptr<internal::queued_child>(
            new internal::queued_child_of<std::decay_t<F>,
                                          std::decay_t<Args>...>(
                std::forward<F>(f), std::forward<Args>(args)...));
      });
    } catch (...) {
      st_->wg.done();
      throw;
    }
    if (now) start_or_end(std::forward<F>(f), std::forward<Args>(args)...);
  }

  template <class F, class... Args>
  bool try_go(F&& f, Args&&... args) {
    (void)internal::current_scheduler_or_throw("goro::group::try_go");
    if (!st_->try_admit()) return false;
    st_->wg.add(1);
    start_or_end(std::forward<F>(f), std::forward<Args>(args)...);
    return true;
  }

  [[nodiscard]] task<void> wait() { return internal::group_wait(st_); }

  // Structured bindings, as Go's `g, ctx := errgroup.WithContext(p)`:
  // element 0 is the group itself, element 1 a copy of its context.
  template <std::size_t I>
  friend decltype(auto) get(group& g) noexcept {
    if constexpr (I == 0) {
      return (g);
    } else {
      return goro::context(g.context());
    }
  }
  template <std::size_t I>
  friend decltype(auto) get(group&& g) noexcept {
    if constexpr (I == 0) {
      return static_cast<group&&>(g);
    } else {
      return goro::context(g.context());
    }
  }

 private:
  // Starts an admitted child; if making or starting it throws, gives its
  // slot back (end) and rethrows.
  template <class F, class... Args>
  void start_or_end(F&& f, Args&&... args) {
    try {
      // One frame: the coroutine's parameters hold f and the arguments.
      st_->start(
          internal::group_run_child<std::decay_t<F>, std::decay_t<Args>...>(
              st_, std::forward<F>(f), std::forward<Args>(args)...));
    } catch (...) {
      st_->end();
      throw;
    }
  }

  std::shared_ptr<internal::group_state> st_;
};

}  // namespace goro

template <>
struct std::tuple_size<goro::group> : std::integral_constant<std::size_t, 2> {};
template <>
struct std::tuple_element<0, goro::group> {
  using type = goro::group;
};
template <>
struct std::tuple_element<1, goro::group> {
  using type = goro::context;
};

#endif  // GORO_GROUP_GROUP_H_
