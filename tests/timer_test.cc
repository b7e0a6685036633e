// goro's timers, behaviour by behaviour: sleep_for/sleep_until (never early,
// <= 0 is a scheduling point, many sleepers, an idle runtime sleeps without
// burning CPU), goro::timer stop/reset return values (Go 1.23's rules) and
// their races with the firing, after() as a select timeout, after_func,
// ticker drops and errors, misuse, and runtime teardown with armed timers.
// Lateness is never asserted tightly (the machines are noisy); earliness is.
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "goro/goro.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace {

using namespace std::chrono_literals;
using clk = std::chrono::steady_clock;
using goro::task;
using goro_test::scaled;
using goro_test::wait_until;

std::chrono::nanoseconds since(clk::time_point t0) { return clk::now() - t0; }

double process_cpu_seconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + ts.tv_nsec * 1e-9;
}

class TimerProcs : public ::testing::TestWithParam<int> {};
INSTANTIATE_TEST_SUITE_P(Procs, TimerProcs, ::testing::Values(1, 2, 4, 8));

// =============================================================== sleep

TEST_P(TimerProcs, SleepNeverReturnsEarly) {
  goro::runtime rt{goro::options{.procs = GetParam()}};
  rt.block_on([]() -> task<> {
    for (std::chrono::nanoseconds d :
         {1ns, 1000ns, 50'000ns, 100'000ns, 1'000'000ns, 3'000'000ns}) {
      for (int i = 0; i < 5; ++i) {
        const auto t0 = clk::now();
        co_await goro::sleep_for(d);
        EXPECT_GE(since(t0), d)
            << "sleep_for(" << d.count() << "ns) woke early";
      }
    }
    const auto until = clk::now() + 2ms;
    co_await goro::sleep_until(until);
    EXPECT_GE(clk::now(), until) << "sleep_until woke early";
  });
}

TEST(Sleep, NonPositiveReturnsAtOnceButIsASchedulingPoint) {
  goro::runtime rt{goro::options{.procs = 1}};
  rt.block_on([]() -> task<> {
    for (std::chrono::nanoseconds d :
         {std::chrono::nanoseconds(0), std::chrono::nanoseconds(-1),
          std::chrono::nanoseconds(-1h)}) {
      std::atomic<bool> other_ran{false};
      goro::go([&]() -> task<> {
        other_ran.store(true);
        co_return;
      });
      const auto t0 = clk::now();
      co_await goro::sleep_for(d);
      EXPECT_LT(since(t0), 100ms);
      EXPECT_TRUE(other_ran.load())
          << "sleep_for(" << d.count() << ") did not let the other G run";
    }
    std::atomic<bool> other_ran{false};
    goro::go([&]() -> task<> {
      other_ran.store(true);
      co_return;
    });
    co_await goro::sleep_until(clk::now() - 1s);
    EXPECT_TRUE(other_ran.load());
  });
}

TEST(Sleep, HugeDurationsSaturateInsteadOfWrapping) {
  goro::runtime rt{goro::options{.procs = 2}};
  std::atomic<bool> woke{false};
  rt.go([&]() -> task<> {
    co_await goro::sleep_for(std::chrono::hours::max());
    woke.store(true);
  });
  rt.go([&]() -> task<> {
    co_await goro::sleep_until(clk::time_point::max());
    woke.store(true);
  });
  std::this_thread::sleep_for(50ms);
  EXPECT_FALSE(woke.load()) << "an 'infinite' sleep wrapped around and fired";
  // Destroying the runtime takes the timers off its heaps.
}

