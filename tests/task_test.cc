// goro::task<T>: results, exceptions, misuse errors, laziness, frame
// lifetimes, and the trampoline (synchronous co_await chains use no stack).
#include "goro/task/task.h"

#include <coroutine>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>

#include "goro/goro.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace {

using goro_test::counted;

// Runs `f()` (a callable returning goro::task<T>) as a G and returns its T.
template <class F>
auto in_g(F&& f) {
  goro::runtime rt{goro::options{.procs = 1}};
  return rt.block_on(std::forward<F>(f));
}

struct test_error : std::runtime_error {
  explicit test_error(int c)
      : std::runtime_error("test_error " + std::to_string(c)), code(c) {}
  int code;
};

goro::task<int> ready_int(int x) { co_return x + 1; }
goro::task<void> ready_void(int* out) {
  *out = 99;
  co_return;
}
goro::task<std::unique_ptr<int>> ready_unique(int x) {
  co_return std::make_unique<int>(x);
}
int g_ref_target = 0;
goro::task<int&> ready_ref() { co_return g_ref_target; }
goro::task<const std::string&> ready_cref(const std::string* s) {
  co_return *s;
}
goro::task<std::string> ready_string(std::size_t n) {
  co_return std::string(n, 'q');
}

goro::task<int> throws_int(int code) {
  if (code >= 0) throw test_error(code);
  co_return 0;
}
goro::task<void> throws_void(int code) {
  throw test_error(code);
  co_return;
}

// ------------------------------------------------------------- results

TEST(Task, AwaitReadyInt) {
  EXPECT_EQ(in_g([]() -> goro::task<int> { co_return co_await ready_int(41); }),
            42);
}

TEST(Task, AwaitReadyVoid) {
  int out = 0;
  in_g([&out]() -> goro::task<void> { co_await ready_void(&out); });
  EXPECT_EQ(out, 99);
}

TEST(Task, AwaitMoveOnlyResult) {
  int v = in_g([]() -> goro::task<int> {
    std::unique_ptr<int> p = co_await ready_unique(7);
    if (!p) co_return -1;
    co_return *p;
  });
  EXPECT_EQ(v, 7);
}

TEST(Task, AwaitReferenceResultAliasesTheObject) {
  g_ref_target = 5;
  bool same = in_g([]() -> goro::task<bool> {
    int& r = co_await ready_ref();
    r = 17;  // writes through to the global
    co_return &r == &g_ref_target;
  });
  EXPECT_TRUE(same);
  EXPECT_EQ(g_ref_target, 17);
}

TEST(Task, AwaitConstReferenceResult) {
  std::string s = "hello goro";
  const std::string* seen = in_g([&s]() -> goro::task<const std::string*> {
    const std::string& r = co_await ready_cref(&s);
    co_return &r;
  });
  EXPECT_EQ(seen, &s);
}

TEST(Task, AwaitLargeValueResult) {
  std::size_t n = in_g([]() -> goro::task<std::size_t> {
    std::string s = co_await ready_string(100000);
    co_return s.find_first_not_of('q') == std::string::npos ? s.size() : 0;
  });
  EXPECT_EQ(n, 100000u);
}

// A type aligned to 128 bytes (the most goro supports) as a task's result
// (it sits in the promise, in the frame) and as locals kept across
// suspensions: frames are aligned as their contents need
// (goro/task/internal/frame_allocator.h). UBSan also checks each access.
struct alignas(128) line_pair {
  long v = 0;
  char pad[100] = {};
};

goro::task<line_pair> make_line_pair(long v) {
  line_pair c;
  c.v = v;
  EXPECT_TRUE(goro_test::is_aligned(c));
  co_await goro::yield();  // c lives in the frame across a suspension
  EXPECT_TRUE(goro_test::is_aligned(c));
  co_return c;
}

