// goro::go / goro::co_spawn / join_handle / goro::runtime: the public
// spawning API and its error contract.
#include <sched.h>
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <coroutine>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "goro/goro.h"
#include "goro/runtime/internal/scheduler.h"  // white box: current_machine()
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace {

using goro_test::counted;
using goro_test::eager;
using goro_test::wait_until;

struct test_error : std::runtime_error {
  explicit test_error(int c)
      : std::runtime_error("test_error " + std::to_string(c)), code(c) {}
  int code;
};

goro::task<int> twice(int x) { co_return 2 * x; }
goro::task<int> twice_after_yields(int x) {
  for (int i = 0; i < 3; ++i) co_await goro::yield();
  co_return 2 * x;
}
goro::task<void> add_to(std::atomic<int>* counter, int n) {
  co_await goro::yield();
  counter->fetch_add(n);
}
goro::task<int> unbox(std::unique_ptr<int> p) {
  co_await goro::yield();
  co_return p ? *p : -1;
}
goro::task<std::unique_ptr<int>> box(int x) {
  co_await goro::yield();
  co_return std::make_unique<int>(x);
}
goro::task<int> fail_after_yield(int code) {
  co_await goro::yield();
  throw test_error(code);
}
goro::task<void> fail_void(int code) {
  co_await goro::yield();
  throw test_error(code);
}
goro::task<std::uint64_t> my_id() {
  std::uint64_t before = goro::this_g::id();
  co_await goro::yield();
  co_return before == goro::this_g::id() ? before : 0;
}
goro::task<std::size_t> length_of(const std::string& s) {
  // A const& parameter of a spawned coroutine binds to the copy the G keeps.
  co_await goro::yield();
  co_return s.size();
}

// ------------------------------------------------------------------ go

TEST(Go, CoroutineFunctionWithArguments) {
  goro::runtime rt{goro::options{.procs = 2}};
  std::atomic<int> counter{0};
  rt.block_on([&counter]() -> goro::task<void> {
    for (int i = 1; i <= 100; ++i) goro::go(add_to, &counter, i);
    while (counter.load() != 5050) co_await goro::yield();
  });
  EXPECT_EQ(counter.load(), 5050);
}

TEST(Go, CapturingLambdaDoesNotDangle) {
  goro::runtime rt{goro::options{.procs = 2}};
  std::atomic<int> ok{0};
  std::atomic<int> finished{0};
  rt.block_on([&]() -> goro::task<void> {
    for (int i = 0; i < 50; ++i) {
      std::string s = "captured string number " + std::to_string(i) +
                      std::string(64, '#');  // beyond SSO
      std::vector<int> v(100, i);
      goro::go([s, v, i, &ok, &finished]() -> goro::task<void> {
        for (int k = 0; k < 5; ++k) co_await goro::yield();
        std::string expect = "captured string number " + std::to_string(i) +
                             std::string(64, '#');
        if (s == expect && v.size() == 100 &&
            std::all_of(v.begin(), v.end(), [i](int x) { return x == i; })) {
          ok.fetch_add(1);
        }
        finished.fetch_add(1);
      });
      // s and v die here; the closure is a temporary that died too.
    }
    while (finished.load() != 50) co_await goro::yield();
  });
  EXPECT_EQ(ok.load(), 50);
}

TEST(Go, ReadyMadeTask) {
  goro::runtime rt{goro::options{.procs = 1}};
  std::atomic<int> counter{0};
  rt.block_on([&counter]() -> goro::task<void> {
    goro::task<void> t = add_to(&counter, 3);
    goro::go(std::move(t));
    EXPECT_FALSE(static_cast<bool>(t));
    goro::go(add_to(&counter, 4));
    while (counter.load() != 7) co_await goro::yield();
  });
  EXPECT_EQ(counter.load(), 7);
}

TEST(Go, EmptyTaskThrowsLogicError) {
  goro::runtime rt{goro::options{.procs = 1}};
  int threw = rt.block_on([]() -> goro::task<int> {
    int n = 0;
    goro::task<void> empty;
    try {
      goro::go(std::move(empty));
    } catch (const std::logic_error&) {
      ++n;
    }
    goro::task<int> moved = twice(1);
    goro::task<int> keep = std::move(moved);
    try {
      auto h = goro::co_spawn(std::move(moved));
    } catch (const std::logic_error&) {
      ++n;
    }
    co_return n;
  });
  EXPECT_EQ(threw, 2);
}

TEST(Go, CallableAndArgumentsDestroyedOnceAfterTheGEnds) {
  counted::reset();
  {
    goro::runtime rt{goro::options{.procs = 2}};
    std::atomic<int> seen{0};
    rt.block_on([&seen]() -> goro::task<void> {
      counted c(11);
      goro::go(
          [c, &seen](counted arg) -> goro::task<void> {
            co_await goro::yield();
            seen.fetch_add(c.value + arg.value);
          },
          counted(31));
      while (seen.load() == 0) co_await goro::yield();
    });
    EXPECT_EQ(seen.load(), 42);
    // The G has finished; its frame (closure and argument copies) is freed
    // when it is released, which happens right after it finishes.
    wait_until([] { return counted::live.load() == 0; });
  }
  EXPECT_EQ(counted::live.load(), 0);
}

// ------------------------------------------------------------ co_spawn

TEST(CoSpawn, LvalueAndRvalueAwait) {
  goro::runtime rt{goro::options{.procs = 2}};
  int v = rt.block_on([]() -> goro::task<int> {
    goro::join_handle<int> h = goro::co_spawn(twice_after_yields, 10);
    int a = co_await h;                                        // lvalue
    int b = co_await goro::co_spawn(twice_after_yields, 100);  // rvalue
    goro::join_handle<int> h2 = goro::co_spawn(twice, 1000);
    int c = co_await std::move(h2);  // xvalue
    co_return a + b + c;
  });
  EXPECT_EQ(v, 20 + 200 + 2000);
}

TEST(CoSpawn, VoidResult) {
  goro::runtime rt{goro::options{.procs = 2}};
  std::atomic<int> counter{0};
  rt.block_on([&counter]() -> goro::task<void> {
    auto h = goro::co_spawn(add_to, &counter, 5);
    co_await h;
    EXPECT_EQ(counter.load(), 5);  // the join orders the G's writes
  });
  EXPECT_EQ(counter.load(), 5);
}

TEST(CoSpawn, MoveOnlyArgumentAndResult) {
  goro::runtime rt{goro::options{.procs = 2}};
  int v = rt.block_on([]() -> goro::task<int> {
    auto h1 = goro::co_spawn(unbox, std::make_unique<int>(6));
    std::unique_ptr<int> p = co_await goro::co_spawn(box, 7);
    int a = co_await h1;
    co_return a * 10 + (p ? *p : 0);
  });
  EXPECT_EQ(v, 67);
}

TEST(CoSpawn, ReferenceResultAndStdRefArgument) {
  goro::runtime rt{goro::options{.procs = 2}};
  int target = 0;
  bool same = rt.block_on([&target]() -> goro::task<bool> {
    auto h = goro::co_spawn(
        [](int& t) -> goro::task<int&> {
          co_await goro::yield();
          t = 77;
          co_return t;
        },
        std::ref(target));
    int& r = co_await h;
    co_return &r == &target;
  });
  EXPECT_TRUE(same);
  EXPECT_EQ(target, 77);
}

TEST(CoSpawn, ConstRefParameterBindsToTheGsCopy) {
  goro::runtime rt{goro::options{.procs = 2}};
  std::size_t n = rt.block_on([]() -> goro::task<std::size_t> {
    std::vector<goro::join_handle<std::size_t>> hs;
    for (int i = 0; i < 20; ++i) {
      std::string s(100 + i, 'z');
      hs.push_back(goro::co_spawn(length_of, s));  // lvalue: copied
      hs.push_back(goro::co_spawn(length_of, std::string(50, 'y')));
    }
    std::size_t total = 0;
    for (auto& h : hs) total += co_await h;
    co_return total;
  });
  std::size_t expect = 0;
  for (int i = 0; i < 20; ++i) expect += 100 + i + 50;
  EXPECT_EQ(n, expect);
}

TEST(CoSpawn, CapturingLambdaDoesNotDangle) {
  goro::runtime rt{goro::options{.procs = 2}};
  std::int64_t v = rt.block_on([]() -> goro::task<std::int64_t> {
    std::vector<goro::join_handle<std::int64_t>> hs;
    for (int i = 0; i < 32; ++i) {
      std::string s(40 + i, 'a' + (i % 26));
      std::vector<std::int64_t> v(1000, i);
      hs.push_back(goro::co_spawn([s, v, i]() -> goro::task<std::int64_t> {
        for (int k = 0; k < 4; ++k) co_await goro::yield();
        std::int64_t sum = 0;
        for (auto x : v) sum += x;
        bool ok = s.size() == static_cast<std::size_t>(40 + i) &&
                  s.find_first_not_of(static_cast<char>('a' + (i % 26))) ==
                      std::string::npos;
        co_return ok ? sum : -1000000;
      }));
    }
    std::int64_t total = 0;
    for (auto& h : hs) total += co_await h;
    co_return total;
  });
  EXPECT_EQ(v, 1000 * (31 * 32 / 2));
}

TEST(CoSpawn, ExceptionRethrownAtJoin) {
  goro::runtime rt{goro::options{.procs = 2}};
  int v = rt.block_on([]() -> goro::task<int> {
    int got = 0;
    auto h = goro::co_spawn(fail_after_yield, 31);
    try {
      co_await h;
      ADD_FAILURE() << "join did not throw";
    } catch (const test_error& e) {
      got += e.code;
    }
    try {
      co_await goro::co_spawn(fail_void, 11);
      ADD_FAILURE() << "join did not throw";
    } catch (const test_error& e) {
      got += e.code;
    }
    co_return got;
  });
  EXPECT_EQ(v, 42);
}

TEST(CoSpawn, ExceptionOfAFinishedGRethrownAtLateJoin) {
  goro::runtime rt{goro::options{.procs = 2}};
  int v = rt.block_on([]() -> goro::task<int> {
    auto h = goro::co_spawn([]() -> goro::task<int> {
      throw test_error(9);
      co_return 0;
    });
    while (!h.done()) co_await goro::yield();
    try {
      co_await h;
    } catch (const test_error& e) {
      co_return e.code;
    }
    co_return -1;
  });
  EXPECT_EQ(v, 9);
}

TEST(CoSpawn, DoneAndId) {
  goro::runtime rt{goro::options{.procs = 1}};
  rt.block_on([]() -> goro::task<void> {
    goro::join_handle<std::uint64_t> h = goro::co_spawn(my_id);
    EXPECT_TRUE(static_cast<bool>(h));
    // procs = 1 and we have not suspended: the G cannot have run yet.
    EXPECT_FALSE(h.done());
    std::uint64_t id = h.id();
    EXPECT_NE(id, 0u);
    EXPECT_NE(id, goro::this_g::id());
    std::uint64_t inside = co_await h;
    EXPECT_TRUE(h.done());
    EXPECT_EQ(inside, id);
    EXPECT_EQ(h.id(), id);

    goro::join_handle<int> empty;
    EXPECT_FALSE(empty.done());
    EXPECT_EQ(empty.id(), 0u);
  });
}

TEST(CoSpawn, DoneBecomesTrueWithoutJoin) {
  goro::runtime rt{goro::options{.procs = 2}};
  rt.block_on([]() -> goro::task<void> {
    auto h = goro::co_spawn(twice, 4);
    while (!h.done()) co_await goro::yield();
    EXPECT_EQ(co_await h, 8);
  });
}

TEST(CoSpawn, DetachLetsTheGRunOn) {
  goro::runtime rt{goro::options{.procs = 2}};
  std::atomic<int> counter{0};
  rt.block_on([&counter]() -> goro::task<void> {
    auto h = goro::co_spawn(add_to, &counter, 1);
    h.detach();
    EXPECT_FALSE(static_cast<bool>(h));
    EXPECT_EQ(h.id(), 0u);
    {
      auto dropped = goro::co_spawn(add_to, &counter, 10);
    }  // dropping detaches too
    while (counter.load() != 11) co_await goro::yield();
  });
  EXPECT_EQ(counter.load(), 11);
}

TEST(CoSpawn, AwaitingTwiceThrowsLogicError) {
  goro::runtime rt{goro::options{.procs = 2}};
  std::string msg = rt.block_on([]() -> goro::task<std::string> {
    auto h = goro::co_spawn(twice, 2);
    EXPECT_EQ(co_await h, 4);
    try {
      co_await h;
    } catch (const std::logic_error& e) {
      co_return e.what();
    }
    co_return "no exception";
  });
  EXPECT_NE(msg.find("twice"), std::string::npos) << msg;
}

TEST(CoSpawn, AwaitingEmptyHandlesThrowsLogicError) {
  goro::runtime rt{goro::options{.procs = 2}};
  int threw = rt.block_on([]() -> goro::task<int> {
    int n = 0;
    goro::join_handle<int> def;
    try {
      co_await def;
    } catch (const std::logic_error&) {
      ++n;
    }
    auto a = goro::co_spawn(twice, 1);
    auto b = std::move(a);
    try {
      co_await a;
    } catch (const std::logic_error&) {
      ++n;
    }
    auto c = goro::co_spawn(twice, 1);
    c.detach();
    try {
      co_await c;
    } catch (const std::logic_error&) {
      ++n;
    }
    EXPECT_EQ(co_await b, 2);  // the moved-to handle still works
    co_return n;
  });
  EXPECT_EQ(threw, 3);
}

TEST(CoSpawn, MoveAssignmentDetachesTheOldG) {
  goro::runtime rt{goro::options{.procs = 2}};
  std::atomic<int> counter{0};
  rt.block_on([&counter]() -> goro::task<void> {
    auto h = goro::co_spawn(add_to, &counter, 1);
    h = goro::co_spawn(add_to, &counter, 100);
    co_await h;
    while (counter.load() != 101) co_await goro::yield();
  });
  EXPECT_EQ(counter.load(), 101);
}

TEST(CoSpawn, UnjoinedResultIsDestroyed) {
  counted::reset();
  {
    goro::runtime rt{goro::options{.procs = 2}};
    rt.block_on([]() -> goro::task<void> {
      auto h =
          goro::co_spawn([]() -> goro::task<counted> { co_return counted(5); });
      while (!h.done()) co_await goro::yield();
      // h dropped here, unjoined: the stored result must be destroyed.
    });
    wait_until([] { return counted::live.load() == 0; });
  }
  EXPECT_EQ(counted::live.load(), 0);
}

// ------------------------------------------ calls outside any runtime

TEST(OutsideRuntime, SpawnAndQueriesFromAPlainThreadThrowLogicError) {
  auto check = [] {
    EXPECT_THROW(goro::go(twice, 1), std::logic_error);
    EXPECT_THROW((void)goro::co_spawn(twice, 1), std::logic_error);
    EXPECT_THROW(goro::gomaxprocs(), std::logic_error);
    EXPECT_THROW(goro::this_g::id(), std::logic_error);
  };
  check();  // no runtime at all
  goro::runtime rt{goro::options{.procs = 1}};
  check();  // a runtime exists, but this thread is not one of its Ms
  std::thread t(check);
  t.join();
}

TEST(OutsideRuntime, InvalidProcsThrowInvalidArgument) {
  EXPECT_THROW(goro::runtime(goro::options{.procs = 0}), std::invalid_argument);
  EXPECT_THROW(goro::runtime(goro::options{.procs = -1}),
               std::invalid_argument);
  EXPECT_THROW(goro::runtime(goro::options{.procs = INT32_MIN}),
               std::invalid_argument);
}

TEST(OutsideRuntime, MoreProcsThanCoresIsAllowed) {
  goro::runtime rt{goro::options{.procs = 16}};
  EXPECT_EQ(rt.procs(), 16);
  EXPECT_EQ(
      rt.block_on([]() -> goro::task<int> { co_return goro::gomaxprocs(); }),
      16);
}

// --------------------------------------------------------- block_on

TEST(BlockOn, FromInsideAGThrowsLogicError) {
  goro::runtime rt{goro::options{.procs = 2}};
  goro::runtime other{goro::options{.procs = 1}};
  int threw = rt.block_on([&]() -> goro::task<int> {
    int n = 0;
    try {
      rt.block_on(twice, 1);
    } catch (const std::logic_error&) {
      ++n;
    }
    try {
      other.block_on(twice, 1);  // another runtime's block_on: still an M
    } catch (const std::logic_error&) {
      ++n;
    }
    co_return n;
  });
  EXPECT_EQ(threw, 2);
}

TEST(BlockOn, ReturnsValuesReferencesMoveOnlyAndVoid) {
  goro::runtime rt{goro::options{.procs = 2}};
  EXPECT_EQ(rt.block_on(twice, 21), 42);
  EXPECT_EQ(rt.block_on(twice_after_yields, 5), 10);
  EXPECT_EQ(rt.block_on(twice(8)), 16);  // a ready-made task

  int target = 1;
  int& r = rt.block_on(
      [](int* t) -> goro::task<int&> {
        co_await goro::yield();
        co_return *t;
      },
      &target);
  EXPECT_EQ(&r, &target);

  std::unique_ptr<int> p = rt.block_on(box, 3);
  ASSERT_TRUE(p);
  EXPECT_EQ(*p, 3);

  std::atomic<int> counter{0};
  rt.block_on(add_to, &counter, 9);
  EXPECT_EQ(counter.load(), 9);
}

TEST(BlockOn, RethrowsTheTasksException) {
  goro::runtime rt{goro::options{.procs = 2}};
  try {
    rt.block_on(fail_after_yield, 77);
    FAIL() << "no exception";
  } catch (const test_error& e) {
    EXPECT_EQ(e.code, 77);
  }
  try {
    rt.block_on(fail_void, 78);
    FAIL() << "no exception";
  } catch (const test_error& e) {
    EXPECT_EQ(e.code, 78);
  }
  // The runtime is still usable.
  EXPECT_EQ(rt.block_on(twice, 1), 2);
}

TEST(BlockOn, ManyInARow) {
  goro::runtime rt{goro::options{.procs = 2}};
  std::int64_t sum = 0;
  for (int i = 0; i < 2000; ++i) sum += rt.block_on(twice, i);
  EXPECT_EQ(sum, 2 * (1999 * 2000 / 2));
}

TEST(BlockOn, ConcurrentFromSeveralPlainThreads) {
  goro::runtime rt{goro::options{.procs = 2}};
  std::atomic<std::int64_t> sum{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t) {
    ts.emplace_back([&rt, &sum, t] {
      for (int i = 0; i < 200; ++i) sum += rt.block_on(twice_after_yields, t);
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_EQ(sum.load(), 200 * 2 * (0 + 1 + 2 + 3));
}

// ---------------------------------------- rt.go / rt.co_spawn from outside

TEST(RuntimeSpawn, GoAndCoSpawnFromSeveralPlainThreads) {
  goro::runtime rt{goro::options{.procs = 2}};
  constexpr int kThreads = 4;
  constexpr int kPerThread = 500;
  std::atomic<int> counter{0};
  std::vector<std::vector<goro::join_handle<int>>> handles(kThreads);
  std::vector<std::thread> ts;
  for (int t = 0; t < kThreads; ++t) {
    ts.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        rt.go(add_to, &counter, 1);
        handles[t].push_back(rt.co_spawn(twice_after_yields, i));
      }
    });
  }
  for (auto& t : ts) t.join();
  std::int64_t joined = rt.block_on([&handles]() -> goro::task<std::int64_t> {
    std::int64_t s = 0;
    for (auto& hs : handles) {
      for (auto& h : hs) s += co_await h;
    }
    co_return s;
  });
  EXPECT_EQ(joined, kThreads * 2 * (kPerThread - 1) * kPerThread / 2);
  wait_until([&] { return counter.load() == kThreads * kPerThread; });
  EXPECT_EQ(counter.load(), kThreads * kPerThread);
}

TEST(RuntimeSpawn, CapturingLambdaFromAPlainThread) {
  goro::runtime rt{goro::options{.procs = 2}};
  std::atomic<int> ok{0};
  for (int i = 0; i < 20; ++i) {
    std::string s(100, static_cast<char>('a' + i));
    rt.go([s, i, &ok]() -> goro::task<void> {
      for (int k = 0; k < 3; ++k) co_await goro::yield();
      if (s == std::string(100, static_cast<char>('a' + i))) ok.fetch_add(1);
    });
  }
  wait_until([&] { return ok.load() == 20; });
}

TEST(RuntimeSpawn, ExceptionOfOutsideSpawnedGRethrownAtJoin) {
  goro::runtime rt{goro::options{.procs = 2}};
  auto h = rt.co_spawn(fail_after_yield, 5);
  int code = rt.block_on(
      [](goro::join_handle<int> h) -> goro::task<int> {
        try {
          co_await h;
        } catch (const test_error& e) {
          co_return e.code;
        }
        co_return -1;
      },
      std::move(h));
  EXPECT_EQ(code, 5);
}

// --------------------------------------------------------- goro::run

TEST(Run, ReturnsTheInt) {
  EXPECT_EQ(goro::run([]() -> goro::task<int> { co_return 7; }), 7);
  EXPECT_EQ(goro::run(twice_after_yields, 21), 42);
  EXPECT_THROW(goro::run(fail_after_yield, 1), test_error);
}

// ---------------------------------------------------- procs, GOMAXPROCS

int affinity_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) != 0) return -1;
  return CPU_COUNT(&set);
}

