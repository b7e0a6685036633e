// Fatal errors: an exception nobody joins ends the process like a Go panic,
// and misuses the runtime cannot survive abort with a message.
#include <chrono>
#include <coroutine>
#include <stdexcept>
#include <string>
#include <thread>

#include "goro/goro.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace {

goro::task<int> boom(std::string what) {
  co_await goro::yield();
  throw std::runtime_error(what);
}

goro::task<void> boom_void(std::string what) {
  throw std::runtime_error(what);
  co_return;
}

class Death : public ::testing::Test {
 protected:
  void SetUp() override {
    // The runtime has threads: re-execute the binary for each death test.
    GTEST_FLAG_SET(death_test_style, "threadsafe");
  }
};

// Runs `f` as a G on a fresh runtime, then waits long enough for a detached
// G to blow up (the process is expected to die before this returns).
template <class F>
void run_and_linger(F f) {
  goro::runtime rt{goro::options{.procs = 2}};
  rt.block_on(f);
  for (int i = 0; i < 500; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

TEST_F(Death, ExceptionEscapingADetachedGAborts) {
  EXPECT_DEATH(run_and_linger([]() -> goro::task<void> {
                 goro::go(boom, std::string("detached-boom-1234"));
                 co_return;
               }),
               "G [0-9]+.*detached-boom-1234");
}

TEST_F(Death, ExceptionEscapingAGSpawnedFromAPlainThreadAborts) {
  EXPECT_DEATH(
      {
        goro::runtime rt{goro::options{.procs = 1}};
        rt.go(boom_void, std::string("outside-boom-99"));
        std::this_thread::sleep_for(std::chrono::seconds(5));
      },
      "G [0-9]+.*outside-boom-99");
}

TEST_F(Death, DroppedHandleOfAThrowingGAborts) {
  EXPECT_DEATH(run_and_linger([]() -> goro::task<void> {
                 // Dropped at once: the G finishes later, unobserved.
                 (void)goro::co_spawn(boom, std::string("dropped-handle-777"));
                 co_return;
               }),
               "G [0-9]+.*dropped-handle-777");
}

TEST_F(Death, DetachedHandleOfAThrowingGAborts) {
  EXPECT_DEATH(run_and_linger([]() -> goro::task<void> {
                 auto h = goro::co_spawn(boom, std::string("detached-h-31"));
                 h.detach();
                 co_return;
               }),
               "G [0-9]+.*detached-h-31");
}

TEST_F(Death, HandleDroppedAfterTheGFailedAborts) {
  EXPECT_DEATH(run_and_linger([]() -> goro::task<void> {
                 auto h = goro::co_spawn(boom, std::string("late-drop-5150"));
                 while (!h.done()) co_await goro::yield();
                 // h goes out of scope here, never awaited.
               }),
               "G [0-9]+.*late-drop-5150");
}

TEST_F(Death, NonStdExceptionEscapingADetachedGAborts) {
  EXPECT_DEATH(run_and_linger([]() -> goro::task<void> {
                 goro::go([]() -> goro::task<void> {
                   co_await goro::yield();
                   throw 42;
                 });
                 co_return;
               }),
               "G [0-9]+.*unknown exception");
}

TEST_F(Death, DestroyingARuntimeFromItsOwnGAborts) {
  EXPECT_DEATH(
      {
        auto* rt = new goro::runtime(goro::options{.procs = 1});
        rt->block_on([rt]() -> goro::task<void> {
          delete rt;
          co_return;
        });
      },
      "destroyed from inside one of its own Gs");
}

TEST_F(Death, AwaitingAForeignAwaiterInAGAborts) {
  EXPECT_DEATH(
      {
        goro::runtime rt{goro::options{.procs = 1}};
        rt.block_on(
            []() -> goro::task<void> { co_await std::suspend_always{}; });
      },
      "awaiter that goro does not know");
}

// The non-fatal counterpart: an exception that a join observes does not end
// the process, even when the join happens after the G finished.
TEST(NoDeath, ObservedExceptionsDoNotAbort) {
  goro::runtime rt{goro::options{.procs = 2}};
  int caught = rt.block_on([]() -> goro::task<int> {
    int n = 0;
    for (int i = 0; i < 100; ++i) {
      auto h = goro::co_spawn(boom, std::string("observed"));
      if (i % 2 == 0) {
        while (!h.done()) co_await goro::yield();
      }
      try {
        co_await h;
      } catch (const std::runtime_error&) {
        ++n;
      }
    }
    co_return n;
  });
  EXPECT_EQ(caught, 100);
}

}  // namespace