TEST(Task, OverAlignedResultsAndLocals) {
  using goro_test::is_aligned;
  goro::runtime rt{goro::options{.procs = 2}};
  long sum = rt.block_on([]() -> goro::task<long> {
    long s = 0;
    for (long i = 0; i < 10; ++i) {
      line_pair mine;
      mine.v = 1000;
      line_pair got = co_await make_line_pair(i);  // a task<line_pair>
      EXPECT_TRUE(is_aligned(got));
      goro::join_handle<line_pair> h = goro::co_spawn(make_line_pair, 100);
      line_pair joined = co_await h;
      EXPECT_TRUE(is_aligned(joined));
      EXPECT_TRUE(is_aligned(mine));
      s += got.v + joined.v + mine.v;
    }
    co_return s;
  });
  EXPECT_EQ(sum, 45 + 10 * 100 + 10 * 1000);
  // block_on's own root frame holds the result too.
  EXPECT_EQ(rt.block_on(make_line_pair, 7).v, 7);
}

TEST(Task, AwaitLvalueTask) {
  int v = in_g([]() -> goro::task<int> {
    goro::task<int> t = ready_int(1);
    EXPECT_TRUE(static_cast<bool>(t));
    int r = co_await t;
    // The task still owns its (finished) frame until it goes out of scope.
    EXPECT_TRUE(static_cast<bool>(t));
    co_return r;
  });
  EXPECT_EQ(v, 2);
}

TEST(Task, NestedChainOfDifferentTypes) {
  auto inner = [](int x) -> goro::task<std::unique_ptr<int>> {
    int a = co_await ready_int(x);
    co_return std::make_unique<int>(a * 10);
  };
  int v = in_g([inner]() -> goro::task<int> {
    std::unique_ptr<int> p = co_await inner(1);
    int w = 0;
    co_await ready_void(&w);
    co_return *p + w;
  });
  EXPECT_EQ(v, 20 + 99);
}

TEST(Task, YieldInsideNestedTask) {
  auto leaf = []() -> goro::task<int> {
    std::uint64_t id = goro::this_g::id();
    for (int i = 0; i < 10; ++i) co_await goro::yield();
    co_return id == goro::this_g::id() ? 1 : 0;
  };
  int v = in_g([leaf]() -> goro::task<int> {
    std::uint64_t id = goro::this_g::id();
    int a = co_await leaf();
    int b = co_await leaf();
    co_return a + b + (id == goro::this_g::id() ? 1 : 0);
  });
  EXPECT_EQ(v, 3);
}

// ----------------------------------------------------------- exceptions

TEST(Task, ExceptionPropagatesThroughCoAwait) {
  auto mid = [](int code) -> goro::task<int> {
    int v = co_await throws_int(code);
    ADD_FAILURE() << "continued after a throwing co_await";
    co_return v;
  };
  int code = in_g([mid]() -> goro::task<int> {
    try {
      co_await mid(1234);
    } catch (const test_error& e) {
      co_return e.code;
    }
    co_return -1;
  });
  EXPECT_EQ(code, 1234);
}

TEST(Task, ExceptionFromVoidTask) {
  int code = in_g([]() -> goro::task<int> {
    try {
      co_await throws_void(7);
    } catch (const test_error& e) {
      co_return e.code;
    }
    co_return -1;
  });
  EXPECT_EQ(code, 7);
}

TEST(Task, GContinuesAfterCaughtException) {
  int v = in_g([]() -> goro::task<int> {
    int sum = 0;
    for (int i = 0; i < 100; ++i) {
      try {
        co_await throws_int(i % 2 == 0 ? i : -1);
        sum += 1;
      } catch (const test_error& e) {
        sum += 1000;
      }
    }
    co_return sum;
  });
  EXPECT_EQ(v, 50 * 1000 + 50);
}

TEST(Task, ExceptionEscapingBlockOnIsRethrown) {
  goro::runtime rt{goro::options{.procs = 1}};
  try {
    rt.block_on(throws_int, 5);
    FAIL() << "no exception";
  } catch (const test_error& e) {
    EXPECT_EQ(e.code, 5);
  }
}

// ------------------------------------------------------ misuse errors

TEST(Task, AwaitingDefaultConstructedTaskThrowsLogicError) {
  std::string msg = in_g([]() -> goro::task<std::string> {
    goro::task<int> t;
    EXPECT_FALSE(static_cast<bool>(t));
    try {
      co_await t;
    } catch (const std::logic_error& e) {
      co_return e.what();
    }
    co_return "no exception";
  });
  EXPECT_NE(msg.find("empty"), std::string::npos) << msg;
}

