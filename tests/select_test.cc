// goro::select: every line of the select semantics in chan/README.md
// (Go's) and the contract of chan/select.h. Ports of
// runtime/chan_test.go (TestSelectFairness, TestPseudoRandomSend,
// TestSelfSelect, TestSelectDuplicateChannel, TestNonblockRecvRace,
// TestNonblockSelectRace{,2}, TestChanSendInterface) and test/chan/
// (select.go, select3.go, select6.go, select7.go, select8.go).
//
// As in chan_test.cc: with procs = 1, until_parked() returns once the Gs that
// announced themselves are parked in their operation; "still blocked" checks
// wait a short bounded time and cannot fail because the machine is slow.
#include "goro/chan/select.h"

#include <algorithm>
#include <any>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "goro/goro.h"
#include "gtest/gtest.h"
#include "tests/chan_test_util.h"
#include "tests/test_util.h"

namespace {

using goro::chan;
using goro::default_case;
using goro::make_chan;
using goro::task;
using goro_test::counted;
using goro_test::eager;
using goro_test::kCloseOfClosed;
using goro_test::kSendOnClosed;
using goro_test::kStillBlocked;
using goro_test::scaled;
using goro_test::wait_until;

// procs = 1 only: yields until *n >= want (see chan_test.cc).
task<void> until_parked(std::atomic<int>* n, int want) {
  while (n->load() < want) co_await goro::yield();
}

task<std::optional<int>> recv_once(chan<int> ch, std::atomic<int>* parked) {
  parked->fetch_add(1);
  co_return co_await ch.recv();
}

// No case of `ch` has a stale waiter: nobody takes a value, nobody offers
// one (for an unbuffered channel with no other party).
void expect_no_waiters(const chan<int>& ch, const char* name) {
  EXPECT_FALSE(ch.try_send(-12345)) << name << " has a stale receiver";
  EXPECT_FALSE(ch.try_recv().has_value()) << name << " has a stale sender";
}

// ============================================================ basics

TEST(Select, ReadyCaseFires) {
  goro::runtime rt{goro::options{.procs = 1}};
  rt.block_on([]() -> task<> {
    auto a = make_chan<int>(1);
    auto b = make_chan<std::string>(1);
    co_await a.send(5);
    auto r = co_await goro::select(a.recv_case(), b.recv_case());
    EXPECT_EQ(r.index(), 0u);
    EXPECT_EQ(r.value<0>(), std::optional<int>(5));
    EXPECT_EQ(a.len(), 0u);

    auto r2 = co_await goro::select(a.recv_case(), b.send_case("hi"));
    EXPECT_EQ(r2.index(), 1u);  // the send had room; a had nothing
    EXPECT_EQ(b.try_recv(), std::optional<std::string>("hi"));
  });
}

TEST(Select, DefaultFiresOnlyWhenNoCaseIsReady) {
  goro::runtime rt{goro::options{.procs = 1}};
  rt.block_on([]() -> task<> {
    auto a = make_chan<int>();
    auto b = make_chan<int>(1);
    auto full = make_chan<int>(1);
    co_await full.send(1);
    // Nothing ready: default, and nothing changed.
    auto r =
        co_await goro::select(a.recv_case(), b.recv_case(), full.send_case(2),
                              a.send_case(3), default_case());
    EXPECT_EQ(r.index(), 4u);
    EXPECT_EQ(full.len(), 1u);
    EXPECT_EQ(b.len(), 0u);
    EXPECT_EQ(full.try_recv(), std::optional<int>(1));
    // Only a default.
    EXPECT_EQ((co_await goro::select(default_case())).index(), 0u);
    // Exactly one case ready, rotating: never the default.
    auto c = make_chan<int>(1);
    co_await full.send(0);  // full again
    for (int i = 0; i < 3000; ++i) {
      const int which = i % 3;
      if (which == 0) {
        EXPECT_TRUE(b.try_send(i));
      }
      if (which == 1) {
        EXPECT_TRUE(c.try_send(i));
      }
      if (which == 2) {
        EXPECT_TRUE(full.try_recv().has_value());  // room for one
      }
      auto s = co_await goro::select(b.recv_case(), c.recv_case(),
                                     full.send_case(i), default_case());
      EXPECT_EQ(s.index(), static_cast<std::size_t>(which))
          << "iteration " << i;
      EXPECT_EQ(b.len() + c.len(), 0u);
      EXPECT_EQ(full.len(), 1u);
    }
    // Default may come first in the argument list; the index counts it.
    EXPECT_EQ((co_await goro::select(default_case(), b.recv_case())).index(),
              0u);
    EXPECT_TRUE(b.try_send(1));
    auto d = co_await goro::select(default_case(), b.recv_case());
    EXPECT_EQ(d.index(), 1u);
    EXPECT_EQ(d.value<1>(), std::optional<int>(1));
  });
}

// select8.go: break-like early exits from each form are fine; here: a
// single-case blocking select, a default-only select, and a select whose
// send and receive on one channel race with a sender G.
TEST(Select, Select8SingleCaseForms) {
  goro::runtime rt{goro::options{.procs = 2}};
  rt.block_on([]() -> task<> {
    auto ch = make_chan<int>();
    auto stop = make_chan<int>();
    auto h = goro::co_spawn(
        [](chan<int> ch, chan<int> stop) -> task<> {
          for (;;) {
            auto r = co_await goro::select(ch.send_case(5), stop.recv_case());
            if (r.index() == 1) co_return;
          }
        },
        ch, stop);
    auto r1 = co_await goro::select(ch.recv_case());
    EXPECT_EQ(r1.value<0>(), std::optional<int>(5));
    EXPECT_EQ((co_await goro::select(default_case())).index(), 0u);
    auto r3 = co_await goro::select(ch.recv_case(), default_case());
    if (r3.index() == 0) {
      EXPECT_EQ(r3.value<0>(), std::optional<int>(5));
    }
    auto r4 =
        co_await goro::select(ch.recv_case(), ch.send_case(10), default_case());
    // The sender G only sends, so the send case cannot fire.
    EXPECT_NE(r4.index(), 1u);
    stop.close();
    co_await h;
  });
}

// ============================================================ uniform choice

// runtime/chan_test.go TestSelectFairness: two always-ready cases (plus two
// never-ready ones) are each chosen half the time.
TEST(Select, GoTestSelectFairness) {
  goro::runtime rt{goro::options{.procs = 2}};
  constexpr int kTrials = 10000;
  auto [cnt1, cnt2] = rt.block_on([]() -> task<std::pair<int, int>> {
    auto c1 = make_chan<char>(kTrials + 1);
    auto c2 = make_chan<char>(kTrials + 1);
    for (int i = 0; i < kTrials + 1; ++i) {
      co_await c1.send(1);
      co_await c2.send(2);
    }
    auto c3 = make_chan<char>();
    auto c4 = make_chan<char>();
    auto out = make_chan<char>();
    auto done = make_chan<char>();
    auto h = goro::co_spawn(
        [](chan<char> c1, chan<char> c2, chan<char> c3, chan<char> c4,
           chan<char> out, chan<char> done) -> task<> {
          for (;;) {
            auto r = co_await goro::select(c3.recv_case(), c4.recv_case(),
                                           c1.recv_case(), c2.recv_case());
            char b = 0;
            switch (r.index()) {
              case 0:
                b = *r.value<0>();
                break;
              case 1:
                b = *r.value<1>();
                break;
              case 2:
                b = *r.value<2>();
                break;
              case 3:
                b = *r.value<3>();
                break;
            }
            auto s = co_await goro::select(out.send_case(b), done.recv_case());
            if (s.index() == 1) co_return;
          }
        },
        c1, c2, c3, c4, out, done);
    int n1 = 0, n2 = 0;
    for (int i = 0; i < kTrials; ++i) {
      auto b = co_await out.recv();
      if (b == std::optional<char>(1)) {
        ++n1;
      } else if (b == std::optional<char>(2)) {
        ++n2;
      } else {
        ADD_FAILURE() << "unexpected value";
      }
    }
    done.close();
    co_await h;
    co_return std::pair<int, int>{n1, n2};
  });
  EXPECT_EQ(cnt1 + cnt2, kTrials);
  // Six nines: 4.891676 / (2 * sqrt(trials)), as in Go's test.
  const double r = static_cast<double>(cnt1) / kTrials;
  EXPECT_LE(std::abs(r - 0.5), 4.891676 / (2 * std::sqrt(double{kTrials})))
      << "unfair select: " << cnt1 << " vs " << cnt2;
}

template <std::size_t N, std::size_t... I>
auto select_recv_all(std::array<chan<int>, N>& chs, std::index_sequence<I...>) {
  return goro::select(chs[I].recv_case()...);
}

// N always-ready receive cases: each is chosen 1/N of the time (each count
// within 6 standard deviations), including N > 20, where one 64-bit random
// number no longer covers the permutation.
template <std::size_t N>
void check_uniform_among(int per_case) {
  goro::runtime rt{goro::options{.procs = 1}};
  const int trials = per_case * static_cast<int>(N);
  std::vector<int> counts = rt.block_on([trials]() -> task<std::vector<int>> {
    std::array<chan<int>, N> chs;
    for (std::size_t i = 0; i < N; ++i) {
      chs[i] = make_chan<int>(1);
      co_await chs[i].send(static_cast<int>(i));
    }
    std::vector<int> n(N, 0);
    for (int t = 0; t < trials; ++t) {
      auto r = co_await select_recv_all(chs, std::make_index_sequence<N>{});
      const std::size_t k = r.index();
      ++n[k];
      EXPECT_EQ(chs[k].len(), 0u);
      co_await chs[k].send(static_cast<int>(k));  // ready again
    }
    co_return n;
  });
  const double p = 1.0 / N;
  const double mean = trials * p;
  const double sd = std::sqrt(trials * p * (1 - p));
  for (std::size_t k = 0; k < N; ++k) {
    EXPECT_NEAR(counts[k], mean, 6 * sd) << "case " << k << " of " << N;
  }
}

TEST(Select, UniformAmongThreeReadyCases) { check_uniform_among<3>(5000); }
TEST(Select, UniformAmongEightReadyCases) { check_uniform_among<8>(3000); }
TEST(Select, UniformAmongTwentyFiveReadyCases) {
  check_uniform_among<25>(1500);
}

// Ready send and receive cases mixed: both kinds are chosen alike.
TEST(Select, UniformAmongMixedSendAndReceiveCases) {
  goro::runtime rt{goro::options{.procs = 1}};
  constexpr int kTrials = 20000;
  std::array<int, 4> n = rt.block_on([]() -> task<std::array<int, 4>> {
    auto in1 = make_chan<int>(1), in2 = make_chan<int>(1);
    auto out1 = make_chan<int>(1), out2 = make_chan<int>(1);
    co_await in1.send(0);
    co_await in2.send(0);
    std::array<int, 4> counts{};
    for (int t = 0; t < kTrials; ++t) {
      auto r = co_await goro::select(in1.recv_case(), out1.send_case(1),
                                     in2.recv_case(), out2.send_case(2));
      ++counts[r.index()];
      switch (r.index()) {  // make it ready again
        case 0:
          co_await in1.send(0);
          break;
        case 1:
          (void)co_await out1.recv();
          break;
        case 2:
          co_await in2.send(0);
          break;
        case 3:
          (void)co_await out2.recv();
          break;
      }
    }
    co_return counts;
  });
  const double mean = kTrials / 4.0;
  const double sd = std::sqrt(kTrials * 0.25 * 0.75);
  for (int k = 0; k < 4; ++k) EXPECT_NEAR(n[k], mean, 6 * sd) << "case " << k;
}

// runtime/chan_test.go TestPseudoRandomSend: a select with two send cases on
// one channel sends both values, whether the receiver is already waiting
// (buffered channel) or arrives while the select waits (unbuffered).
TEST(Select, GoTestPseudoRandomSend) {
  goro::runtime rt{goro::options{.procs = 2}};
  constexpr int kN = 100;
  for (int cap : {0, kN}) {
    auto l = rt.block_on([cap]() -> task<std::vector<int>> {
      auto c = make_chan<int>(cap);
      auto h = goro::co_spawn(
          [](chan<int> c) -> task<std::vector<int>> {
            std::vector<int> got;
            for (int i = 0; i < kN; ++i) {
              co_await goro::yield();
              got.push_back((co_await c.recv()).value_or(-1));
            }
            co_return got;
          },
          c);
      for (int i = 0; i < kN; ++i) {
        (void)co_await goro::select(c.send_case(1), c.send_case(0));
      }
      co_return co_await h;
    });
    int n0 = 0, n1 = 0;
    for (int v : l) {
      n0 += (v + 1) % 2;
      n1 += v;
    }
    EXPECT_GT(n0, kN / 10) << "want pseudorandom, got " << n0 << " zeros and "
                           << n1 << " ones (chan cap " << cap << ")";
    EXPECT_GT(n1, kN / 10) << "want pseudorandom, got " << n0 << " zeros and "
                           << n1 << " ones (chan cap " << cap << ")";
  }
}

// The minimal form of the unbuffered half of the test above: a select waits
// with two cases on one channel; one peer operation could complete either,
// and each should be chosen about half the time (Go randomizes the order in
// which a waiting select's cases are queued on one channel: select.go,
// "Start with the pollorder to permute cases on the same channel").
TEST(Select, WaitingSelectChoosesRandomlyAmongCasesOnOneChannel) {
  goro::runtime rt{goro::options{.procs = 1}};
  constexpr int kTrials = 200;
  auto counts = rt.block_on([]() -> task<std::array<int, 4>> {
    std::array<int, 4> n{};
    auto c = make_chan<int>();
    std::atomic<int> parked{0};
    for (int t = 0; t < kTrials; ++t) {
      auto h = goro::co_spawn(
          [](chan<int> c, std::atomic<int>* parked) -> task<std::size_t> {
            parked->fetch_add(1);
            auto r = co_await goro::select(c.recv_case(), c.recv_case());
            co_return r.index();
          },
          c, &parked);
      co_await until_parked(&parked, 2 * t + 1);
      EXPECT_TRUE(c.try_send(1));
      ++n[co_await h];

      auto s = goro::co_spawn(
          [](chan<int> c, std::atomic<int>* parked) -> task<int> {
            parked->fetch_add(1);
            (void)co_await goro::select(c.send_case(2), c.send_case(3));
            co_return 0;
          },
          c, &parked);
      co_await until_parked(&parked, 2 * t + 2);
      auto v = c.try_recv();
      EXPECT_TRUE(v.has_value());
      ++n[v.value_or(2)];
      co_await s;
    }
    co_return n;
  });
  // Binomial(200, 1/2): fewer than 20 happens with probability < 1e-25.
  EXPECT_GT(counts[0], kTrials / 10)
      << "receive cases: " << counts[0] << "/" << counts[1];
  EXPECT_GT(counts[1], kTrials / 10)
      << "receive cases: " << counts[0] << "/" << counts[1];
  EXPECT_GT(counts[2], kTrials / 10)
      << "send cases: " << counts[2] << "/" << counts[3];
  EXPECT_GT(counts[3], kTrials / 10)
      << "send cases: " << counts[2] << "/" << counts[3];
}

// ============================================================ nil cases

TEST(Select, NilCasesNeverFire) {
  goro::runtime rt{goro::options{.procs = 2}};
  rt.block_on([]() -> task<> {
    chan<int> nil;
    auto ready = make_chan<int>(1);
    for (int i = 0; i < 1000; ++i) {
      auto r = co_await goro::select(nil.recv_case(), nil.send_case(i),
                                     default_case());
      EXPECT_EQ(r.index(), 2u);
      co_await ready.send(i);
      auto s = co_await goro::select(nil.recv_case(), ready.recv_case(),
                                     nil.send_case(i));
      EXPECT_EQ(s.index(), 1u);
      EXPECT_EQ(s.value<1>(), std::optional<int>(i));
    }
    // Waiting on nil cases and one real case: only the real one fires.
    auto later = make_chan<int>();
    goro::go(
        [](chan<int> later) -> task<> {
          for (int k = 0; k < 5; ++k) co_await goro::yield();
          co_await later.send(77);
        },
        later);
    auto w = co_await goro::select(nil.send_case(1), nil.recv_case(),
                                   later.recv_case());
    EXPECT_EQ(w.index(), 2u);
    EXPECT_EQ(w.value<2>(), std::optional<int>(77));
  });
}

// A select of only nil cases blocks forever (Go's block()); the runtime's
// teardown destroys those Gs and the values in their send cases.
TEST(Select, AllNilSelectBlocksForever) {
  counted::reset();
  std::atomic<int> started{0};
  std::atomic<int> resumed{0};
  {
    goro::runtime rt{goro::options{.procs = 2}};
    rt.go(
        [](std::atomic<int>* started, std::atomic<int>* resumed) -> task<> {
          counted local(2);
          chan<counted> nil;
          started->fetch_add(1);
          (void)co_await goro::select(nil.recv_case());
          resumed->fetch_add(1);
        },
        &started, &resumed);
    rt.go(
        [](std::atomic<int>* started, std::atomic<int>* resumed) -> task<> {
          chan<counted> nil;
          chan<int> nil2;
          started->fetch_add(1);
          (void)co_await goro::select(nil.send_case(counted(3)),
                                      nil2.recv_case(), nil2.send_case(4));
          resumed->fetch_add(1);
        },
        &started, &resumed);
    wait_until([&] { return started.load() == 2; });
    std::this_thread::sleep_for(kStillBlocked);
    EXPECT_EQ(resumed.load(), 0);
    EXPECT_GE(counted::live.load(), 2);
  }
  EXPECT_EQ(resumed.load(), 0);
  EXPECT_EQ(counted::live.load(), 0);
  EXPECT_EQ(counted::destroyed.load(), counted::constructed.load());
}

// Go's `select {}`: goro::select() with no case at all waits forever
// (Go's block()); the runtime's teardown destroys the G.
TEST(Select, EmptySelectBlocksForever) {
  counted::reset();
  std::atomic<int> started{0};
  std::atomic<int> resumed{0};
  {
    goro::runtime rt{goro::options{.procs = 2}};
    rt.go(
        [](std::atomic<int>* started, std::atomic<int>* resumed) -> task<> {
          counted local(1);
          started->fetch_add(1);
          (void)co_await goro::select();
          resumed->fetch_add(1);
        },
        &started, &resumed);
    wait_until([&] { return started.load() == 1; });
    std::this_thread::sleep_for(kStillBlocked);
    EXPECT_EQ(resumed.load(), 0);
    EXPECT_EQ(counted::live.load(), 1);
  }
  EXPECT_EQ(resumed.load(), 0);
  EXPECT_EQ(counted::live.load(), 0);
}

// ============================================================ same channel

// runtime/chan_test.go TestSelectDuplicateChannel: a G queued twice on one
// channel (and once on another) is woken through the other one; the channel
// it was queued on twice must still serve its next waiter correctly.
TEST(Select, GoTestSelectDuplicateChannel) {
  goro::runtime rt{goro::options{.procs = 1}};
  rt.block_on([]() -> task<> {
    auto c = make_chan<int>();
    auto d = make_chan<int>();
    auto e = make_chan<int>();
    std::atomic<int> parked{0};
    goro::go(
        [](chan<int> c, chan<int> d, chan<int> e,
           std::atomic<int>* parked) -> task<> {
          parked->fetch_add(1);
          auto r = co_await goro::select(c.recv_case(), c.recv_case(),
                                         d.recv_case());
          EXPECT_EQ(r.index(), 2u);
          co_await e.send(9);
        },
        c, d, e, &parked);
    co_await until_parked(&parked, 1);  // A is queued on c first
    auto b = goro::co_spawn(recv_once, c, &parked);
    co_await until_parked(&parked, 2);  // then B
    co_await d.send(7);                 // wakes A, which leaves c
    EXPECT_EQ(co_await e.recv(), std::optional<int>(9));
    co_await c.send(8);  // must reach B
    EXPECT_EQ(co_await b, std::optional<int>(8));
    expect_no_waiters(c, "c");
  });
}

TEST(Select, SameChannelInSeveralCasesFiresOnce) {
  goro::runtime rt{goro::options{.procs = 1}};
  rt.block_on([]() -> task<> {
    auto c = make_chan<int>(4);
    for (int i = 0; i < 1000; ++i) {
      co_await c.send(i);
      auto r =
          co_await goro::select(c.recv_case(), c.recv_case(), c.recv_case());
      EXPECT_LT(r.index(), 3u);
      EXPECT_EQ(c.len(), 0u);  // one value taken, once
      std::optional<int> got;
      if (r.index() == 0) got = r.value<0>();
      if (r.index() == 1) got = r.value<1>();
      if (r.index() == 2) got = r.value<2>();
      EXPECT_EQ(got, std::optional<int>(i));
    }
    // Two send cases on one channel with room for one: exactly one value.
    auto one = make_chan<int>(1);
    auto r = co_await goro::select(one.send_case(1), one.send_case(2));
    EXPECT_EQ(one.len(), 1u);
    EXPECT_EQ(one.try_recv(), std::optional<int>(r.index() == 0 ? 1 : 2));
  });
}

// select3.go "select should not get confused if it sees itself": a send and
// a receive on one unbuffered channel in one select never pair with each
// other; with a default the default fires, without one the select waits.
TEST(Select, SendAndReceiveOnOneChannelNeverPair) {
  goro::runtime rt{goro::options{.procs = 1}};
  rt.block_on([]() -> task<> {
    auto c = make_chan<int>();
    for (int i = 0; i < 1000; ++i) {
      auto r =
          co_await goro::select(c.send_case(i), c.recv_case(), default_case());
      EXPECT_EQ(r.index(), 2u);
    }
    expect_no_waiters(c, "c");

    std::atomic<int> parked{0};
    for (int round = 0; round < 2; ++round) {
      auto h = goro::co_spawn(
          [](chan<int> c,
             std::atomic<int>* parked) -> task<std::pair<std::size_t, int>> {
            parked->fetch_add(1);
            auto r = co_await goro::select(c.send_case(1), c.recv_case());
            co_return std::pair<std::size_t, int>{
                r.index(), r.index() == 1 ? r.value<1>().value_or(-1) : 0};
          },
          c, &parked);
      co_await until_parked(&parked, round + 1);
      for (int k = 0; k < 20; ++k) co_await goro::yield();
      EXPECT_FALSE(h.done()) << "a select paired its own send and receive";
      if (round == 0) {
        EXPECT_EQ(c.try_recv(), std::optional<int>(1));  // takes the send case
        EXPECT_EQ(co_await h, (std::pair<std::size_t, int>{0, 0}));
      } else {
        EXPECT_TRUE(c.try_send(5));  // feeds the receive case
        EXPECT_EQ(co_await h, (std::pair<std::size_t, int>{1, 5}));
      }
      expect_no_waiters(c, "c");
    }
  });
}

TEST(Select, SendAndReceiveOnOneChannelStayBlockedWithoutAPeer) {
  std::atomic<int> stage{0};
  goro::runtime rt{goro::options{.procs = 2}};
  auto c = make_chan<int>();
  rt.go(
      [](chan<int> c, std::atomic<int>* stage) -> task<> {
        stage->store(1);
        (void)co_await goro::select(c.send_case(1), c.recv_case());
        stage->store(2);
      },
      c, &stage);
  wait_until([&] { return stage.load() == 1; });
  std::this_thread::sleep_for(kStillBlocked);
  EXPECT_EQ(stage.load(), 1);
  EXPECT_EQ(c.recv_blocking(), std::optional<int>(1));
  wait_until([&] { return stage.load() == 2; });
}

// runtime/chan_test.go TestSelfSelect: two Gs each select a send and a
// receive on one channel, in both orders; nothing deadlocks, and on an
// unbuffered channel no G ever receives its own value.
TEST(Select, GoTestSelfSelect) {
  goro::runtime rt{goro::options{.procs = 2}};
  for (int cap : {0, 10}) {
    int self = rt.block_on([cap]() -> task<int> {
      auto c = make_chan<int>(cap);
      std::vector<goro::join_handle<int>> hs;
      for (int p = 0; p < 2; ++p) {
        hs.push_back(goro::co_spawn(
            [](chan<int> c, int p, int cap) -> task<int> {
              int self_received = 0;
              for (int i = 0; i < 1000; ++i) {
                std::optional<int> got;
                if (p == 0 || i % 2 == 0) {
                  auto r = co_await goro::select(c.send_case(p), c.recv_case());
                  if (r.index() == 1) got = r.value<1>();
                } else {
                  auto r = co_await goro::select(c.recv_case(), c.send_case(p));
                  if (r.index() == 0) got = r.value<0>();
                }
                if (cap == 0 && got == std::optional<int>(p)) ++self_received;
              }
              co_return self_received;
            },
            c, p, cap));
      }
      int n = 0;
      for (auto& h : hs) n += co_await h;
      co_return n;
    });
    EXPECT_EQ(self, 0) << "self receive, cap " << cap;
  }
}

// ============================================================ closed channels

TEST(Select, ReceiveCaseOnClosedChannelIsAlwaysReady) {
  goro::runtime rt{goro::options{.procs = 1}};
  rt.block_on([]() -> task<> {
    auto closed = make_chan<int>();
    closed.close();
    auto never = make_chan<int>();
    for (int i = 0; i < 500; ++i) {
      auto r = co_await goro::select(closed.recv_case());
      EXPECT_EQ(r.index(), 0u);
      EXPECT_FALSE(r.value<0>().has_value());
      auto s = co_await goro::select(never.recv_case(), closed.recv_case(),
                                     default_case());
      EXPECT_EQ(s.index(), 1u);
      EXPECT_FALSE(s.value<1>().has_value());
    }
    // Buffered: the values first, then empty.
    auto b = make_chan<int>(2);
    co_await b.send(10);
    co_await b.send(11);
    b.close();
    for (int want : {10, 11}) {
      auto r = co_await goro::select(b.recv_case(), default_case());
      EXPECT_EQ(r.index(), 0u);
      EXPECT_EQ(r.value<0>(), std::optional<int>(want));
    }
    auto r = co_await goro::select(b.recv_case(), default_case());
    EXPECT_EQ(r.index(), 0u);
    EXPECT_FALSE(r.value<0>().has_value());
  });
}

TEST(Select, SendCaseOnClosedChannelThrows) {
  counted::reset();
  {
    goro::runtime rt{goro::options{.procs = 1}};
    rt.block_on([]() -> task<> {
      auto closed = make_chan<int>(1);
      closed.close();
      chan<int> nil;
      auto never = make_chan<int>();
      EXPECT_CHANNEL_ERROR((void)co_await goro::select(closed.send_case(1)),
                           kSendOnClosed);
      EXPECT_CHANNEL_ERROR(
          (void)co_await goro::select(closed.send_case(1), default_case()),
          kSendOnClosed);
      EXPECT_CHANNEL_ERROR(
          (void)co_await goro::select(nil.recv_case(), never.recv_case(),
                                      closed.send_case(1)),
          kSendOnClosed);
      auto cc = make_chan<counted>();
      cc.close();
      EXPECT_CHANNEL_ERROR(
          (void)co_await goro::select(cc.send_case(counted(1))), kSendOnClosed);
      // The closed channel has nothing in it.
      auto r = closed.try_recv();
      EXPECT_FALSE(r.has_value());
      EXPECT_TRUE(r.closed());
    });
  }
  EXPECT_EQ(counted::live.load(), 0);  // the unsent value was destroyed
}

// With a ready receive case and a send case on a closed channel, the select
// throws iff its random scan reaches the send case first: both outcomes
// happen.
TEST(Select, ClosedSendCaseAndReadyCaseBothHappen) {
  goro::runtime rt{goro::options{.procs = 1}};
  constexpr int kTrials = 2000;
  auto [fired, threw] = rt.block_on([]() -> task<std::pair<int, int>> {
    auto closed = make_chan<int>();
    closed.close();
    auto ready = make_chan<int>(1);
    int f = 0, t = 0;
    for (int i = 0; i < kTrials; ++i) {
      if (ready.len() == 0) co_await ready.send(i);
      try {
        auto r = co_await goro::select(ready.recv_case(), closed.send_case(0));
        EXPECT_EQ(r.index(), 0u);
        ++f;
      } catch (const goro::channel_error& e) {
        EXPECT_STREQ(e.what(), kSendOnClosed);
        ++t;
      }
    }
    co_return std::pair<int, int>{f, t};
  });
  EXPECT_EQ(fired + threw, kTrials);
  EXPECT_GT(fired, kTrials / 4);
  EXPECT_GT(threw, kTrials / 4);
}

TEST(Select, ChannelClosedWhileSelectWaitsOnASendCaseThrows) {
  counted::reset();
  {
    goro::runtime rt{goro::options{.procs = 1}};
    rt.block_on([]() -> task<> {
      auto c = make_chan<counted>();
      auto d = make_chan<int>();
      std::atomic<int> parked{0};
      auto h = goro::co_spawn(
          [](chan<counted> c, chan<int> d,
             std::atomic<int>* parked) -> task<std::string> {
            parked->fetch_add(1);
            try {
              (void)co_await goro::select(c.send_case(counted(1)),
                                          d.recv_case());
            } catch (const goro::channel_error& e) {
              co_return e.what();
            }
            co_return "(no exception)";
          },
          c, d, &parked);
      co_await until_parked(&parked, 1);
      c.close();
      EXPECT_EQ(co_await h, kSendOnClosed);
      expect_no_waiters(d, "d");  // the losing case's record is gone
    });
  }
  EXPECT_EQ(counted::live.load(), 0);
  EXPECT_EQ(counted::destroyed.load(), counted::constructed.load());
}

TEST(Select, ChannelClosedWhileSelectWaitsOnAReceiveCaseFiresEmpty) {
  goro::runtime rt{goro::options{.procs = 1}};
  rt.block_on([]() -> task<> {
    auto c = make_chan<int>();
    auto d = make_chan<int>();
    std::atomic<int> parked{0};
    auto h = goro::co_spawn(
        [](chan<int> c, chan<int> d, std::atomic<int>* parked) -> task<int> {
          parked->fetch_add(1);
          auto r = co_await goro::select(d.recv_case(), c.recv_case());
          if (r.index() != 1) co_return -1;
          co_return r.value<1>().has_value() ? -2 : 1;
        },
        c, d, &parked);
    co_await until_parked(&parked, 1);
    c.close();
    EXPECT_EQ(co_await h, 1);
    expect_no_waiters(d, "d");
  });
}

// Close wakes a select waiting on two cases of the closed channel once.
TEST(Select, CloseWakesASelectWaitingTwiceOnTheChannelOnce) {
  goro::runtime rt{goro::options{.procs = 1}};
  rt.block_on([]() -> task<> {
    std::atomic<int> parked{0};
    for (int round = 0; round < 50; ++round) {
      auto c = make_chan<int>(), d = make_chan<int>();
      auto h = goro::co_spawn(
          [](chan<int> c, chan<int> d, std::atomic<int>* parked) -> task<int> {
            parked->fetch_add(1);
            auto r = co_await goro::select(c.recv_case(), d.recv_case(),
                                           c.recv_case());
            if (r.index() == 0) co_return r.value<0>().has_value() ? -1 : 0;
            if (r.index() == 2) co_return r.value<2>().has_value() ? -1 : 2;
            co_return -2;
          },
          c, d, &parked);
      co_await until_parked(&parked, 2 * round + 1);
      c.close();
      const int got = co_await h;
      EXPECT_TRUE(got == 0 || got == 2) << got;
      expect_no_waiters(d, "d");

      // A send and a receive case on the channel being closed: exactly one
      // outcome, either the receive case with nothing or the send's error.
      auto e = make_chan<int>();
      auto h2 = goro::co_spawn(
          [](chan<int> e, chan<int> d, std::atomic<int>* parked) -> task<int> {
            parked->fetch_add(1);
            try {
              auto r = co_await goro::select(e.send_case(1), d.recv_case(),
                                             e.recv_case());
              co_return r.index() == 2 && !r.value<2>().has_value() ? 1 : -1;
            } catch (const goro::channel_error& err) {
              co_return std::string(err.what()) == kSendOnClosed ? 2 : -2;
            }
          },
          e, d, &parked);
      co_await until_parked(&parked, 2 * round + 2);
      e.close();
      const int got2 = co_await h2;
      EXPECT_TRUE(got2 == 1 || got2 == 2) << got2;
      expect_no_waiters(d, "d");
    }
  });
}

// ============================================================ waking

TEST(Select, WaitingSelectWokenByASend) {
  goro::runtime rt{goro::options{.procs = 1}};
  rt.block_on([]() -> task<> {
    auto a = make_chan<int>(), b = make_chan<int>(), c = make_chan<int>(2);
    std::atomic<int> parked{0};
    auto h = goro::co_spawn(
        [](chan<int> a, chan<int> b, chan<int> c,
           std::atomic<int>* parked) -> task<std::pair<std::size_t, int>> {
          parked->fetch_add(1);
          auto r = co_await goro::select(a.recv_case(), b.recv_case(),
                                         c.recv_case());
          int v = r.index() == 1 ? r.value<1>().value_or(-1) : -2;
          co_return std::pair<std::size_t, int>{r.index(), v};
        },
        a, b, c, &parked);
    co_await until_parked(&parked, 1);
    co_await b.send(42);  // hands off to the waiting select
    EXPECT_EQ(co_await h, (std::pair<std::size_t, int>{1, 42}));
    expect_no_waiters(a, "a");
    EXPECT_TRUE(c.try_send(1));  // buffered, not taken by a stale record
    EXPECT_EQ(c.len(), 1u);
  });
}

TEST(Select, WaitingSelectWokenByAReceive) {
  goro::runtime rt{goro::options{.procs = 1}};
  rt.block_on([]() -> task<> {
    auto a = make_chan<int>(), b = make_chan<int>();
    std::atomic<int> parked{0};
    auto h = goro::co_spawn(
        [](chan<int> a, chan<int> b,
           std::atomic<int>* parked) -> task<std::size_t> {
          parked->fetch_add(1);
          auto r = co_await goro::select(a.send_case(1), b.send_case(2));
          co_return r.index();
        },
        a, b, &parked);
    co_await until_parked(&parked, 1);
    EXPECT_EQ(co_await b.recv(), std::optional<int>(2));
    EXPECT_EQ(co_await h, 1u);
    expect_no_waiters(a, "a");
    expect_no_waiters(b, "b");
  });
}

TEST(Select, WaitingSelectWokenByClose) {
  goro::runtime rt{goro::options{.procs = 1}};
  rt.block_on([]() -> task<> {
    auto a = make_chan<int>(), b = make_chan<int>();
    std::atomic<int> parked{0};
    auto h = goro::co_spawn(
        [](chan<int> a, chan<int> b, std::atomic<int>* parked) -> task<int> {
          parked->fetch_add(1);
          auto r = co_await goro::select(a.recv_case(), b.recv_case());
          co_return r.index() == 0 && !r.value<0>().has_value() ? 1 : -1;
        },
        a, b, &parked);
    co_await until_parked(&parked, 1);
    a.close();
    EXPECT_EQ(co_await h, 1);
    expect_no_waiters(b, "b");
  });
}

TEST(Select, WaitingSelectWokenByPlainThreads) {
  goro::runtime rt{goro::options{.procs = 2}};
  for (int round = 0; round < 50; ++round) {
    auto a = make_chan<int>(), b = make_chan<int>();
    auto h = rt.co_spawn(
        [](chan<int> a, chan<int> b) -> task<int> {
          auto r = co_await goro::select(a.recv_case(), b.send_case(5));
          if (r.index() == 0) co_return r.value<0>().value_or(-1);
          co_return 1000;
        },
        a, b);
    int got;
    if (round % 2 == 0) {
      a.send_blocking(round);
      got = rt.block_on(
          [](goro::join_handle<int> h) -> task<int> { co_return co_await h; },
          std::move(h));
      EXPECT_EQ(got, round);
    } else {
      EXPECT_EQ(b.recv_blocking(), std::optional<int>(5));
      got = rt.block_on(
          [](goro::join_handle<int> h) -> task<int> { co_return co_await h; },
          std::move(h));
      EXPECT_EQ(got, 1000);
    }
    expect_no_waiters(a, "a");
    expect_no_waiters(b, "b");
  }
}

// After a select fires, its records on the other channels are gone: later
// operations on those channels neither find a stale waiter nor lose a value
// to one.
TEST(Select, LosingCasesLeaveNoWaiters) {
  goro::runtime rt{goro::options{.procs = 2}};
  rt.block_on([]() -> task<> {
    for (int round = 0; round < 300; ++round) {
      auto a = make_chan<int>(), b = make_chan<int>(), c = make_chan<int>();
      auto h = goro::co_spawn(
          [](chan<int> a, chan<int> b, chan<int> c) -> task<std::size_t> {
            auto r = co_await goro::select(a.recv_case(), b.recv_case(),
                                           c.send_case(7));
            co_return r.index();
          },
          a, b, c);
      const int which = round % 3;
      if (which == 0) co_await a.send(1);
      if (which == 1) co_await b.send(2);
      if (which == 2) {
        EXPECT_EQ(co_await c.recv(), std::optional<int>(7));
      }
      EXPECT_EQ(co_await h, static_cast<std::size_t>(which));
      expect_no_waiters(a, "a");
      expect_no_waiters(b, "b");
      expect_no_waiters(c, "c");
      // A new waiter on a channel the select lost on gets the next value.
      auto r = goro::co_spawn(
          [](chan<int> a) -> task<std::optional<int>> {
            co_return co_await a.recv();
          },
          a);
      co_await a.send(100 + round);
      EXPECT_EQ(co_await r, std::optional<int>(100 + round));
    }
  });
}

// A receive from a full buffer completes a select waiting to send on it:
// the head comes out, the select's value goes to the tail, in one step.
TEST(Select, ReceiveFromFullBufferCompletesAWaitingSelectSend) {
  goro::runtime rt{goro::options{.procs = 1}};
  rt.block_on([]() -> task<> {
    auto c = make_chan<int>(2), d = make_chan<int>();
    co_await c.send(0);
    co_await c.send(1);
    std::atomic<int> parked{0};
    auto h = goro::co_spawn(
        [](chan<int> c, chan<int> d,
           std::atomic<int>* parked) -> task<std::size_t> {
          parked->fetch_add(1);
          auto r = co_await goro::select(d.send_case(6), c.send_case(5));
          co_return r.index();
        },
        c, d, &parked);
    co_await until_parked(&parked, 1);
    EXPECT_EQ(co_await c.recv(), std::optional<int>(0));
    EXPECT_EQ(c.len(), 2u);  // 1 and the select's 5
    EXPECT_EQ(co_await h, 1u);
    expect_no_waiters(d, "d");
    EXPECT_EQ(co_await c.recv(), std::optional<int>(1));
    EXPECT_EQ(co_await c.recv(), std::optional<int>(5));
  });
}

// Many selects wait on one channel: each value completes exactly one of
// them; close then wakes the rest.
TEST(Select, ManyWaitingSelectsEachValueFiresOne) {
  goro::runtime rt{goro::options{.procs = 2}};
  rt.block_on([]() -> task<> {
    constexpr int kSelects = 20;
    auto c = make_chan<int>();
    std::vector<chan<int>> others;
    std::vector<goro::join_handle<int>> hs;
    for (int i = 0; i < kSelects; ++i) {
      others.push_back(make_chan<int>());
      hs.push_back(goro::co_spawn(
          [](chan<int> c, chan<int> other) -> task<int> {
            auto r = co_await goro::select(other.recv_case(), c.recv_case());
            if (r.index() != 1) co_return -100;
            co_return r.value<1>().value_or(-1);
          },
          c, others.back()));
    }
    for (int v = 0; v < kSelects / 2; ++v) co_await c.send(v);
    c.close();
    std::vector<int> got;
    for (auto& h : hs) got.push_back(co_await h);
    std::sort(got.begin(), got.end());
    for (int i = 0; i < kSelects / 2; ++i) EXPECT_EQ(got[i], -1);  // closed
    for (int i = 0; i < kSelects / 2; ++i) EXPECT_EQ(got[kSelects / 2 + i], i);
    for (auto& o : others) expect_no_waiters(o, "other");
  });
}

// The runtime is destroyed while Gs wait in selects on channels that
// outlive it: the values of their send cases are destroyed once, and the
// channels keep no record of them (ASan would see a freed frame).
TEST(Select, RuntimeTornDownWhileSelectsWait) {
  counted::reset();
  auto a = make_chan<counted>();
  auto b = make_chan<counted>();
  auto full = make_chan<counted>(1);
  ASSERT_TRUE(full.try_send(counted(100)));
  std::atomic<int> started{0};
  {
    goro::runtime rt{goro::options{.procs = 2}};
    for (int i = 0; i < 4; ++i) {
      rt.go(
          [](chan<counted> a, chan<counted> b, chan<counted> full,
             std::atomic<int>* started, int i) -> task<> {
            started->fetch_add(1);
            (void)co_await goro::select(a.recv_case(), b.send_case(counted(i)),
                                        full.send_case(counted(10 + i)),
                                        a.recv_case());
            ADD_FAILURE() << "a select fired";
          },
          a, b, full, &started, i);
    }
    wait_until([&] { return started.load() == 4; });
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(counted::live.load(), 1);      // the buffered value only
  EXPECT_FALSE(a.try_send(counted(1)));    // no stale receiver
  EXPECT_FALSE(b.try_recv().has_value());  // no stale sender
  EXPECT_EQ(full.try_recv()->value, 100);
  EXPECT_FALSE(full.try_recv().has_value());  // no stale sender refilled it
  a.close();
  b.close();
  full.close();
  EXPECT_EQ(counted::live.load(), 0);
  EXPECT_EQ(counted::destroyed.load(), counted::constructed.load());
}

// Plain waiters queued behind a select's record are served in order once the
// select fired elsewhere.
TEST(Select, WaitersBehindAFiredSelectAreServedInOrder) {
  goro::runtime rt{goro::options{.procs = 1}};
  rt.block_on([]() -> task<> {
    auto c = make_chan<int>(), d = make_chan<int>();
    std::atomic<int> parked{0};
    auto r0 = goro::co_spawn(recv_once, c, &parked);
    co_await until_parked(&parked, 1);
    auto s = goro::co_spawn(
        [](chan<int> c, chan<int> d,
           std::atomic<int>* parked) -> task<std::size_t> {
          parked->fetch_add(1);
          auto r = co_await goro::select(c.recv_case(), d.recv_case());
          co_return r.index();
        },
        c, d, &parked);
    co_await until_parked(&parked, 2);
    auto r2 = goro::co_spawn(recv_once, c, &parked);
    co_await until_parked(&parked, 3);
    co_await d.send(0);  // fires the select through d
    co_await c.send(1);
    co_await c.send(2);
    EXPECT_EQ(co_await s, 1u);
    EXPECT_EQ(co_await r0, std::optional<int>(1));
    EXPECT_EQ(co_await r2, std::optional<int>(2));
    expect_no_waiters(c, "c");
  });
}

// select6.go (issue 2075): a select's failed cases must not corrupt the
// channel queues they were on.
TEST(Select, Select6FailedCasesKeepQueuesIntact) {
  goro::runtime rt{goro::options{.procs = 2}};
  for (int round = 0; round < 100; ++round) {
    rt.block_on([]() -> task<> {
      auto c1 = make_chan<bool>(), c2 = make_chan<bool>(),
           c3 = make_chan<bool>();
      auto g1 = goro::co_spawn(
          [](chan<bool> c1) -> task<> { (void)co_await c1.recv(); }, c1);
      auto g2 = goro::co_spawn(
          [](chan<bool> c1, chan<bool> c2, chan<bool> c3) -> task<bool> {
            auto r = co_await goro::select(c1.recv_case(), c2.recv_case());
            if (r.index() == 0) co_return false;  // Go: panic("dummy")
            co_await c3.send(true);
            (void)co_await c1.recv();
            co_return true;
          },
          c1, c2, c3);
      goro::go([](chan<bool> c2) -> task<> { co_await c2.send(true); }, c2);
      (void)co_await c3.recv();
      co_await c1.send(true);
      co_await c1.send(true);
      co_await g1;
      EXPECT_TRUE(co_await g2);
    });
  }
}

// select7.go: every pairing of a plain, single-case select and two-case
// select receive with a plain, single-case select and two-case select send.
TEST(Select, Select7ReceiveAndSendForms) {
  goro::runtime rt{goro::options{.procs = 2}};
  rt.block_on([]() -> task<> {
    for (int recv_form = 0; recv_form < 3; ++recv_form) {
      for (int send_form = 0; send_form < 3; ++send_form) {
        auto c = make_chan<int>();
        auto h = goro::co_spawn(
            [](chan<int> c, int form) -> task<int> {
              if (form == 0) co_return (co_await c.recv()).value_or(-1);
              if (form == 1) {
                auto r = co_await goro::select(c.recv_case());
                co_return r.value<0>().value_or(-1);
              }
              auto c2 = make_chan<int>();
              auto r = co_await goro::select(c.recv_case(), c2.recv_case());
              co_return r.index() == 0 ? r.value<0>().value_or(-1) : -2;
            },
            c, recv_form);
        co_await goro::yield();
        if (send_form == 0) {
          co_await c.send(1);
        } else if (send_form == 1) {
          (void)co_await goro::select(c.send_case(1));
        } else {
          auto c2 = make_chan<int>();
          auto r = co_await goro::select(c.send_case(1), c2.send_case(1));
          EXPECT_EQ(r.index(), 0u);
        }
        EXPECT_EQ(co_await h, 1)
            << "recv form " << recv_form << ", send form " << send_form;
      }
    }
  });
}

// ============================================================ linearizability

// runtime/chan_test.go TestNonblockRecvRace: a non-blocking select on a
// channel that holds a value (and is then closed) never takes the default.
TEST(Select, GoTestNonblockRecvRace) {
  goro::runtime rt{goro::options{.procs = 2}};
  const int n = static_cast<int>(scaled(10'000, 10));
  int defaults = rt.block_on([n]() -> task<int> {
    auto bad = std::make_shared<std::atomic<int>>(0);
    for (int i = 0; i < n; ++i) {
      auto c = make_chan<int>(1);
      co_await c.send(1);
      auto h = goro::co_spawn(
          [](chan<int> c, std::shared_ptr<std::atomic<int>> bad) -> task<> {
            auto r = co_await goro::select(c.recv_case(), default_case());
            if (r.index() == 1) bad->fetch_add(1);
          },
          c, bad);
      c.close();
      (void)co_await c.recv();
      co_await h;
    }
    co_return bad->load();
  });
  EXPECT_EQ(defaults, 0) << "chan is not ready";
}

// runtime/chan_test.go TestNonblockSelectRace{,2}: from the moment the
// selecting G exists, at least one of c1 and c2 is always ready, so its
// non-blocking select must never take the default: the select acts on the
// state of the channels at one instant.
void nonblock_select_race(int procs, bool close_c2) {
  goro::runtime rt{goro::options{.procs = procs}};
  const int n = static_cast<int>(scaled(100'000, 20));
  int defaults = rt.block_on([n, close_c2]() -> task<int> {
    auto done = make_chan<bool>(1);
    int bad = 0;
    for (int i = 0; i < n; ++i) {
      auto c1 = make_chan<int>(1);
      auto c2 = make_chan<int>(close_c2 ? 0 : 1);
      co_await c1.send(1);
      goro::go(
          [](chan<int> c1, chan<int> c2, chan<bool> done) -> task<> {
            auto r = co_await goro::select(c1.recv_case(), c2.recv_case(),
                                           default_case());
            co_await done.send(r.index() != 2);
          },
          c1, c2, done);
      if (close_c2) {
        c2.close();
      } else {
        co_await c2.send(1);
      }
      (void)co_await goro::select(c1.recv_case(), default_case());
      if (!(co_await done.recv()).value_or(false)) ++bad;
    }
    co_return bad;
  });
  EXPECT_EQ(defaults, 0) << "no chan is ready (procs " << procs << ")";
}

TEST(Select, GoTestNonblockSelectRace) {
  nonblock_select_race(2, false);
  nonblock_select_race(4, false);
}

TEST(Select, GoTestNonblockSelectRace2) {
  nonblock_select_race(2, true);
  nonblock_select_race(4, true);
}

// ============================================================ deadlock freedom

// Two Gs select over the same channels in opposite argument orders, many
// rounds; each round pairs one case of each (channels are locked in one
// global order, so they cannot deadlock each other).
TEST(Select, OppositeArgumentOrdersNeverDeadlock) {
  const int rounds = static_cast<int>(scaled(20'000, 10));
  for (int procs : {2, 4}) {
    goro::runtime rt{goro::options{.procs = procs}};
    rt.block_on([rounds]() -> task<> {
      auto a = make_chan<int>(), b = make_chan<int>(), c = make_chan<int>();
      // G1 offers on a and b and takes from c; G2 the reverse, in reverse
      // argument order. Every pairing completes one select in each.
      auto g1 = goro::co_spawn(
          [](chan<int> a, chan<int> b, chan<int> c,
             int n) -> task<std::array<int, 3>> {
            std::array<int, 3> k{};
            for (int i = 0; i < n; ++i) {
              auto r = co_await goro::select(a.send_case(i), b.send_case(i),
                                             c.recv_case());
              ++k[r.index()];
            }
            co_return k;
          },
          a, b, c, rounds);
      auto g2 = goro::co_spawn(
          [](chan<int> a, chan<int> b, chan<int> c,
             int n) -> task<std::array<int, 3>> {
            std::array<int, 3> k{};
            for (int i = 0; i < n; ++i) {
              auto r = co_await goro::select(c.send_case(i), b.recv_case(),
                                             a.recv_case());
              ++k[r.index()];
            }
            co_return k;
          },
          a, b, c, rounds);
      auto k1 = co_await g1;
      auto k2 = co_await g2;
      EXPECT_EQ(k1[0], k2[2]);  // sends on a == receives from a
      EXPECT_EQ(k1[1], k2[1]);  // b
      EXPECT_EQ(k1[2], k2[0]);  // c
      EXPECT_EQ(k1[0] + k1[1] + k1[2], rounds);
    });
  }
}

// ============================================================ evaluation

// select.go: each send value is evaluated once per select, whichever case
// fires; nil'ing a channel drops its case.
TEST(Select, GoSelectEvaluatesEachValueOnce) {
  goro::runtime rt{goro::options{.procs = 1}};
  rt.block_on([]() -> task<> {
    unsigned counter = 0, shift = 0;
    auto get_value = [&] {
      ++counter;
      return 1u << shift;
    };
    auto send = [&](chan<unsigned> a, chan<unsigned> b) -> task<int> {
      int i = 0;
      for (;;) {
        auto r = co_await goro::select(
            a.send_case(get_value()), b.send_case(get_value()), default_case());
        if (r.index() == 2) break;
        ++i;
        if (r.index() == 0) a = chan<unsigned>();
        if (r.index() == 1) b = chan<unsigned>();
        ++shift;
      }
      co_return i;
    };
    auto a = make_chan<unsigned>(1), b = make_chan<unsigned>(1);
    EXPECT_EQ(co_await send(a, b), 2);
    auto av = co_await a.recv(), bv = co_await b.recv();
    EXPECT_EQ(av.value_or(0) | bv.value_or(0), 3u);
    EXPECT_EQ(co_await send(a, chan<unsigned>()), 1);
    EXPECT_EQ(counter, 10u);
  });
}

// ============================================================ results, misuse

TEST(Select, ValueOfACaseThatDidNotFireThrowsLogicError) {
  goro::runtime rt{goro::options{.procs = 1}};
  rt.block_on([]() -> task<> {
    auto a = make_chan<int>(1), b = make_chan<int>(1);
    co_await b.send(3);
    auto r =
        co_await goro::select(a.recv_case(), b.recv_case(), default_case());
    EXPECT_EQ(r.index(), 1u);
    EXPECT_MISUSE_ERROR((void)r.value<0>());
    EXPECT_EQ(r.value<1>(), std::optional<int>(3));
    const auto& cr = r;
    EXPECT_MISUSE_ERROR((void)cr.value<0>());
    EXPECT_EQ(cr.value<1>(), std::optional<int>(3));
    auto d = co_await goro::select(a.recv_case(), default_case());
    EXPECT_EQ(d.index(), 1u);
    EXPECT_MISUSE_ERROR((void)std::move(d).value<0>());
    // value<I>() of the fired case can move the value out.
    auto m = make_chan<std::unique_ptr<int>>(1);
    co_await m.send(std::make_unique<int>(4));
    auto mr = co_await goro::select(m.recv_case());
    std::optional<std::unique_ptr<int>> p = std::move(mr).value<0>();
    EXPECT_TRUE(p.has_value() && *p && **p == 4);
  });
}

TEST(Select, AwaitingASelectTwiceThrowsLogicError) {
  goro::runtime rt{goro::options{.procs = 1}};
  rt.block_on([]() -> task<> {
    auto a = make_chan<int>(1);
    co_await a.send(1);
    auto s = goro::select(a.recv_case(), default_case());
    auto r = co_await s;
    EXPECT_EQ(r.index(), 0u);
    co_await a.send(2);
    EXPECT_MISUSE_ERROR((void)co_await s);
    EXPECT_EQ(a.len(), 1u);  // the second await took nothing
  });
}

task<int> select_outside_g(chan<int> a, chan<int> b) {
  try {
    (void)co_await goro::select(a.recv_case(), b.send_case(1));
  } catch (const goro::channel_error&) {
    co_return 100;
  } catch (const std::logic_error&) {
    co_return 1;
  }
  co_return 0;
}

// A select that would have to wait, awaited from a goro::task that is not
// running as a G, throws std::logic_error and leaves its channels unlocked
// and without waiters.
TEST(Select, AwaitingFromATaskThatIsNotAGThrowsLogicError) {
  auto a = make_chan<int>(), b = make_chan<int>();
  eager e = [](chan<int> a, chan<int> b) -> eager {
    co_return co_await select_outside_g(a, b);
  }(a, b);
  ASSERT_TRUE(e.h.done());
  EXPECT_EQ(e.h.promise().value, 1);
  expect_no_waiters(a, "a");
  expect_no_waiters(b, "b");
}

// ============================================================ value types

TEST(Select, MoveOnlyValues) {
  goro::runtime rt{goro::options{.procs = 2}};
  rt.block_on([]() -> task<> {
    auto a = make_chan<std::unique_ptr<int>>();
    auto b = make_chan<std::unique_ptr<int>>(1);
    auto h = goro::co_spawn(
        [](chan<std::unique_ptr<int>> a) -> task<int> {
          auto p = co_await a.recv();
          co_return p && *p ? **p : -1;
        },
        a);
    auto r = co_await goro::select(a.send_case(std::make_unique<int>(7)),
                                   b.recv_case());
    EXPECT_EQ(r.index(), 0u);
    EXPECT_EQ(co_await h, 7);
    co_await b.send(std::make_unique<int>(8));
    auto r2 = co_await goro::select(a.send_case(std::make_unique<int>(9)),
                                    b.recv_case());
    EXPECT_EQ(r2.index(), 1u);
    auto& got = r2.value<1>();
    EXPECT_TRUE(got.has_value() && *got && **got == 8);
  });
}

// The value of a send case that does not fire is destroyed with the select;
// every value is destroyed exactly once.
TEST(Select, UnsentValuesAreDestroyedOnce) {
  counted::reset();
  {
    goro::runtime rt{goro::options{.procs = 2}};
    rt.block_on([]() -> task<> {
      auto a = make_chan<counted>(1), b = make_chan<counted>(1);
      for (int i = 0; i < 200; ++i) {
        auto r = co_await goro::select(a.send_case(counted(i)),
                                       b.send_case(counted(-i)), a.recv_case(),
                                       b.recv_case());
        EXPECT_LT(r.index(), 4u);
      }
      // Blocking: a waiting select whose other send case never fires.
      auto u = make_chan<counted>(), never = make_chan<counted>();
      auto h = goro::co_spawn(
          [](chan<counted> u) -> task<int> {
            co_await goro::yield();
            auto v = co_await u.recv();
            co_return v ? v->value : -1;
          },
          u);
      auto r = co_await goro::select(never.send_case(counted(1)),
                                     u.send_case(counted(2)));
      EXPECT_EQ(r.index(), 1u);
      EXPECT_EQ(co_await h, 2);
    });
  }
  EXPECT_EQ(counted::live.load(), 0);
  EXPECT_EQ(counted::destroyed.load(), counted::constructed.load());
}

// runtime/chan_test.go TestChanSendInterface: send cases of interface
// values (here std::any holding a shared_ptr) on a full channel with a
// default: nothing is sent, nothing leaks.
TEST(Select, GoTestChanSendInterface) {
  goro::runtime rt{goro::options{.procs = 1}};
  rt.block_on([]() -> task<> {
    struct mt {};
    auto m = std::make_shared<mt>();
    auto c = make_chan<std::any>(1);
    co_await c.send(std::any(m));
    EXPECT_EQ(m.use_count(), 2);
    auto r1 = co_await goro::select(c.send_case(std::any(m)), default_case());
    EXPECT_EQ(r1.index(), 1u);
    auto r2 = co_await goro::select(
        c.send_case(std::any(m)), c.send_case(std::any(std::make_shared<mt>())),
        default_case());
    EXPECT_EQ(r2.index(), 2u);
    EXPECT_EQ(m.use_count(), 2);  // m and the buffered copy only
    EXPECT_EQ(c.len(), 1u);
  });
}

// A case made from an rvalue handle holds the channel itself.
TEST(Select, CaseFromAnRvalueHandleOwnsTheChannel) {
  counted::reset();
  {
    goro::runtime rt{goro::options{.procs = 2}};
    rt.block_on([]() -> task<> {
      auto x = make_chan<counted>(3);
      for (int i = 0; i < 3; ++i) co_await x.send(counted(i));
      {
        auto r = co_await goro::select(std::move(x).recv_case());
        EXPECT_EQ(r.value<0>()->value, 0);
        // The select held the last reference: the two values still buffered
        // went with it.
        EXPECT_EQ(counted::live.load(), 1);
      }
      // Waiting on a case that owns its channel, fed through another handle.
      auto y = make_chan<counted>();
      chan<counted> feeder = y;
      auto h = goro::co_spawn(
          [](chan<counted> y) -> task<int> {
            auto r = co_await goro::select(std::move(y).recv_case());
            co_return r.value<0>() ? r.value<0>()->value : -1;
          },
          std::move(y));
      co_await feeder.send(counted(5));
      EXPECT_EQ(co_await h, 5);
    });
  }
  EXPECT_EQ(counted::live.load(), 0);
  EXPECT_EQ(counted::destroyed.load(), counted::constructed.load());
}

template <std::size_t N, std::size_t... I>
auto select_recv_all_of(std::array<chan<int>, N> chs,
                        std::index_sequence<I...>) {
  return goro::select(std::move(chs[I]).recv_case()...);
}

// More than 20 cases: the right one fires, ready or after waiting.
TEST(Select, TwentyFiveCases) {
  goro::runtime rt{goro::options{.procs = 1}};
  rt.block_on([]() -> task<> {
    constexpr std::size_t kN = 25;
    std::array<chan<int>, kN> chs;
    for (auto& c : chs) c = make_chan<int>(1);
    for (std::size_t k = 0; k < kN; ++k) {
      co_await chs[k].send(static_cast<int>(k));
      auto r = co_await select_recv_all(chs, std::make_index_sequence<kN>{});
      EXPECT_EQ(r.index(), k);
    }
    std::atomic<int> parked{0};
    for (std::size_t k = 0; k < kN; k += 6) {
      auto h = goro::co_spawn(
          [](std::array<chan<int>, kN> chs,
             std::atomic<int>* parked) -> task<std::size_t> {
            parked->fetch_add(1);
            auto r = co_await select_recv_all_of(
                std::move(chs), std::make_index_sequence<kN>{});
            co_return r.index();
          },
          chs, &parked);
      co_await until_parked(&parked, static_cast<int>(k / 6 + 1));
      EXPECT_TRUE(chs[k].try_send(1));
      EXPECT_EQ(co_await h, k);
      for (auto& c : chs) EXPECT_EQ(c.len(), 0u);
    }
  });
}

}  // namespace
