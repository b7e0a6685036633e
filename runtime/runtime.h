// goro::runtime: a set of Ps and the Ms that run Gs on them.
//
//   goro::task<int> app() { ...; co_return 0; }
//   int main() { return goro::run(app); }
//
// or, with explicit control:
//
//   goro::runtime rt{goro::options{.procs = 4}};
//   int v = rt.block_on(compute, 7);   // runs compute(7) as a G, waits
//   rt.go(background_job);              // spawn from a plain thread
//
// Contract:
//  - procs: the number of Ps (Go's GOMAXPROCS), i.e. how many Gs may run in
//    parallel. Unset: the GOMAXPROCS environment variable if it holds a
//    positive integer, else the number of CPUs this process may run on.
//    procs < 1 throws std::invalid_argument. More Ps than cores is allowed.
//  - Threads (Ms) are started on demand, at most one per P; an idle runtime
//    parks them all and uses no CPU.
//  - block_on(f, args...) / block_on(task): runs the task as a G and blocks
//    the calling plain thread until it returns, then yields its T or
//    rethrows. Calling it from inside a G throws std::logic_error (it would
//    block an M).
//  - go / co_spawn: as goro::go / goro::co_spawn (goro/runtime/spawn.h), but
//    callable from any thread, including threads outside the runtime.
//  - Destruction: stops every M (after the G each is running suspends), then
//    destroys every G that has not finished, without resuming it: its
//    frames' destructors run on the destroying thread and must not suspend
//    or use the runtime. A G blocked on a channel or a sync primitive is
//    unlinked from it and its wait undone (a lock it had been handed is
//    released, units it had been granted are returned), so the channel or
//    primitive stays usable by others. Nothing is leaked. Join handles of
//    this runtime's Gs must not outlive it, and nothing outside the runtime
//    (a plain thread, a G of another runtime) may still be operating on a
//    channel or primitive one of its Gs waits on while it is destroyed:
//    that operation could wake a G of a runtime that is gone. Destroying a
//    runtime from one of its own Gs is a fatal error.
//  - Several runtimes may exist in one process; a G belongs to the runtime
//    that spawned it for its whole life.
//
// goro::run(f, args...): builds a default runtime, block_on(f, args...),
// and returns the int that f's task produced. When it returns, Gs still
// blocked are destroyed with the runtime.
#ifndef GORO_RUNTIME_RUNTIME_H_
#define GORO_RUNTIME_RUNTIME_H_

#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <type_traits>
#include <utility>

#include "goro/runtime/internal/blocking.h"
#include "goro/runtime/internal/result_slot.h"
#include "goro/runtime/internal/root_task.h"
#include "goro/runtime/internal/scheduler_ref.h"
#include "goro/runtime/join_handle.h"
#include "goro/runtime/spawn.h"
#include "goro/runtime/stats.h"
#include "goro/task/task.h"

namespace goro {

struct options {
  // Number of Ps. Unset: see default_procs().
  std::optional<int> procs;
};

// GOMAXPROCS from the environment if it is a positive integer, else the
// number of CPUs in this process's affinity mask.
int default_procs();

namespace internal {

template <class T>
class block_on_state {
 public:
  template <class... U>
  void set_value(U&&... v) {
    std::lock_guard<std::mutex> lock(mu_);
    result_.set_value(std::forward<U>(v)...);
    done_ = true;
    cv_.notify_one();  // under the lock: the waiter may destroy us after
  }
  void set_exception(std::exception_ptr e) {
    std::lock_guard<std::mutex> lock(mu_);
    result_.set_exception(std::move(e));
    done_ = true;
    cv_.notify_one();
  }
  T wait() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return done_; });
    return result_.take();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  result_slot<T> result_;
};

template <class T>
task<void> block_on_root(task<T> t, block_on_state<T>* state) {
  try {
    if constexpr (std::is_void_v<T>) {
      co_await t;
      state->set_value();
    } else {
      T v = co_await t;
      state->set_value(std::forward<T>(v));
    }
  } catch (...) {
    state->set_exception(std::current_exception());
  }
}

}  // namespace internal

class runtime {
 public:
  runtime();
  explicit runtime(options opts);
  ~runtime();
  runtime(const runtime&) = delete;
  runtime& operator=(const runtime&) = delete;

  // The number of Ps.
  int procs() const noexcept;

  template <class F, class... Args>
  auto block_on(F&& f, Args&&... args) ->
      typename internal::spawn_traits<F, Args...>::value_type {
    using T = typename internal::spawn_traits<F, Args...>::value_type;
    internal::check_not_in_g("goro::runtime::block_on");
    internal::block_on_state<T> state;
    (void)internal::spawn_root(
        sched_,
        internal::block_on_root<T>(
            internal::make_root_task(std::forward<F>(f),
                                     std::forward<Args>(args)...),
            &state),
        /*joinable=*/false);
    return state.wait();
  }

  template <class F, class... Args>
  void go(F&& f, Args&&... args) {
    (void)internal::spawn_root(
        sched_,
        internal::make_root_task(std::forward<F>(f),
                                 std::forward<Args>(args)...),
        /*joinable=*/false);
  }

  template <class F, class... Args>
  auto co_spawn(F&& f, Args&&... args)
      -> join_handle<typename internal::spawn_traits<F, Args...>::value_type> {
    return internal::spawn_root(
        sched_,
        internal::make_root_task(std::forward<F>(f),
                                 std::forward<Args>(args)...),
        /*joinable=*/true);
  }

  // Per-P counters (goro/runtime/stats.h).
  runtime_stats stats() const;

 private:
  internal::scheduler* sched_;
};

template <class F, class... Args>
  requires internal::spawnable<F, Args...>
int run(F&& f, Args&&... args) {
  using T = typename internal::spawn_traits<F, Args...>::value_type;
  static_assert(std::is_convertible_v<T, int>,
                "goro::run: the main task must produce an int (task<int>)");
  runtime rt;
  return rt.block_on(std::forward<F>(f), std::forward<Args>(args)...);
}

}  // namespace goro

#endif  // GORO_RUNTIME_RUNTIME_H_