TEST(Task, AwaitingMovedFromTaskThrowsLogicError) {
  std::string msg = in_g([]() -> goro::task<std::string> {
    goro::task<int> a = ready_int(1);
    goro::task<int> b = std::move(a);
    EXPECT_FALSE(static_cast<bool>(a));
    EXPECT_TRUE(static_cast<bool>(b));
    std::string m = "no exception";
    try {
      co_await a;
    } catch (const std::logic_error& e) {
      m = e.what();
    }
    // The task that received the frame still works.
    EXPECT_EQ(co_await b, 2);
    co_return m;
  });
  EXPECT_NE(msg.find("empty"), std::string::npos) << msg;
}

TEST(Task, AwaitingTaskTwiceThrowsLogicError) {
  std::string msg = in_g([]() -> goro::task<std::string> {
    goro::task<int> t = ready_int(1);
    EXPECT_EQ(co_await t, 2);
    try {
      co_await t;
    } catch (const std::logic_error& e) {
      co_return e.what();
    }
    co_return "no exception";
  });
  EXPECT_NE(msg.find("twice"), std::string::npos) << msg;
}

TEST(Task, AwaitingVoidTaskTwiceThrowsLogicError) {
  bool threw = in_g([]() -> goro::task<bool> {
    int out = 0;
    goro::task<void> t = ready_void(&out);
    co_await t;
    try {
      co_await t;
    } catch (const std::logic_error&) {
      co_return true;
    }
    co_return false;
  });
  EXPECT_TRUE(threw);
}

// ------------------------------------------------- laziness, lifetimes

goro::task<int> side_effect(std::atomic<int>* ran, counted c) {
  ran->fetch_add(1);
  co_return c.value;
}

TEST(Task, TaskIsLazyAndUnrunTaskFreesItsFrame) {
  counted::reset();
  std::atomic<int> ran{0};
  {
    goro::task<int> t = side_effect(&ran, counted(3));
    EXPECT_EQ(ran.load(), 0);
    EXPECT_GE(counted::live.load(), 1);  // the parameter copy in the frame
  }
  EXPECT_EQ(ran.load(), 0);
  EXPECT_EQ(counted::live.load(), 0);
}

TEST(Task, MoveAssignmentDestroysThePreviousFrame) {
  counted::reset();
  std::atomic<int> ran{0};
  {
    goro::task<int> a = side_effect(&ran, counted(1));
    goro::task<int> b = side_effect(&ran, counted(2));
    std::int64_t live_two = counted::live.load();
    a = std::move(b);
    EXPECT_LT(counted::live.load(), live_two);
    EXPECT_FALSE(static_cast<bool>(b));
    EXPECT_EQ(in_g([&a]() -> goro::task<int> { co_return co_await a; }), 2);
  }
  EXPECT_EQ(ran.load(), 1);
  EXPECT_EQ(counted::live.load(), 0);
}

TEST(Task, LocalsAndResultsAreDestroyedAfterCompletion) {
  counted::reset();
  auto make = [](int v) -> goro::task<counted> {
    counted local(v);
    co_await goro::yield();
    co_return counted(local.value * 2);
  };
  int v = in_g([make]() -> goro::task<int> {
    int sum = 0;
    for (int i = 0; i < 100; ++i) {
      counted c = co_await make(i);
      sum += c.value;
    }
    co_return sum;
  });
  EXPECT_EQ(v, 2 * (99 * 100 / 2));
  EXPECT_EQ(counted::live.load(), 0);
  EXPECT_GE(counted::destroyed.load(), 300);
}

// --------------------------------------------------- the trampoline

goro::task<int> one() { co_return 1; }

TEST(Task, MillionsOfSynchronousCoAwaitsInALoop) {
  // 10M in plain builds (enough to overflow an 8 MiB stack by a wide margin
  // if each hop cost a stack frame), 1M under sanitizers.
  const std::int64_t n = goro_test::scaled(10'000'000, 10);
  std::int64_t got = in_g([n]() -> goro::task<std::int64_t> {
    std::int64_t sum = 0;
    for (std::int64_t i = 0; i < n; ++i) sum += co_await one();
    co_return sum;
  });
  EXPECT_EQ(got, n);
}