class GomaxprocsEnv : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const char* v = getenv("GOMAXPROCS")) saved_ = v;
  }
  void TearDown() override {
    if (saved_) {
      setenv("GOMAXPROCS", saved_->c_str(), 1);
    } else {
      unsetenv("GOMAXPROCS");
    }
  }
  std::optional<std::string> saved_;
};

TEST_F(GomaxprocsEnv, DefaultProcsHonoursValidValues) {
  setenv("GOMAXPROCS", "3", 1);
  EXPECT_EQ(goro::default_procs(), 3);
  setenv("GOMAXPROCS", "1", 1);
  EXPECT_EQ(goro::default_procs(), 1);
  setenv("GOMAXPROCS", "64", 1);
  EXPECT_EQ(goro::default_procs(), 64);
}

TEST_F(GomaxprocsEnv, DefaultProcsIgnoresInvalidValues) {
  const int cpus = affinity_cpus();
  ASSERT_GE(cpus, 1);
  unsetenv("GOMAXPROCS");
  EXPECT_EQ(goro::default_procs(), cpus);
  for (const char* bad : {"", "0", "-1", "-8", "abc", "3x", "x3", "2.5",
                          "99999999999999999999", "1e3"}) {
    setenv("GOMAXPROCS", bad, 1);
    EXPECT_EQ(goro::default_procs(), cpus) << "GOMAXPROCS=\"" << bad << "\"";
  }
}

