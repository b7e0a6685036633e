// Helpers shared by goro's tests: build-mode detection (to scale iteration
// counts under sanitizers and unoptimised builds) and a destructor-counting
// object for lifetime checks.
#ifndef GORO_TESTS_TEST_UTIL_H_
#define GORO_TESTS_TEST_UTIL_H_

#include <atomic>
#include <chrono>
#include <coroutine>
#include <cstdint>
#include <exception>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>

#include "goro/goro.h"

#if defined(__SANITIZE_ADDRESS__)
#define GORO_TEST_ASAN 1
#endif
#if defined(__SANITIZE_THREAD__)
#define GORO_TEST_TSAN 1
#endif
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#ifndef GORO_TEST_ASAN
#define GORO_TEST_ASAN 1
#endif
#endif
#if __has_feature(thread_sanitizer)
#ifndef GORO_TEST_TSAN
#define GORO_TEST_TSAN 1
#endif
#endif
#endif

namespace goro_test {

#if defined(GORO_TEST_ASAN) || defined(GORO_TEST_TSAN)
inline constexpr bool kSanitizer = true;
#else
inline constexpr bool kSanitizer = false;
#endif

#if defined(GORO_TEST_TSAN)
inline constexpr bool kTsan = true;
#else
inline constexpr bool kTsan = false;
#endif

#if defined(__OPTIMIZE__)
inline constexpr bool kOptimized = true;
#else
inline constexpr bool kOptimized = false;
#endif

// `full` in plain builds, `full / divisor` under a sanitizer (at least `min`).
inline std::int64_t scaled(std::int64_t full, std::int64_t divisor,
                           std::int64_t min = 1) {
  if (!kSanitizer) return full;
  std::int64_t v = full / divisor;
  return v < min ? min : v;
}

// Names the instances of a typed test over queue capacities (a type with
// kCapacity): "Cap256", "Cap4".
class CapacityName {
 public:
  template <typename Q>
  static std::string GetName(int) {
    return "Cap" + std::to_string(Q::kCapacity);
  }
};

// True iff `v` sits at an address that is a multiple of alignof(T). The
// address goes through a volatile: the compiler may assume any object of
// type T is aligned and fold the check to true.
template <class T>
bool is_aligned(const T& v) {
  volatile std::uintptr_t a =
      reinterpret_cast<std::uintptr_t>(std::addressof(v));
  return a % alignof(T) == 0;
}

// Counts live instances; copies and moves count as new instances, so the
// count returns to its starting value iff every instance was destroyed
// exactly once.
struct counted {
  static inline std::atomic<std::int64_t> live{0};
  static inline std::atomic<std::int64_t> constructed{0};
  static inline std::atomic<std::int64_t> destroyed{0};

  int value = 0;

  counted() noexcept { on_construct(); }
  explicit counted(int v) noexcept : value(v) { on_construct(); }
  counted(const counted& o) noexcept : value(o.value) { on_construct(); }
  counted(counted&& o) noexcept : value(o.value) { on_construct(); }
  counted& operator=(const counted&) = default;
  counted& operator=(counted&&) = default;
  ~counted() {
    live.fetch_sub(1, std::memory_order_relaxed);
    destroyed.fetch_add(1, std::memory_order_relaxed);
    value = -1;
  }

  static void reset() {
    live.store(0);
    constructed.store(0);
    destroyed.store(0);
  }

 private:
  static void on_construct() {
    live.fetch_add(1, std::memory_order_relaxed);
    constructed.fetch_add(1, std::memory_order_relaxed);
  }
};

// Polls `pred` until it holds (no timeout of its own: a hang is reported by
// the test runner's timeout, which is the point of the tests using it).
template <class Pred>
void wait_until(Pred pred) {
  while (!pred()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

// Burns roughly `iters` loop iterations of CPU without being optimised away.
inline std::uint64_t spin_work(std::uint64_t iters) {
  volatile std::uint64_t x = 0;
  for (std::uint64_t i = 0; i < iters; ++i) x = x + i;
  return x;
}

// Burns CPU for about `d` of wall-clock time. Use it instead of spin_work
// where a test's verdict depends on how long a G runs compared with what a
// scheduling step costs: that ratio must not change when a sanitizer makes
// every instrumented access ten times slower but leaves this loop's clock
// reads as they are.
inline void spin_for(std::chrono::nanoseconds d) {
  const auto until = std::chrono::steady_clock::now() + d;
  while (std::chrono::steady_clock::now() < until) {
  }
}

// A G that nests `depth` task frames, each holding a `counted`, then bumps
// *started and yields forever: an abandoned G deep inside task chains.
inline goro::task<void> nested_forever(int depth, std::atomic<int>* started) {
  counted c;
  if (depth == 0) {
    started->fetch_add(1);
    for (;;) co_await goro::yield();
  }
  co_await nested_forever(depth - 1, started);
}

// An eager coroutine type that is not goro's: drives goro::tasks on a plain
// thread, to check what awaiting them outside a G does.
struct eager {
  struct promise_type {
    int value = 0;
    eager get_return_object() {
      return eager{std::coroutine_handle<promise_type>::from_promise(*this)};
    }
    std::suspend_never initial_suspend() noexcept { return {}; }
    std::suspend_always final_suspend() noexcept { return {}; }
    void return_value(int v) { value = v; }
    void unhandled_exception() { std::terminate(); }
  };
  explicit eager(std::coroutine_handle<promise_type> h) : h(h) {}
  eager(eager&& o) noexcept : h(std::exchange(o.h, {})) {}
  ~eager() {
    if (h) h.destroy();
  }
  std::coroutine_handle<promise_type> h;
};

}  // namespace goro_test

// Runs `stmt` (which may co_await) and checks that it throws an `Error`
// whose what() is exactly `msg`.
#define EXPECT_ERROR_WHAT(stmt, Error, msg)  \
  do {                                       \
    std::string what_ = "(no exception)";    \
    try {                                    \
      stmt;                                  \
    } catch (const Error& e) {               \
      what_ = e.what();                      \
    }                                        \
    EXPECT_EQ(what_, msg) << "from: " #stmt; \
  } while (0)

// Runs `stmt` (which may co_await) and checks that it throws a
// std::logic_error that is not a `Domain` error (a misuse of the API, not a
// Go-style error of the package).
#define EXPECT_LOGIC_ERROR_NOT(stmt, Domain)                   \
  do {                                                         \
    bool threw_ = false;                                       \
    try {                                                      \
      stmt;                                                    \
    } catch (const Domain& e) {                                \
      ADD_FAILURE() << #Domain " " << e.what();                \
    } catch (const std::logic_error&) {                        \
      threw_ = true;                                           \
    }                                                          \
    EXPECT_TRUE(threw_) << "no std::logic_error from: " #stmt; \
  } while (0)

#endif  // GORO_TESTS_TEST_UTIL_H_
