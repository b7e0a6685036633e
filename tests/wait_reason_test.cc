// Every park records what the G waits for (core/internal/wait_reason.h)
// and when it parked (g::wait_since): what the goroutine dump and the
// deadlock report of a later issue print. White box: the test reads the
// parked G's record from another G of the same one-P runtime, which runs
// after the park on the same M (ordered by the run queue in any case).
#include "goro/core/internal/wait_reason.h"

#include <atomic>
#include <chrono>
#include <string>

#include "goro/core/internal/g.h"
#include "goro/goro.h"
#include "goro/runtime/internal/machine.h"
#include "gtest/gtest.h"

namespace {

using goro::task;
using goro::internal::g;
using goro::internal::wait_reason;
using goro::internal::wait_reason_string;

TEST(WaitReason, GoStrings) {
  EXPECT_STREQ(wait_reason_string(wait_reason::none), "running");
  EXPECT_STREQ(wait_reason_string(wait_reason::chan_receive), "chan receive");
  EXPECT_STREQ(wait_reason_string(wait_reason::chan_send), "chan send");
  EXPECT_STREQ(wait_reason_string(wait_reason::chan_receive_nil),
               "chan receive (nil chan)");
  EXPECT_STREQ(wait_reason_string(wait_reason::chan_send_nil),
               "chan send (nil chan)");
  EXPECT_STREQ(wait_reason_string(wait_reason::select), "select");
  EXPECT_STREQ(wait_reason_string(wait_reason::select_no_cases),
               "select (no cases)");
  EXPECT_STREQ(wait_reason_string(wait_reason::sync_mutex_lock),
               "sync.Mutex.Lock");
  EXPECT_STREQ(wait_reason_string(wait_reason::sync_rwmutex_lock),
               "sync.RWMutex.Lock");
  EXPECT_STREQ(wait_reason_string(wait_reason::sync_rwmutex_rlock),
               "sync.RWMutex.RLock");
  EXPECT_STREQ(wait_reason_string(wait_reason::sync_wait_group_wait),
               "sync.WaitGroup.Wait");
  EXPECT_STREQ(wait_reason_string(wait_reason::sync_cond_wait),
               "sync.Cond.Wait");
  EXPECT_STREQ(wait_reason_string(wait_reason::semacquire), "semacquire");
  EXPECT_STREQ(wait_reason_string(wait_reason::sleep), "sleep");
  EXPECT_STREQ(wait_reason_string(wait_reason::join), "join");
  EXPECT_STREQ(wait_reason_string(wait_reason::yield), "yield");
}

// Parks a G with `wait` (which records the G first), then checks from the
// main G that the parked G's record names `want` and a park time; `release`
// ends the wait.
template <class Wait, class Release>
task<void> expect_parked_with(wait_reason want, Wait wait, Release release) {
  std::atomic<g*> parked{nullptr};
  auto h = goro::co_spawn(
      [](Wait wait, std::atomic<g*>* parked) -> task<void> {
        parked->store(goro::internal::current_g());
        co_await wait();
      },
      wait, &parked);
  // One P: the spawned G runs (and parks) while this G yields.
  for (int i = 0; i < 100 && parked.load() == nullptr; ++i) {
    co_await goro::yield();
  }
  co_await goro::yield();
  g* gp = parked.load();
  EXPECT_NE(gp, nullptr);
  if (gp != nullptr) {
    EXPECT_STREQ(wait_reason_string(gp->reason), wait_reason_string(want));
    EXPECT_GT(gp->wait_since, 0);
  }
  co_await release();
  co_await h;
}

TEST(WaitReason, EachWaitRecordsWhatItWaitsFor) {
  goro::runtime rt{goro::options{.procs = 1}};
  rt.block_on([]() -> task<void> {
    // Each lambda is a named local, never a temporary inside the co_await
    // expression: g++ 12 can destroy such temporaries twice (PR100611),
    // which would release the channels they hold twice.
    auto ch = goro::make_chan<int>();
    auto recv_ch = [ch]() -> task<void> { (void)co_await ch.recv(); };
    auto send_ch = [ch]() -> task<void> { co_await ch.send(1); };
    co_await expect_parked_with(wait_reason::chan_receive, recv_ch, send_ch);
    co_await expect_parked_with(wait_reason::chan_send, send_ch, recv_ch);

    auto other = goro::make_chan<int>();
    auto select_both = [ch, other]() -> task<void> {
      (void)co_await goro::select(ch.recv_case(), other.recv_case());
    };
    co_await expect_parked_with(wait_reason::select, select_both, send_ch);

    goro::mutex mu;
    co_await mu.lock();
    auto lock_mu = [&mu]() -> task<void> {
      co_await mu.lock();
      mu.unlock();
    };
    auto unlock_mu = [&mu]() -> task<void> {
      mu.unlock();
      co_return;
    };
    co_await expect_parked_with(wait_reason::sync_mutex_lock, lock_mu,
                                unlock_mu);

    goro::wait_group wg;
    wg.add(1);
    auto wait_wg = [&wg]() -> task<void> { co_await wg.wait(); };
    auto done_wg = [&wg]() -> task<void> {
      wg.done();
      co_return;
    };
    co_await expect_parked_with(wait_reason::sync_wait_group_wait, wait_wg,
                                done_wg);

    auto sleep = []() -> task<void> {
      co_await goro::sleep_for(std::chrono::milliseconds(20));
    };
    auto nothing = []() -> task<void> { co_return; };
    co_await expect_parked_with(wait_reason::sleep, sleep, nothing);

    auto join_child = [ch]() -> task<void> {
      auto child = goro::co_spawn(
          [](goro::chan<int> c) -> task<void> { (void)co_await c.recv(); }, ch);
      co_await child;
    };
    co_await expect_parked_with(wait_reason::join, join_child, send_ch);
  });
}

}  // namespace