TEST_F(GomaxprocsEnv, DefaultRuntimeAndRunUseGomaxprocs) {
  setenv("GOMAXPROCS", "3", 1);
  {
    goro::runtime rt;
    EXPECT_EQ(rt.procs(), 3);
    EXPECT_EQ(rt.stats().procs.size(), 3u);
  }
  EXPECT_EQ(
      goro::run([]() -> goro::task<int> { co_return goro::gomaxprocs(); }), 3);
  unsetenv("GOMAXPROCS");
  {
    goro::runtime rt{goro::options{}};
    EXPECT_EQ(rt.procs(), affinity_cpus());
  }
}

TEST(Procs, GomaxprocsInsideEqualsProcs) {
  for (int procs : {1, 2, 3, 5}) {
    goro::runtime rt{goro::options{.procs = procs}};
    EXPECT_EQ(rt.procs(), procs);
    int inside = rt.block_on([]() -> goro::task<int> {
      int a = goro::gomaxprocs();
      co_await goro::yield();
      int b = goro::gomaxprocs();
      co_return a == b ? a : -1;
    });
    EXPECT_EQ(inside, procs);
  }
}

// ------------------------------------------------------------- this_g

TEST(ThisG, IdIsNonzeroUniqueAndStableAcrossYields) {
  goro::runtime rt{goro::options{.procs = 2}};
  std::mutex mu;
  std::set<std::uint64_t> ids;
  std::atomic<int> unstable{0};
  std::atomic<int> done{0};
  constexpr int kInside = 2000;
  constexpr int kOutside = 500;
  auto body = [&]() -> goro::task<void> {
    std::uint64_t id = goro::this_g::id();
    for (int i = 0; i < 5; ++i) {
      co_await goro::yield();
      if (goro::this_g::id() != id) unstable.fetch_add(1);
    }
    {
      std::lock_guard<std::mutex> lock(mu);
      ids.insert(id);
    }
    done.fetch_add(1);
  };
  std::thread outside([&] {
    for (int i = 0; i < kOutside; ++i) rt.go(body);
  });
  rt.block_on([&]() -> goro::task<void> {
    for (int i = 0; i < kInside; ++i) goro::go(body);
    co_return;
  });
  outside.join();
  wait_until([&] { return done.load() == kInside + kOutside; });
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_EQ(ids.size(), static_cast<std::size_t>(kInside + kOutside));
  EXPECT_EQ(ids.count(0), 0u);
  EXPECT_EQ(unstable.load(), 0);
}

