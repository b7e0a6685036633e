// Stress for channels and select at procs 1, 2, 4 and 8: many producers and
// consumers with exact count and sum checks, close racing with senders,
// receivers and selects (every value is either received or its send threw,
// and is destroyed exactly once), lost wake-ups over 10^5 rounds, plain
// threads mixed with Gs, and select-heavy loads (ports of Go's
// TestSelectStress and test/chan/doubleselect.go). A lost wake-up or a
// deadlock hangs: the Bazel test timeout reports it.
#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "goro/goro.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace {

using goro::chan;
using goro::default_case;
using goro::make_chan;
using goro::task;
using goro_test::counted;
using goro_test::scaled;
using goro_test::spin_work;

class Procs : public ::testing::TestWithParam<int> {};
INSTANTIATE_TEST_SUITE_P(Stress, Procs, ::testing::Values(1, 2, 4, 8),
                         [](const auto& info) {
                           return "procs" + std::to_string(info.param);
                         });

std::int64_t tri(std::int64_t n) { return n * (n - 1) / 2; }  // 0+..+(n-1)

// ------------------------------------------- producers and consumers

struct tally {
  std::int64_t count = 0;
  std::int64_t sum = 0;
};

// P producers send disjoint ranges, C consumers receive until the channel is
// closed (after every producer is joined). Exact count and sum; each
// consumer sees each producer's values in increasing order.
TEST_P(Procs, ManyProducersManyConsumers) {
  goro::runtime rt{goro::options{.procs = GetParam()}};
  const std::int64_t per = scaled(20'000, 5);
  constexpr int kP = 4, kC = 4;
  for (int cap : {0, 1, 16, 256}) {
    tally t = rt.block_on([per, cap]() -> task<tally> {
      auto ch = make_chan<std::int64_t>(cap);
      std::vector<goro::join_handle<void>> ps;
      for (int p = 0; p < kP; ++p) {
        ps.push_back(goro::co_spawn(
            [](chan<std::int64_t> ch, std::int64_t base,
               std::int64_t n) -> task<> {
              for (std::int64_t i = 0; i < n; ++i) co_await ch.send(base + i);
            },
            ch, p* per, per));
      }
      std::vector<goro::join_handle<tally>> cs;
      for (int c = 0; c < kC; ++c) {
        cs.push_back(goro::co_spawn(
            [](chan<std::int64_t> ch, std::int64_t per) -> task<tally> {
              tally t;
              std::array<std::int64_t, kP> last;
              last.fill(-1);
              while (auto v = co_await ch.recv()) {
                const auto p = static_cast<std::size_t>(*v / per);
                if (p >= kP || *v <= last[p]) {
                  ADD_FAILURE() << "value " << *v << " out of range or order";
                } else {
                  last[p] = *v;
                }
                ++t.count;
                t.sum += *v;
              }
              co_return t;
            },
            ch, per));
      }
      for (auto& h : ps) co_await h;
      ch.close();
      tally all;
      for (auto& h : cs) {
        tally t = co_await h;
        all.count += t.count;
        all.sum += t.sum;
      }
      co_return all;
    });
    EXPECT_EQ(t.count, kP * per) << "cap " << cap;
    EXPECT_EQ(t.sum, tri(kP * per)) << "cap " << cap;
  }
}

// ------------------------------------------------ close races

struct close_race_result {
  std::int64_t sent = 0, sent_sum = 0;
  std::int64_t received = 0, received_sum = 0;
  std::int64_t failed_sends = 0;
  // Values taken by receives that started after close() had returned: at
  // most what was buffered then (cap), never a blocked sender's value.
  std::int64_t late_received = 0;
  std::int64_t rounds_over_cap = 0;
};

// Senders (plain sends and select send cases) keep sending until the
// channel is closed under them; receivers (plain and select) drain it. The
// closer fires at a varying moment. Every value is received iff its send
// completed; every counted is destroyed exactly once; receives that start
// after the close returned get at most the cap values buffered at that
// moment (a sender still blocked at the close must fail, not hand over).
TEST_P(Procs, CloseRacesWithSendersReceiversAndSelects) {
  counted::reset();
  const int rounds = static_cast<int>(scaled(300, 3));
  close_race_result total;
  {
    goro::runtime rt{goro::options{.procs = GetParam()}};
    total = rt.block_on([rounds]() -> task<close_race_result> {
      close_race_result res;
      auto results = make_chan<close_race_result>(64);
      for (int round = 0; round < rounds; ++round) {
        const int cap = std::array<int, 3>{0, 1, 4}[round % 3];
        auto ch = make_chan<counted>(cap);
        auto never = make_chan<counted>();  // no one ever uses it
        constexpr int kSenders = 3, kSelectSenders = 2;
        constexpr int kReceivers = 2, kSelectReceivers = 2;
        auto after_close = std::make_shared<std::atomic<bool>>(false);
        std::vector<goro::join_handle<void>> hs;
        for (int s = 0; s < kSenders + kSelectSenders; ++s) {
          hs.push_back(goro::co_spawn(
              [](chan<counted> ch, chan<counted> never, int id, bool use_select,
                 chan<close_race_result> results) -> task<> {
                close_race_result r;
                for (int i = 0;; ++i) {
                  const int v = id * 1'000'000 + i;
                  try {
                    if (use_select) {
                      auto s = co_await goro::select(ch.send_case(counted(v)),
                                                     never.recv_case());
                      if (s.index() != 0) ADD_FAILURE() << "never fired";
                    } else {
                      co_await ch.send(counted(v));
                    }
                  } catch (const goro::channel_error& e) {
                    if (std::string(e.what()) != "send on closed channel") {
                      ADD_FAILURE() << e.what();
                    }
                    ++r.failed_sends;
                    break;
                  }
                  ++r.sent;
                  r.sent_sum += v;
                  if (i % 8 == 7) co_await goro::yield();
                }
                co_await results.send(r);
              },
              ch, never, s, s >= kSenders, results));
        }
        for (int c = 0; c < kReceivers + kSelectReceivers; ++c) {
          hs.push_back(goro::co_spawn(
              [](chan<counted> ch, chan<counted> never, bool use_select,
                 chan<close_race_result> results,
                 std::shared_ptr<std::atomic<bool>> after_close) -> task<> {
                close_race_result r;
                for (;;) {
                  // ACQUIRE: pairs with the closer's RELEASE store after
                  // close().
                  const bool late =
                      after_close->load(std::memory_order_acquire);
                  std::optional<counted> v;
                  if (use_select) {
                    auto s = co_await goro::select(never.recv_case(),
                                                   ch.recv_case());
                    if (s.index() != 1) ADD_FAILURE() << "never fired";
                    v = std::move(s.value<1>());
                  } else {
                    v = co_await ch.recv();
                  }
                  if (!v) break;
                  ++r.received;
                  r.received_sum += v->value;
                  if (late) ++r.late_received;
                }
                co_await results.send(r);
              },
              ch, never, c >= kReceivers, results, after_close));
        }
        // The closer: after a varying amount of traffic.
        for (int k = 0; k < round % 7; ++k) co_await goro::yield();
        spin_work(static_cast<std::uint64_t>(round % 5) * 200);
        ch.close();
        after_close->store(true, std::memory_order_release);
        for (auto& h : hs) co_await h;
        std::int64_t late = 0;
        for (std::size_t k = 0; k < hs.size(); ++k) {
          auto r = *co_await results.recv();
          res.sent += r.sent;
          res.sent_sum += r.sent_sum;
          res.received += r.received;
          res.received_sum += r.received_sum;
          res.failed_sends += r.failed_sends;
          late += r.late_received;
        }
        res.late_received += late;
        if (late > cap) ++res.rounds_over_cap;
      }
      co_return res;
    });
  }
  EXPECT_EQ(total.sent, total.received);
  EXPECT_EQ(total.sent_sum, total.received_sum);
  EXPECT_EQ(total.failed_sends, rounds * 5);  // every sender ended by the close
  EXPECT_EQ(total.rounds_over_cap, 0)
      << "receives after the close got more than the buffered values";
  EXPECT_EQ(counted::live.load(), 0);
  EXPECT_EQ(counted::destroyed.load(), counted::constructed.load());
}

// ------------------------------------------------ lost wake-ups

// Unbuffered and capacity-1 ping-pong between two Gs, 10^5 round trips.
TEST_P(Procs, PingPongNoLostWakeUp) {
  goro::runtime rt{goro::options{.procs = GetParam()}};
  const int rounds = static_cast<int>(scaled(100'000, 5));
  for (int cap : {0, 1}) {
    int x = rt.block_on([rounds, cap]() -> task<int> {
      auto ping = make_chan<int>(cap);
      auto pong = make_chan<int>(cap);
      goro::go(
          [](chan<int> ping, chan<int> pong) -> task<> {
            while (auto v = co_await ping.recv()) co_await pong.send(*v + 1);
            pong.close();
          },
          ping, pong);
      int v = 0;
      for (int i = 0; i < rounds; ++i) {
        co_await ping.send(v);
        v = (co_await pong.recv()).value_or(-1'000'000);
      }
      ping.close();
      EXPECT_FALSE((co_await pong.recv()).has_value());
      co_return v;
    });
    EXPECT_EQ(x, rounds) << "cap " << cap;
  }
}

// Each round a fresh channel: the sleeper arrives at its receive (or select)
// while the waker arrives at its send (or close) on another P, with varying
// delays on both sides so that either may come first, and both may be in
// the critical window together.
TEST_P(Procs, WakerAndSleeperRace) {
  goro::runtime rt{goro::options{.procs = GetParam()}};
  const int rounds = static_cast<int>(scaled(100'000, 5));
  std::int64_t bad = rt.block_on([rounds]() -> task<std::int64_t> {
    std::int64_t errors = 0;
    for (int r = 0; r < rounds; ++r) {
      const int kind = r % 4;
      auto ch = make_chan<int>(r % 5 == 1 ? 1 : 0);
      auto h = goro::co_spawn(
          [](chan<int> ch, int r, int kind) -> task<int> {
            spin_work(static_cast<std::uint64_t>((r * 7) % 23) * 8);
            if (kind == 3) {
              auto never = make_chan<int>();
              auto s = co_await goro::select(never.recv_case(), ch.recv_case());
              co_return s.index() == 1 ? s.value<1>().value_or(-1) : -2;
            }
            co_return (co_await ch.recv()).value_or(-1);
          },
          ch, r, kind);
      spin_work(static_cast<std::uint64_t>((r * 5) % 19) * 8);
      int want = r;
      if (kind == 1) {
        ch.close();
        want = -1;
      } else if (kind == 2) {
        while (!ch.try_send(r)) co_await goro::yield();
      } else {
        co_await ch.send(r);
      }
      if (co_await h != want) ++errors;
    }
    co_return errors;
  });
  EXPECT_EQ(bad, 0);
}

// Two wakers race for one waiting select: exactly one of them completes
// with it; the other's value stays in its channel and is received later.
TEST_P(Procs, TwoWakersRaceForOneSelect) {
  goro::runtime rt{goro::options{.procs = GetParam()}};
  const int rounds = static_cast<int>(scaled(20'000, 4));
  std::int64_t bad = rt.block_on([rounds]() -> task<std::int64_t> {
    std::int64_t errors = 0;
    for (int r = 0; r < rounds; ++r) {
      auto a = make_chan<int>(), b = make_chan<int>();
      auto sel = goro::co_spawn(
          [](chan<int> a, chan<int> b) -> task<int> {
            auto s = co_await goro::select(a.recv_case(), b.recv_case());
            co_return s.index() == 0 ? s.value<0>().value_or(-1)
                                     : s.value<1>().value_or(-1);
          },
          a, b);
      auto wa =
          goro::co_spawn([](chan<int> a) -> task<> { co_await a.send(1); }, a);
      auto wb =
          goro::co_spawn([](chan<int> b) -> task<> { co_await b.send(2); }, b);
      const int got = co_await sel;
      // The loser is still blocked in its send: take its value.
      int other = 0;
      if (got == 1) {
        other = (co_await b.recv()).value_or(-1);
      } else if (got == 2) {
        other = (co_await a.recv()).value_or(-1);
      }
      co_await wa;
      co_await wb;
      if (got + other != 3 || got == other) ++errors;
    }
    co_return errors;
  });
  EXPECT_EQ(bad, 0);
}

// ------------------------------------------------ plain threads and Gs

// Thread and G producers, thread and G consumers on one channel; a plain
// thread closes it once every producer is done.
TEST_P(Procs, PlainThreadsAndGsMixed) {
  goro::runtime rt{goro::options{.procs = GetParam()}};
  const std::int64_t per = scaled(10'000, 5);
  constexpr int kThreadProducers = 2, kGProducers = 2;
  constexpr int kThreadConsumers = 2, kGConsumers = 2;
  for (int cap : {0, 8}) {
    auto ch = make_chan<std::int64_t>(cap);
    std::atomic<std::int64_t> count{0}, sum{0};
    std::vector<std::thread> producers, consumers;
    for (int p = 0; p < kThreadProducers; ++p) {
      producers.emplace_back([ch, p, per] {
        for (std::int64_t i = 0; i < per; ++i) ch.send_blocking(p * per + i);
      });
    }
    std::vector<goro::join_handle<void>> gps;
    for (int p = kThreadProducers; p < kThreadProducers + kGProducers; ++p) {
      gps.push_back(rt.co_spawn(
          [](chan<std::int64_t> ch, std::int64_t base,
             std::int64_t n) -> task<> {
            for (std::int64_t i = 0; i < n; ++i) co_await ch.send(base + i);
          },
          ch, p* per, per));
    }
    for (int c = 0; c < kThreadConsumers; ++c) {
      consumers.emplace_back([ch, &count, &sum] {
        while (auto v = ch.recv_blocking()) {
          count.fetch_add(1);
          sum.fetch_add(*v);
        }
      });
    }
    std::vector<goro::join_handle<void>> gcs;
    for (int c = 0; c < kGConsumers; ++c) {
      // One plain receiver, one through a select (with a case that never
      // fires), so that thread wake-ups also complete select records.
      gcs.push_back(rt.co_spawn(
          [](chan<std::int64_t> ch, bool use_select,
             std::atomic<std::int64_t>* count,
             std::atomic<std::int64_t>* sum) -> task<> {
            auto never = make_chan<std::int64_t>();
            for (;;) {
              std::optional<std::int64_t> v;
              if (use_select) {
                auto r =
                    co_await goro::select(never.recv_case(), ch.recv_case());
                v = r.value<1>();
              } else {
                v = co_await ch.recv();
              }
              if (!v) break;
              count->fetch_add(1);
              sum->fetch_add(*v);
            }
          },
          ch, c % 2 == 1, &count, &sum));
    }
    for (auto& t : producers) t.join();
    rt.block_on(
        [](std::vector<goro::join_handle<void>> hs) -> task<> {
          for (auto& h : hs) co_await h;
        },
        std::move(gps));
    std::thread closer([ch] { ch.close(); });
    closer.join();
    for (auto& t : consumers) t.join();
    rt.block_on(
        [](std::vector<goro::join_handle<void>> hs) -> task<> {
          for (auto& h : hs) co_await h;
        },
        std::move(gcs));
    const std::int64_t n = (kThreadProducers + kGProducers) * per;
    EXPECT_EQ(count.load(), n) << "cap " << cap;
    EXPECT_EQ(sum.load(), tri(n)) << "cap " << cap;
  }
}

// ------------------------------------------------ select-heavy

// runtime/chan_test.go TestSelectStress: 4 senders and 4 receivers on four
// channels (two unbuffered, capacities 2 and 3), plus one G sending N values
// on each through one select and one G receiving N from each through one
// select, dropping (nil'ing) a channel's case once its N are done.
TEST_P(Procs, GoTestSelectStress) {
  goro::runtime rt{goro::options{.procs = GetParam()}};
  const int n = static_cast<int>(scaled(20'000, 5));
  rt.block_on([n]() -> task<> {
    std::array<chan<int>, 4> c{make_chan<int>(), make_chan<int>(),
                               make_chan<int>(2), make_chan<int>(3)};
    std::vector<goro::join_handle<void>> hs;
    for (int k = 0; k < 4; ++k) {
      hs.push_back(goro::co_spawn(
          [](chan<int> c, int n) -> task<> {
            for (int i = 0; i < n; ++i) co_await c.send(0);
          },
          c[k], n));
      hs.push_back(goro::co_spawn(
          [](chan<int> c, int n) -> task<> {
            for (int i = 0; i < n; ++i) (void)co_await c.recv();
          },
          c[k], n));
    }
    hs.push_back(goro::co_spawn(
        [](std::array<chan<int>, 4> c1, int n) -> task<> {
          std::array<int, 4> cnt{};
          for (int i = 0; i < 4 * n; ++i) {
            auto r =
                co_await goro::select(c1[3].send_case(0), c1[2].send_case(0),
                                      c1[0].send_case(0), c1[1].send_case(0));
            const int k = std::array<int, 4>{3, 2, 0, 1}[r.index()];
            if (++cnt[k] == n) c1[k] = chan<int>();
          }
        },
        c, n));
    hs.push_back(goro::co_spawn(
        [](std::array<chan<int>, 4> c1, int n) -> task<> {
          std::array<int, 4> cnt{};
          for (int i = 0; i < 4 * n; ++i) {
            auto r =
                co_await goro::select(c1[0].recv_case(), c1[1].recv_case(),
                                      c1[2].recv_case(), c1[3].recv_case());
            const std::size_t k = r.index();
            if (++cnt[k] == n) c1[k] = chan<int>();
          }
        },
        c, n));
    for (auto& h : hs) co_await h;
    for (auto& ch : c) EXPECT_EQ(ch.len(), 0u);
  });
}

// test/chan/doubleselect.go: one G sends 0..n-1 through a select over four
// unbuffered channels, four muxes forward to one channel, and the receiver
// sees every value exactly once (a select must not fire twice).
TEST_P(Procs, GoDoubleSelect) {
  goro::runtime rt{goro::options{.procs = GetParam()}};
  const int n = static_cast<int>(scaled(100'000, 5));
  std::vector<int> seen = rt.block_on([n]() -> task<std::vector<int>> {
    std::array<chan<int>, 4> c{make_chan<int>(), make_chan<int>(),
                               make_chan<int>(), make_chan<int>()};
    auto cmux = make_chan<int>();
    auto done = make_chan<bool>();
    goro::go(
        [](std::array<chan<int>, 4> c, int n) -> task<> {
          for (int i = 0; i < n; ++i) {
            (void)co_await goro::select(c[0].send_case(i), c[1].send_case(i),
                                        c[2].send_case(i), c[3].send_case(i));
          }
          for (auto& ch : c) ch.close();
        },
        c, n);
    for (auto& in : c) {
      goro::go(
          [](chan<int> out, chan<int> in, chan<bool> done) -> task<> {
            while (auto v = co_await in.recv()) co_await out.send(*v);
            co_await done.send(true);
          },
          cmux, in, done);
    }
    goro::go(
        [](chan<int> cmux, chan<bool> done) -> task<> {
          for (int k = 0; k < 4; ++k) (void)co_await done.recv();
          cmux.close();
        },
        cmux, done);
    std::vector<int> s(n, 0);
    while (auto v = co_await cmux.recv()) {
      if (*v < 0 || *v >= n) {
        ADD_FAILURE() << "bad value " << *v;
      } else {
        ++s[*v];
      }
    }
    co_return s;
  });
  EXPECT_EQ(std::count(seen.begin(), seen.end(), 1), n)
      << "some value was lost or duplicated";
}

// Producers offer through selects over three channels of different
// capacities, consumers take through selects over the same three; once the
// producers are done the channels are closed and each consumer drops a
// channel's case when it reports closed (Go's nil-the-channel idiom). Exact
// count and sum.
TEST_P(Procs, SelectFanInFanOutWithClose) {
  goro::runtime rt{goro::options{.procs = GetParam()}};
  const int per = static_cast<int>(scaled(10'000, 5));
  constexpr int kProducers = 4, kConsumers = 4;
  tally t = rt.block_on([per]() -> task<tally> {
    std::array<chan<std::int64_t>, 3> c{make_chan<std::int64_t>(),
                                        make_chan<std::int64_t>(1),
                                        make_chan<std::int64_t>(8)};
    std::vector<goro::join_handle<void>> ps;
    for (int p = 0; p < kProducers; ++p) {
      ps.push_back(goro::co_spawn(
          [](std::array<chan<std::int64_t>, 3> c, std::int64_t base,
             int n) -> task<> {
            for (int i = 0; i < n; ++i) {
              const std::int64_t v = base + i;
              if (i % 3 == 0) {  // sometimes with a default and a retry
                for (;;) {
                  auto r = co_await goro::select(
                      c[0].send_case(v), c[1].send_case(v), c[2].send_case(v),
                      default_case());
                  if (r.index() != 3) break;
                  co_await goro::yield();
                }
              } else {
                (void)co_await goro::select(
                    c[2].send_case(v), c[0].send_case(v), c[1].send_case(v));
              }
            }
          },
          c, std::int64_t{p} * per, per));
    }
    std::vector<goro::join_handle<tally>> cs;
    for (int k = 0; k < kConsumers; ++k) {
      cs.push_back(goro::co_spawn(
          [](std::array<chan<std::int64_t>, 3> c) -> task<tally> {
            tally t;
            while (c[0] || c[1] || c[2]) {
              auto r = co_await goro::select(c[0].recv_case(), c[1].recv_case(),
                                             c[2].recv_case());
              std::optional<std::int64_t> v;
              switch (r.index()) {
                case 0:
                  v = r.value<0>();
                  break;
                case 1:
                  v = r.value<1>();
                  break;
                case 2:
                  v = r.value<2>();
                  break;
              }
              if (!v) {
                c[r.index()] = chan<std::int64_t>();  // closed and drained
                continue;
              }
              ++t.count;
              t.sum += *v;
            }
            co_return t;
          },
          c));
    }
    for (auto& h : ps) co_await h;
    for (auto& ch : c) ch.close();
    tally all;
    for (auto& h : cs) {
      tally t = co_await h;
      all.count += t.count;
      all.sum += t.sum;
    }
    co_return all;
  });
  EXPECT_EQ(t.count, std::int64_t{kProducers} * per);
  EXPECT_EQ(t.sum, tri(std::int64_t{kProducers} * per));
}

// Many Gs each select over overlapping sets of channels in different orders,
// every select both offering and taking, with a default on some; the
// system must neither deadlock nor lose a value: a final drain accounts for
// every value sent.
TEST_P(Procs, OverlappingSelectsNoDeadlockNoLoss) {
  goro::runtime rt{goro::options{.procs = GetParam()}};
  const int iters = static_cast<int>(scaled(5'000, 5));
  constexpr int kGs = 6;
  auto [sent, received] =
      rt.block_on([iters]() -> task<std::pair<std::int64_t, std::int64_t>> {
        std::array<chan<int>, 4> c{make_chan<int>(), make_chan<int>(2),
                                   make_chan<int>(), make_chan<int>(5)};
        auto counts =
            std::make_shared<std::array<std::atomic<std::int64_t>, 2>>();
        std::vector<goro::join_handle<void>> hs;
        for (int g = 0; g < kGs; ++g) {
          hs.push_back(goro::co_spawn(
              [](std::array<chan<int>, 4> c, int g, int iters,
                 std::shared_ptr<std::array<std::atomic<std::int64_t>, 2>>
                     counts) -> task<> {
                const int a = g % 4, b = (g + 1) % 4, d = (g + 2) % 4;
                for (int i = 0; i < iters; ++i) {
                  // Always a default: with every G offering and taking, a
                  // select that could wait forever at the end must not be
                  // written.
                  auto r = co_await goro::select(
                      c[a].send_case(1), c[b].recv_case(), c[d].send_case(1),
                      c[a].recv_case(), default_case());
                  switch (r.index()) {
                    case 0:
                    case 2:
                      (*counts)[0].fetch_add(1);
                      break;
                    case 1:
                      if (r.value<1>()) (*counts)[1].fetch_add(1);
                      break;
                    case 3:
                      if (r.value<3>()) (*counts)[1].fetch_add(1);
                      break;
                    default:
                      co_await goro::yield();
                      break;
                  }
                }
              },
              c, g, iters, counts));
        }
        for (auto& h : hs) co_await h;
        // What is left is buffered; nobody waits any more.
        std::int64_t left = 0;
        for (auto& ch : c) {
          while (ch.try_recv()) ++left;
        }
        co_return std::pair<std::int64_t, std::int64_t>{
            (*counts)[0].load(), (*counts)[1].load() + left};
      });
  EXPECT_EQ(sent, received);
}

}  // namespace
