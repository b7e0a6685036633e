#include "goro/runtime/runtime.h"

#include <sched.h>

#include <cerrno>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <thread>

#include "goro/runtime/internal/scheduler.h"
#include "goro/runtime/this_g.h"

namespace goro {
namespace internal {

void throw_outside_runtime(const char* what) {
  throw std::logic_error(
      std::string(what) +
      " called outside any goro runtime (from a plain thread, use "
      "goro::runtime::go / co_spawn / block_on)");
}

scheduler* current_scheduler_or_throw(const char* what) {
  machine* m = current_machine();
  if (m == nullptr) throw_outside_runtime(what);
  return m->sched;
}

g* spawn_g(scheduler* s, std::coroutine_handle<> root,
           promise_base* root_promise, bool joinable) {
  return s->spawn(s->current_p(), root, root_promise, joinable);
}

void drop_handle(g* gp) noexcept { scheduler_of(gp)->drop_handle(gp); }

g* join_commit(void* jw, g* me) {
  // after_suspend calls join_park itself; this is for any other caller.
  scheduler* s = scheduler_of(me);
  return s->join_park(me, static_cast<join_wait*>(jw), s->current_p());
}

std::coroutine_handle<> join_direct(g* me, join_wait* jw) noexcept {
  return scheduler_of(me)->join_direct(me, jw);
}

g* yield_commit(void*, g* me) { return scheduler_of(me)->yield_park(me); }

g* park_forever(void*, g*) {
  // Nobody holds a reference to this G any more; it stays parked until the
  // runtime is torn down, which destroys its frames.
  return nullptr;
}

namespace {
// Trivially constructed: no lazy-initialisation guard on a fiber switch.
thread_local wait_context* tls_wait_context = nullptr;
}  // namespace

// noinline: code on a fiber may resume on another thread after any wait,
// and must not reuse a thread_local address computed before it.
[[gnu::noinline]] wait_context* current_wait_context() noexcept {
  return tls_wait_context;
}

[[gnu::noinline]] wait_context* exchange_wait_context(
    wait_context* ctx) noexcept {
  wait_context* old = tls_wait_context;
  tls_wait_context = ctx;
  return old;
}

void check_not_in_g(const char* what) {
  if (current_machine() != nullptr) {
    throw std::logic_error(std::string(what) +
                           " called from inside a G: it would block an M and "
                           "every G queued on it (co_await instead, or run "
                           "blocking-style code on a fiber: go_stackful)");
  }
}

void throw_empty_join_handle() {
  throw std::logic_error(
      "goro: co_await on an empty join_handle (moved-from, detached or "
      "default-constructed)");
}

void throw_join_handle_awaited_twice() {
  throw std::logic_error("goro: join_handle awaited twice");
}

void throw_join_across_runtimes() {
  throw std::logic_error(
      "goro: a join_handle can only be awaited from a G of the runtime that "
      "spawned its G (joins across runtimes are not supported)");
}

void throw_not_in_g(const char* what) {
  throw std::logic_error(
      std::string("goro: ") + what +
      " needs a G, but this goro::task is driven by a coroutine that is not "
      "goro's");
}

void throw_spawn_started_task() {
  throw std::logic_error(
      "goro: go/co_spawn given a task that was already awaited (a task runs "
      "only once)");
}

void throw_spawn_empty_task() {
  throw std::logic_error(
      "goro: go/co_spawn given an empty task (moved-from or "
      "default-constructed)");
}

}  // namespace internal

int default_procs() {
  if (const char* env = std::getenv("GOMAXPROCS")) {
    char* end = nullptr;
    errno = 0;
    long v = std::strtol(env, &end, 10);
    if (errno == 0 && end != env && *end == '\0' && v >= 1 && v <= 1 << 16) {
      return static_cast<int>(v);
    }
  }
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    int n = CPU_COUNT(&set);
    if (n >= 1) return n;
  }
  unsigned hc = std::thread::hardware_concurrency();
  return hc >= 1 ? static_cast<int>(hc) : 1;
}

namespace {
int checked_procs(const options& opts) {
  if (!opts.procs.has_value()) return default_procs();
  if (*opts.procs < 1) {
    throw std::invalid_argument(
        "goro::options::procs must be at least 1, got " +
        std::to_string(*opts.procs));
  }
  return *opts.procs;
}
}  // namespace

runtime::runtime() : runtime(options{}) {}

runtime::runtime(options opts)
    : sched_(new internal::scheduler(checked_procs(opts))) {}

runtime::~runtime() { delete sched_; }

int runtime::procs() const noexcept { return sched_->procs(); }

runtime_stats runtime::stats() const { return sched_->stats(); }

namespace this_g {
std::uint64_t id() {
  internal::g* gp = internal::current_g();
  if (gp == nullptr) {
    throw std::logic_error("goro::this_g::id called outside a G");
  }
  return gp->id;
}
}  // namespace this_g

int gomaxprocs() {
  return internal::current_scheduler_or_throw("goro::gomaxprocs")->procs();
}

}  // namespace goro