TEST(ThisG, IdsAreNotReusedAcrossRuntimes) {
  std::set<std::uint64_t> ids;
  for (int r = 0; r < 3; ++r) {
    goro::runtime rt{goro::options{.procs = 1}};
    for (int i = 0; i < 50; ++i) {
      ids.insert(rt.block_on(
          []() -> goro::task<std::uint64_t> { co_return goro::this_g::id(); }));
    }
  }
  EXPECT_EQ(ids.size(), 150u);
}

// ------------------------------------------------- several runtimes

TEST(SeveralRuntimes, AliveAtOnceAndIndependent) {
  goro::runtime a{goro::options{.procs = 1}};
  goro::runtime b{goro::options{.procs = 3}};
  std::atomic<int> wrong{0};
  auto worker = [&wrong](int expect_procs) -> goro::task<std::int64_t> {
    std::vector<goro::join_handle<int>> hs;
    for (int i = 0; i < 200; ++i)
      hs.push_back(goro::co_spawn(twice_after_yields, i));
    std::int64_t s = 0;
    for (auto& h : hs) {
      s += co_await h;
      if (goro::gomaxprocs() != expect_procs) wrong.fetch_add(1);
    }
    co_return s;
  };
  std::int64_t ra = 0, rb = 0;
  std::thread ta([&] { ra = a.block_on(worker, 1); });
  std::thread tb([&] { rb = b.block_on(worker, 3); });
  ta.join();
  tb.join();
  EXPECT_EQ(ra, 2 * 199 * 200 / 2);
  EXPECT_EQ(rb, 2 * 199 * 200 / 2);
  EXPECT_EQ(wrong.load(), 0);
}