goro::task<std::int64_t> chain(int depth) {
  if (depth == 0) co_return 0;
  std::int64_t below = co_await chain(depth - 1);
  co_return below + 1;
}

TEST(Task, DeepRecursionOfNestedCoAwaits) {
  constexpr int kDepth = 100'000;
  EXPECT_EQ(in_g([]() -> goro::task<std::int64_t> {
              co_return co_await chain(kDepth);
            }),
            kDepth);
}

goro::task<std::int64_t> chain_with_yields(int depth) {
  if (depth == 0) {
    for (int i = 0; i < 3; ++i) co_await goro::yield();
    co_return 0;
  }
  std::int64_t below = co_await chain_with_yields(depth - 1);
  co_return below + 1;
}

// The G suspends (and may resume on another M) at the bottom of a deep
// chain; resuming and then unwinding the chain stays flat too.
TEST(Task, DeepChainThatSuspendsAtTheBottom) {
  constexpr int kDepth = 100'000;
  goro::runtime rt{goro::options{.procs = 2}};
  EXPECT_EQ(rt.block_on(chain_with_yields, kDepth), kDepth);
}

goro::task<int> throwing_chain(int depth) {
  if (depth == 0) throw test_error(depth);
  co_return co_await throwing_chain(depth - 1);
}

TEST(Task, ExceptionThroughDeepRecursion) {
  int code = in_g([]() -> goro::task<int> {
    try {
      co_await throwing_chain(100'000);
    } catch (const test_error& e) {
      co_return 1000 + e.code;
    }
    co_return -1;
  });
  EXPECT_EQ(code, 1000);
}

// Stack address of the resumed coroutine body at the bottom of a chain:
// with the trampoline it is the same as at the top; a non-tail-call
// symmetric transfer would put it ~depth frames deeper.
goro::task<std::uintptr_t> stack_at_depth(int depth) {
  if (depth == 0) {
    co_return reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0));
  }
  co_return co_await stack_at_depth(depth - 1);
}

TEST(Task, NestedAwaitsDoNotGrowTheStack) {
  auto diff = in_g([]() -> goro::task<std::intptr_t> {
    auto top = reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0));
    std::uintptr_t bottom = co_await stack_at_depth(2000);
    co_return static_cast<std::intptr_t>(top) -
        static_cast<std::intptr_t>(bottom);
  });
  EXPECT_LT(std::llabs(diff), 16 * 1024)
      << "stack grew by " << diff << " bytes over 2000 nested awaits";
}

// ------------------------------------------ a foreign awaiting coroutine

// An eager coroutine type that is not goro's: a task awaited from it runs by
// plain symmetric transfer (no G, no runtime needed).
struct foreign {
  struct promise_type {
    int value = 0;
    std::exception_ptr error;
    foreign get_return_object() {
      return foreign{std::coroutine_handle<promise_type>::from_promise(*this)};
    }
    std::suspend_never initial_suspend() noexcept { return {}; }
    std::suspend_always final_suspend() noexcept { return {}; }
    void return_value(int v) { value = v; }
    void unhandled_exception() { error = std::current_exception(); }
  };
  explicit foreign(std::coroutine_handle<promise_type> h) : h(h) {}
  foreign(foreign&& o) noexcept : h(std::exchange(o.h, {})) {}
  ~foreign() {
    if (h) h.destroy();
  }
  std::coroutine_handle<promise_type> h;
};

TEST(Task, AwaitedFromAForeignCoroutineOutsideAnyRuntime) {
  foreign f = []() -> foreign {
    int a = co_await ready_int(1);
    std::int64_t b = co_await chain(50);
    try {
      co_await throws_int(3);
    } catch (const test_error& e) {
      co_return a + static_cast<int>(b) + e.code;
    }
    co_return -1;
  }();
  ASSERT_TRUE(f.h.done());
  EXPECT_FALSE(f.h.promise().error);
  EXPECT_EQ(f.h.promise().value, 2 + 50 + 3);
}

}  // namespace
