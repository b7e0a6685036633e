// The channel workloads shared by chan_bench.cc (speed, with Go twins in
// go/chan_bench_test.go) and chan_lock_hold.cc (lock hold times under the
// same load). Header-only so that each program compiles them against the
// channel library it links (//chan, or //chan:chan_lock_timing).
#ifndef GORO_BENCHMARKS_CHAN_WORKLOADS_H_
#define GORO_BENCHMARKS_CHAN_WORKLOADS_H_

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "goro/chan/chan.h"
#include "goro/chan/select.h"
#include "goro/runtime/join_handle.h"
#include "goro/runtime/spawn.h"
#include "goro/task/task.h"

namespace goro_bench {

// Unbuffered ping-pong: `rounds` round trips between two Gs.
inline goro::task<void> pong_side(goro::chan<int> ping, goro::chan<int> pong) {
  while (auto v = co_await ping.recv()) co_await pong.send(*v);
}

inline goro::task<void> ping_pong(int rounds) {
  auto ping = goro::make_chan<int>();
  auto pong = goro::make_chan<int>();
  auto partner = goro::co_spawn(pong_side, ping, pong);
  for (int i = 0; i < rounds; ++i) {
    co_await ping.send(i);
    (void)co_await pong.recv();
  }
  ping.close();
  co_await partner;
}

// `items` ints through a channel of capacity 1024, from 4 producer Gs to 4
// consumer Gs; returns their sum.
inline goro::task<void> produce(goro::chan<std::int64_t> ch, std::int64_t from,
                                std::int64_t to) {
  for (std::int64_t i = from; i < to; ++i) co_await ch.send(i);
}

inline goro::task<std::int64_t> consume(goro::chan<std::int64_t> ch) {
  std::int64_t sum = 0;
  while (auto v = co_await ch.recv()) sum += *v;
  co_return sum;
}

inline goro::task<std::int64_t> buffered_4x4(std::int64_t items) {
  auto ch = goro::make_chan<std::int64_t>(1024);
  std::vector<goro::join_handle<void>> producers;
  std::vector<goro::join_handle<std::int64_t>> consumers;
  for (int c = 0; c < 4; ++c) consumers.push_back(goro::co_spawn(consume, ch));
  const std::int64_t share = items / 4;
  for (int p = 0; p < 4; ++p) {
    const std::int64_t from = p * share;
    const std::int64_t to = p == 3 ? items : from + share;
    producers.push_back(goro::co_spawn(produce, ch, from, to));
  }
  for (auto& p : producers) co_await p;
  ch.close();
  std::int64_t sum = 0;
  for (auto& c : consumers) sum += co_await c;
  co_return sum;
}

// `items` ints from 8 producer Gs, each on its own unbuffered channel, to
// one G selecting over the 8; returns how many it received.
inline goro::task<void> fan_in_producer(goro::chan<int> ch, int n) {
  for (int i = 0; i < n; ++i) co_await ch.send(1);
}

// The value a select over receive cases received, whichever case fired.
template <class Result, std::size_t... I>
int received_value(Result& r, std::index_sequence<I...>) {
  int v = 0;
  ((r.index() == I ? (void)(v = *r.template value<I>()) : void()), ...);
  return v;
}

inline goro::task<std::int64_t> select_fan_in(int items) {
  std::vector<goro::chan<int>> in;
  for (int i = 0; i < 8; ++i) in.push_back(goro::make_chan<int>());
  for (int i = 0; i < 8; ++i) {
    goro::go(fan_in_producer, in[i], items / 8 + (i == 0 ? items % 8 : 0));
  }
  std::int64_t got = 0;
  for (int i = 0; i < items; ++i) {
    auto r = co_await goro::select(in[0].recv_case(), in[1].recv_case(),
                                   in[2].recv_case(), in[3].recv_case(),
                                   in[4].recv_case(), in[5].recv_case(),
                                   in[6].recv_case(), in[7].recv_case());
    got += received_value(r, std::make_index_sequence<8>{});
  }
  co_return got;
}

}  // namespace goro_bench

#endif  // GORO_BENCHMARKS_CHAN_WORKLOADS_H_