TEST(SeveralRuntimes, SpawnOnAnotherRuntimeFromInsideAG) {
  goro::runtime a{goro::options{.procs = 1}};
  goro::runtime b{goro::options{.procs = 3}};
  std::atomic<int> b_procs_seen{0};
  a.block_on([&]() -> goro::task<void> {
    b.go([&b_procs_seen]() -> goro::task<void> {
      b_procs_seen.store(goro::gomaxprocs());
      co_return;
    });
    co_return;
  });
  wait_until([&] { return b_procs_seen.load() != 0; });
  EXPECT_EQ(b_procs_seen.load(), 3);
}

// join_handle.h: "Awaiting is only possible from inside a G of the same
// runtime (std::logic_error otherwise)". (A G belongs to its runtime for its
// whole life; a cross-runtime join would have another runtime's M resume
// it.) The check holds whether or not the target has finished, and leaves
// the awaiting G running on its own runtime.
TEST(SeveralRuntimes, JoiningAGOfAnotherRuntimeThrowsLogicError) {
  // Declared first so it outlives b, whose G may still read it after the
  // block_on below returns (the handles are dropped, not joined).
  std::atomic<bool> release_child{false};
  goro::runtime a{goro::options{.procs = 1}};
  goro::runtime b{goro::options{.procs = 3}};
  struct result {
    int threw = 0;
    int procs_after = 0;
    bool same_scheduler = false;
  };
  result r = a.block_on([&]() -> goro::task<result> {
    result res;
    goro::internal::scheduler* mine = goro::internal::current_machine()->sched;
    auto running = b.co_spawn(
        [](std::atomic<bool>* release) -> goro::task<int> {
          while (!release->load()) co_await goro::yield();
          co_return 5;
        },
        &release_child);
    auto finished = b.co_spawn(twice, 3);
    while (!finished.done()) co_await goro::yield();
    for (auto* h : {&running, &finished}) {
      try {
        (void)co_await *h;
      } catch (const std::logic_error&) {
        ++res.threw;
      }
    }
    release_child.store(true);
    res.procs_after = goro::gomaxprocs();
    res.same_scheduler = goro::internal::current_machine()->sched == mine;
    co_return res;  // the handles are dropped: both Gs are detached
  });
  EXPECT_EQ(r.threw, 2);
  EXPECT_EQ(r.procs_after, 1);
  EXPECT_TRUE(r.same_scheduler);
}

