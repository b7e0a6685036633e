// Destroying a runtime whose abandoned Gs are suspended deep inside nested
// task chains. A running chain costs heap, not stack (the trampoline: see
// task_test's DeepRecursionOfNestedCoAwaits), so a G can be hundreds of
// thousands of frames deep; the runtime must be able to destroy it too,
// without recursing once per frame on the destroying thread's stack (each
// ~task destroys its child frame from inside the parent's destroy).
#include <atomic>
#include <chrono>
#include <thread>

#include "goro/goro.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace {

using goro_test::counted;
using goro_test::wait_until;

constexpr int kDepth = 100'000;
// Deep enough to overflow an 8 MiB stack at -O2 too.
constexpr int kVeryDeep = 400'000;

goro::task<void> nested_forever(int depth, std::atomic<int>* started) {
  counted c;
  if (depth == 0) {
    started->fetch_add(1);
    for (;;) co_await goro::yield();
  }
  co_await nested_forever(depth - 1, started);
}

TEST(Teardown, AbandonedDeepTaskChainIsDestroyed) {
  counted::reset();
  std::atomic<int> started{0};
  {
    goro::runtime rt{goro::options{.procs = 1}};
    rt.go(nested_forever, kDepth, &started);
    wait_until([&] { return started.load() == 1; });
    EXPECT_EQ(counted::live.load(), kDepth + 1);
  }  // a stack overflow here (SIGSEGV) is the bug this test is about
  EXPECT_EQ(counted::live.load(), 0);
  EXPECT_EQ(counted::destroyed.load(), kDepth + 1);
}

TEST(Teardown, AbandonedVeryDeepTaskChainIsDestroyed) {
  counted::reset();
  std::atomic<int> started{0};
  {
    goro::runtime rt{goro::options{.procs = 1}};
    rt.go(nested_forever, kVeryDeep, &started);
    wait_until([&] { return started.load() == 1; });
  }
  EXPECT_EQ(counted::live.load(), 0);
  EXPECT_EQ(counted::destroyed.load(), kVeryDeep + 1);
}

TEST(Teardown, AbandonedDeepChainDestroyedByGoroRun) {
  counted::reset();
  std::atomic<int> started{0};
  int v = goro::run([&started]() -> goro::task<int> {
    goro::go(nested_forever, kDepth, &started);
    while (started.load() == 0) co_await goro::yield();
    co_return 3;
  });
  EXPECT_EQ(v, 3);
  EXPECT_EQ(counted::live.load(), 0);
}

}  // namespace