TEST_P(TimerProcs, ManySleepersAllWakeAndNoneEarly) {
  const int n = static_cast<int>(scaled(100'000, 10));
  goro::runtime rt{goro::options{.procs = GetParam()}};
  std::atomic<int> early{0};
  std::atomic<int> woke{0};
  rt.block_on([&]() -> task<> {
    goro::wait_group wg;
    std::mt19937 rng(42);
    for (int i = 0; i < n; ++i) {
      const auto d = std::chrono::microseconds(rng() % 10'000);
      wg.go([&early, &woke, d]() -> task<> {
        const auto t0 = clk::now();
        co_await goro::sleep_for(d);
        if (since(t0) < d) early.fetch_add(1);
        woke.fetch_add(1);
      });
    }
    co_await wg.wait();
  });
  EXPECT_EQ(woke.load(), n);
  EXPECT_EQ(early.load(), 0);
}

TEST(Sleep, SleepersOnAllPsWhileOthersWork) {
  // Timers armed on every P wake while other Gs keep the Ps busy with
  // short slices.
  goro::runtime rt{goro::options{.procs = 4}};
  rt.block_on([]() -> task<> {
    std::atomic<bool> stop{false};
    goro::wait_group busy;
    for (int i = 0; i < 4; ++i) {
      busy.go([&]() -> task<> {
        while (!stop.load()) co_await goro::yield();
      });
    }
    goro::wait_group sleepers;
    for (int i = 0; i < 200; ++i) {
      sleepers.go([i]() -> task<> {
        const auto d = std::chrono::microseconds(100 * (i % 20));
        const auto t0 = clk::now();
        co_await goro::sleep_for(d);
        EXPECT_GE(since(t0), d);
      });
    }
    co_await sleepers.wait();
    stop.store(true);
    co_await busy.wait();
  });
}

TEST(Sleep, AnIdleRuntimeSleepsWithoutBurningCpuThenWakes) {
  goro::runtime rt{goro::options{.procs = 2}};
  std::atomic<bool> woke{false};
  rt.go([&]() -> task<> {
    co_await goro::sleep_for(1s);
    woke.store(true);
  });
  std::this_thread::sleep_for(50ms);  // every M is asleep by now
  const double cpu0 = process_cpu_seconds();
  std::this_thread::sleep_for(200ms);
  const double cpu = process_cpu_seconds() - cpu0;
  EXPECT_LT(cpu, 0.02) << "an idle runtime with one pending timer used "
                       << cpu * 1000 << " ms of CPU in 200 ms";
  EXPECT_FALSE(woke.load());
  wait_until([&] { return woke.load(); });
}

// =============================================================== timer

TEST_P(TimerProcs, TimerFiresOnceAndNeverEarly) {
  goro::runtime rt{goro::options{.procs = GetParam()}};
  rt.block_on([]() -> task<> {
    const auto t0 = clk::now();
    goro::timer t(2ms);
    auto v = co_await t.c().recv();
    EXPECT_GE(since(t0), 2ms);
    EXPECT_TRUE(v.has_value());
    if (v) {
      EXPECT_GE(*v, t0 + 2ms) << "the time sent is the firing time";
    }
    co_await goro::sleep_for(5ms);
    EXPECT_FALSE(t.c().try_recv().has_value()) << "a timer fired twice";
    EXPECT_FALSE(t.stop()) << "stop after the value was received";
  });
}

TEST(Timer, StopBeforeFiringPreventsIt) {
  goro::runtime rt{goro::options{.procs = 2}};
  rt.block_on([]() -> task<> {
    goro::timer t(20ms);
    EXPECT_TRUE(t.stop());
    EXPECT_FALSE(t.stop()) << "second stop";
    co_await goro::sleep_for(40ms);
    EXPECT_FALSE(t.c().try_recv().has_value()) << "a stopped timer fired";
  });
}

TEST(Timer, StopAfterAnUnreceivedFiringDrainsAndReturnsTrue) {
  goro::runtime rt{goro::options{.procs = 2}};
  rt.block_on([]() -> task<> {
    goro::timer t(1ms);
    co_await goro::sleep_for(10ms);  // fired; nobody received
    EXPECT_TRUE(t.stop()) << "Go 1.23: not yet received counts as running";
    EXPECT_FALSE(t.c().try_recv().has_value()) << "stale value after stop";
    EXPECT_FALSE(t.stop());
  });
}

TEST(Timer, ResetReturnValuesAndRefiring) {
  goro::runtime rt{goro::options{.procs = 2}};
  rt.block_on([]() -> task<> {
    goro::timer t(1h);
    EXPECT_TRUE(t.reset(1ms)) << "reset of an armed timer";
    auto v = co_await t.c().recv();
    EXPECT_TRUE(v.has_value());
    const auto t0 = clk::now();
    EXPECT_FALSE(t.reset(2ms)) << "reset after the value was received";
    v = co_await t.c().recv();
    EXPECT_GE(since(t0), 2ms);
    EXPECT_TRUE(t.reset(1h) == false);
    EXPECT_TRUE(t.stop());
    // Reset of a fired, unreceived timer: the stale value is discarded.
    EXPECT_FALSE(t.reset(1ms));
    co_await goro::sleep_for(10ms);
    EXPECT_TRUE(t.reset(1h)) << "fired but not received";
    EXPECT_FALSE(t.c().try_recv().has_value()) << "stale value after reset";
    EXPECT_TRUE(t.stop());
  });
}

TEST_P(TimerProcs, StopRacingWithTheFiringNeverLeavesAStaleValue) {
  // However stop() and the firing interleave: no value was received, so
  // stop() must return true and nothing must be receivable afterwards.
  goro::runtime rt{goro::options{.procs = GetParam()}};
  const int rounds = static_cast<int>(scaled(3000, 10));
  rt.block_on([rounds]() -> task<> {
    std::mt19937 rng(7);
    int wrong = 0;
    int stale = 0;
    for (int i = 0; i < rounds; ++i) {
      goro::timer t(std::chrono::microseconds(rng() % 50));
      const auto spin_until =
          clk::now() + std::chrono::microseconds(rng() % 60);
      while (clk::now() < spin_until) {
      }
      if (i % 2 == 0) co_await goro::yield();
      if (!t.stop()) ++wrong;
      if (t.c().try_recv().has_value()) ++stale;
    }
    EXPECT_EQ(wrong, 0) << "stop() returned false though nothing was received";
    EXPECT_EQ(stale, 0) << "a value was receivable after stop()";
  });
}

TEST(Timer, StopAndResetFromManyGsConcurrently) {
  goro::runtime rt{goro::options{.procs = 4}};
  rt.block_on([]() -> task<> {
    goro::timer t(1ms);
    goro::wait_group wg;
    for (int g = 0; g < 8; ++g) {
      wg.go([&t, g]() -> task<> {
        for (int i = 0; i < 500; ++i) {
          if ((i + g) % 3 == 0) {
            t.stop();
          } else {
            t.reset(std::chrono::microseconds(i % 30));
          }
          if (i % 16 == 0) co_await goro::yield();
        }
      });
    }
    co_await wg.wait();
    t.reset(1ms);
    auto v = co_await t.c().recv();  // armed exactly once: fires once
    EXPECT_TRUE(v.has_value());
    co_await goro::sleep_for(5ms);
    EXPECT_FALSE(t.c().try_recv().has_value()) << "armed twice";
  });
}

TEST(Timer, AfterInSelectIsATimeout) {
  goro::runtime rt{goro::options{.procs = 2}};
  rt.block_on([]() -> task<> {
    auto never = goro::make_chan<int>();
    const auto t0 = clk::now();
    auto r =
        co_await goro::select(never.recv_case(), goro::after(20ms).recv_case());
    EXPECT_EQ(r.index(), 1u);
    EXPECT_GE(since(t0), 20ms);
    // A ready case wins over a timeout that has not fired.
    auto ready = goro::make_chan<int>(1);
    co_await ready.send(5);
    auto r2 =
        co_await goro::select(ready.recv_case(), goro::after(1h).recv_case());
    EXPECT_EQ(r2.index(), 0u);
    // after(<= 0) fires at once.
    auto v = co_await goro::after(-1s).recv();
    EXPECT_TRUE(v.has_value());
  });
}

TEST(Timer, AfterFuncRunsFAsANewG) {
  goro::runtime rt{goro::options{.procs = 2}};
  rt.block_on([]() -> task<> {
    std::atomic<int> ran{0};
    const auto t0 = clk::now();
    std::atomic<std::int64_t> at{0};
    auto t = goro::after_func(2ms, [&] {
      at.store(since(t0).count());
      ran.fetch_add(1);
    });
    EXPECT_FALSE(t.c()) << "an after_func timer has the nil channel";
    while (ran.load() == 0) co_await goro::sleep_for(100us);
    EXPECT_GE(at.load(), std::int64_t{2'000'000});
    EXPECT_FALSE(t.stop()) << "stop after f started";
    // Reset runs it again.
    EXPECT_FALSE(t.reset(1ms));
    while (ran.load() == 1) co_await goro::sleep_for(100us);
    EXPECT_EQ(ran.load(), 2);

    // A task-returning f is awaited in its G; a stopped one never runs.
    std::atomic<bool> task_done{false};
    auto t2 = goro::after_func(1ms, [&]() -> task<> {
      co_await goro::sleep_for(1ms);
      task_done.store(true);
    });
    std::atomic<bool> never{false};
    auto t3 = goro::after_func(1h, [&] { never.store(true); });
    EXPECT_TRUE(t3.stop());
    while (!task_done.load()) co_await goro::sleep_for(100us);
    EXPECT_FALSE(never.load()) << "a stopped after_func ran";
  });
}

TEST(Timer, DiscardedAfterFuncStillRuns) {
  goro::runtime rt{goro::options{.procs = 2}};
  std::atomic<bool> ran{false};
  rt.block_on([&]() -> task<> {
    (void)goro::after_func(1ms, [&] { ran.store(true); });
    co_return;
  });
  wait_until([&] { return ran.load(); });
}

TEST(Timer, MovedFromAndOutsideARuntimeAreClearErrors) {
  EXPECT_THROW(goro::timer(1ms), std::logic_error);
  EXPECT_THROW(goro::after(1ms), std::logic_error);
  EXPECT_THROW(goro::ticker(1ms), std::logic_error);
  goro::runtime rt{goro::options{.procs = 1}};
  rt.block_on([]() -> task<> {
    goro::timer a(1h);
    goro::timer b(std::move(a));
    try {
      a.stop();
      ADD_FAILURE() << "stop() on a moved-from timer did not throw";
    } catch (const std::logic_error& e) {
      EXPECT_NE(std::string(e.what()).find("moved-from"), std::string::npos)
          << e.what();
    }
    EXPECT_THROW(a.reset(1ms), std::logic_error);
    EXPECT_THROW((void)a.c(), std::logic_error);
    EXPECT_TRUE(b.stop());
    co_return;
  });
}

// ============================================================== ticker

TEST_P(TimerProcs, TickerTicksEveryPeriodNeverEarly) {
  goro::runtime rt{goro::options{.procs = GetParam()}};
  rt.block_on([]() -> task<> {
    const auto t0 = clk::now();
    goro::ticker tk(2ms);
    for (int i = 1; i <= 5; ++i) {
      auto v = co_await tk.c().recv();
      EXPECT_TRUE(v.has_value());
      EXPECT_GE(since(t0), i * 2ms) << "tick " << i << " early";
    }
    tk.stop();
    EXPECT_FALSE(tk.c().try_recv().has_value()) << "stale tick after stop";
    co_await goro::sleep_for(10ms);
    EXPECT_FALSE(tk.c().try_recv().has_value()) << "tick after stop";
  });
}

TEST(Ticker, DropsTicksForASlowReader) {
  goro::runtime rt{goro::options{.procs = 2}};
  rt.block_on([]() -> task<> {
    goro::ticker tk(1ms);
    co_await goro::sleep_for(30ms);  // ~30 periods, nobody reading
    int waiting = 0;
    while (tk.c().try_recv().has_value()) ++waiting;
    // One tick waited; a second may land while this loop drains.
    EXPECT_GE(waiting, 1);
    EXPECT_LE(waiting, 2) << "ticks queued up instead of being dropped";
    // The next tick comes within about a period, not at once in a burst.
    const auto t0 = clk::now();
    co_await tk.c().recv();
    co_await tk.c().recv();
    EXPECT_GE(since(t0), 1ms);
  });
}

TEST(Ticker, NonPositivePeriodsAreErrorsWithGosWords) {
  goro::runtime rt{goro::options{.procs = 1}};
  rt.block_on([]() -> task<> {
    for (std::chrono::nanoseconds d :
         {std::chrono::nanoseconds(0), std::chrono::nanoseconds(-5ms)}) {
      try {
        goro::ticker tk(d);
        ADD_FAILURE() << "ticker(" << d.count() << ") did not throw";
      } catch (const std::invalid_argument& e) {
        EXPECT_STREQ(e.what(), "non-positive interval for NewTicker");
      }
    }
    goro::ticker tk(1h);
    try {
      tk.reset(0s);
      ADD_FAILURE() << "reset(0) did not throw";
    } catch (const std::invalid_argument& e) {
      EXPECT_STREQ(e.what(), "non-positive interval for Ticker.Reset");
    }
    tk.reset(1ms);
    auto v = co_await tk.c().recv();
    EXPECT_TRUE(v.has_value());
  });
}

// ================================================ poller without pwait2

// Makes epoll_pwait2 fail with `err` in this process (a kernel before 5.11
// answers ENOSYS; a seccomp profile older than the call answers EPERM).
void refuse_epoll_pwait2(int err) {
  sock_filter f[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 441 /* epoll_pwait2 */, 0, 1),
      BPF_STMT(
          BPF_RET | BPF_K,
          SECCOMP_RET_ERRNO | (static_cast<unsigned>(err) & SECCOMP_RET_DATA)),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  sock_fprog prog{sizeof f / sizeof f[0], f};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
      prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) {
    std::perror("seccomp");
    std::exit(2);
  }
}

// Sleeps through the fallback (epoll_wait, whole milliseconds rounded up)
// and exits 0 if nothing woke early.
void sleep_without_pwait2(int err) {
  refuse_epoll_pwait2(err);
  goro::runtime rt{goro::options{.procs = 1}};
  bool early = false;
  rt.block_on([&]() -> task<> {
    for (auto d : {100us, 1500us, 3000us}) {
      const auto t0 = clk::now();
      co_await goro::sleep_for(d);
      early |= since(t0) < d;
    }
  });
  std::exit(early ? 1 : 0);
}

class PollerFallback : public ::testing::Test {
 protected:
  void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
};

TEST_F(PollerFallback, WithoutEpollPwait2SleepsStillWork) {
  EXPECT_EXIT(sleep_without_pwait2(ENOSYS), ::testing::ExitedWithCode(0), "");
  EXPECT_EXIT(sleep_without_pwait2(EPERM), ::testing::ExitedWithCode(0), "");
}

// ============================================================ teardown

TEST(TimerTeardown, ArmedTimersSleepersAndTickersAreReleased) {
  goro_test::counted::reset();
  std::atomic<int> parked{0};
  {
    goro::runtime rt{goro::options{.procs = 2}};
    for (int i = 0; i < 50; ++i) {
      rt.go([&]() -> task<> {
        goro_test::counted k;
        parked.fetch_add(1);
        co_await goro::sleep_for(1h);
        ADD_FAILURE() << "an hour passed";
      });
      rt.go([&]() -> task<> {
        goro_test::counted k;
        goro::timer t(1h);
        goro::ticker tk(1h);
        auto a = goro::after(1h);
        auto f =
            goro::after_func(1h, [] { ADD_FAILURE() << "after_func ran"; });
        parked.fetch_add(1);
        co_await t.c().recv();
        ADD_FAILURE() << "an hour passed";
      });
    }
    wait_until([&] { return parked.load() == 100; });
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(goro_test::counted::live.load(), 0);
  // ASan's leak check covers the timer states.
}

}  // namespace