// A join_handle awaited from a goro::task that is not running as a G (driven
// by a coroutine type that is not goro's, on a plain thread) throws too.
TEST(OutsideRuntime, JoinAndYieldInATaskThatIsNotAGThrowLogicError) {
  goro::runtime rt{goro::options{.procs = 1}};
  goro::join_handle<int> h = rt.co_spawn(twice, 4);
  auto joiner = [](goro::join_handle<int>* hp) -> goro::task<int> {
    try {
      co_await *hp;
    } catch (const std::logic_error&) {
      co_return 1;
    }
    co_return 0;
  };
  auto yielder = []() -> goro::task<int> {
    try {
      co_await goro::yield();
    } catch (const std::logic_error&) {
      co_return 10;
    }
    co_return 0;
  };
  eager e = [](auto joiner, auto yielder, goro::join_handle<int>* hp) -> eager {
    int a = co_await joiner(hp);
    int b = co_await yielder();
    co_return a + b;
  }(joiner, yielder, &h);
  ASSERT_TRUE(e.h.done());
  EXPECT_EQ(e.h.promise().value, 11);
  // The handle was not consumed: a G of its runtime can still join it.
  EXPECT_EQ(rt.block_on([](goro::join_handle<int> h)
                            -> goro::task<int> { co_return co_await h; },
                        std::move(h)),
            8);
}

TEST(Go, TaskThatWasAlreadyAwaitedThrowsLogicError) {
  goro::runtime rt{goro::options{.procs = 1}};
  int threw = rt.block_on([]() -> goro::task<int> {
    int n = 0;
    goro::task<int> t = twice(1);
    EXPECT_EQ(co_await t, 2);
    try {
      goro::go(std::move(t));
    } catch (const std::logic_error&) {
      ++n;
    }
    goro::task<int> u = twice(2);
    EXPECT_EQ(co_await u, 4);
    try {
      auto h = goro::co_spawn(std::move(u));
    } catch (const std::logic_error&) {
      ++n;
    }
    co_return n;
  });
  EXPECT_EQ(threw, 2);
}

}  // namespace
