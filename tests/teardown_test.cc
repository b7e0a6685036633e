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
using goro_test::nested_forever;
using goro_test::wait_until;

constexpr int kDepth = 100'000;
// Deep enough to overflow an 8 MiB stack at -O2 too.
constexpr int kVeryDeep = 400'000;

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

// A G awaiting a task that is owned by another G's frame (it borrowed the
// task by pointer). At teardown the owner's frame may be destroyed first;
// the borrowed frame must still be destroyed exactly once (review finding:
// it was destroyed twice).
std::atomic<bool> keep_yielding{true};

goro::task<int> borrowed_inner() {
  counted c;
  while (keep_yielding.load()) co_await goro::yield();
  co_return 1;
}

goro::task<int> borrower(goro::task<int>* t) { co_return co_await *t; }

goro::task<int> lender(std::atomic<int>* started) {
  counted c;
  goro::task<int> t = borrowed_inner();
  auto h = goro::co_spawn(borrower, &t);
  started->fetch_add(1);
  co_return co_await h;
}

TEST(Teardown, GAwaitingATaskOwnedByAnotherGIsDestroyedOnce) {
  for (int procs : {1, 2}) {
    counted::reset();
    std::atomic<int> started{0};
    {
      goro::runtime rt{goro::options{.procs = procs}};
      rt.go(lender, &started);
      wait_until([&] { return started.load() == 1; });
      wait_until([&] { return counted::live.load() == 2; });
    }
    EXPECT_EQ(counted::live.load(), 0) << "procs " << procs;
    EXPECT_EQ(counted::destroyed.load(), 2) << "procs " << procs;
  }
}

// A destructor that spawns a G while the runtime tears down: the new G is
// destroyed too, and the teardown walk survives the g blocks growing.
goro::runtime* teardown_rt = nullptr;

struct spawn_on_destroy {
  ~spawn_on_destroy() {
    teardown_rt->go([]() -> goro::task<void> {
      counted c;
      co_return;
    });
  }
};

goro::task<void> parked_forever(std::atomic<int>* started) {
  spawn_on_destroy s;
  counted c;
  started->fetch_add(1);
  for (;;) co_await goro::yield();
}

TEST(Teardown, DestructorsThatSpawnDuringTeardown) {
  counted::reset();
  std::atomic<int> started{0};
  constexpr int kGs = 100;  // several g blocks; the shared free list drains
  {
    goro::runtime rt{goro::options{.procs = 1}};
    teardown_rt = &rt;
    for (int i = 0; i < kGs; ++i) rt.go(parked_forever, &started);
    wait_until([&] { return started.load() == kGs; });
  }
  teardown_rt = nullptr;
  EXPECT_EQ(counted::live.load(), 0);
  // Each spawned G is destroyed before it runs: its counted never exists.
  EXPECT_EQ(counted::destroyed.load(), kGs);
}

// A chain of Gs, each parked joining the next, the last parked forever:
// teardown destroys every joiner while its waiter record is still linked
// into its target's join word (join_cancel takes it back; the debug build
// asserts each record's state machine), in whatever order it walks them.
goro::task<void> join_chain(int left, std::atomic<int>* started) {
  counted c;
  if (left == 0) {
    started->fetch_add(1);
    goro::chan<int> nil;
    co_await nil.recv();  // forever
    co_return;
  }
  auto h = goro::co_spawn(join_chain, left - 1, started);
  co_await h;
}

TEST(Teardown, GsParkedInJoinsAreDestroyed) {
  constexpr int kChain = 1000;
  for (int procs : {1, 2}) {
    counted::reset();
    std::atomic<int> started{0};
    {
      goro::runtime rt{goro::options{.procs = procs}};
      rt.go(join_chain, kChain, &started);
      wait_until([&] { return started.load() == 1; });
      wait_until([&] { return counted::live.load() == kChain + 1; });
    }
    EXPECT_EQ(counted::live.load(), 0) << "procs " << procs;
    EXPECT_EQ(counted::destroyed.load(), kChain + 1) << "procs " << procs;
  }
}

}  // namespace
