// goro's demo: a million Gs spawned and joined, and what a G costs.
//
//   bazel run --config=opt //examples/demo:demo      (or tools/demo.sh)
//
// Prints the spawn+join cost per G, the switch cost between two Gs that
// yield to each other, and the scheduler's counters (how much work moved
// between Ps by stealing).
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <vector>

#include "goro/goro.h"

namespace {

using clock_type = std::chrono::steady_clock;

double ns_since(clock_type::time_point start, std::int64_t ops) {
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                clock_type::now() - start)
                .count();
  return static_cast<double>(ns) / static_cast<double>(ops);
}

goro::task<std::int64_t> square(std::int64_t x) { co_return x* x; }

// Spawns n Gs at once, then joins them all.
goro::task<std::int64_t> million(std::int64_t n) {
  std::vector<goro::join_handle<std::int64_t>> gs;
  gs.reserve(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i)
    gs.push_back(goro::co_spawn(square, i % 1000));
  std::int64_t sum = 0;
  for (auto& h : gs) sum += co_await h;
  co_return sum;
}

goro::task<void> yielder(int n) {
  for (int i = 0; i < n; ++i) co_await goro::yield();
}

goro::task<void> ping_pong(int n) {
  auto partner = goro::co_spawn(yielder, n);
  co_await yielder(n);
  co_await partner;
}

}  // namespace

int main() {
  constexpr std::int64_t kGs = 1000000;
  constexpr int kSwitches = 1000000;

  goro::runtime rt;
  std::printf("goro demo: %d Ps (GOMAXPROCS)\n", rt.procs());

  auto start = clock_type::now();
  std::int64_t sum = rt.block_on(million, kGs);
  double spawn_ns = ns_since(start, kGs);
  std::int64_t expected = 0;
  for (std::int64_t i = 0; i < kGs; ++i) expected += (i % 1000) * (i % 1000);
  std::printf("  %lld Gs spawned, run and joined: %.1f ns per G (sum %s)\n",
              static_cast<long long>(kGs), spawn_ns,
              sum == expected ? "ok" : "WRONG");

  goro::runtime_stats s = rt.stats();
  for (std::size_t i = 0; i < s.procs.size(); ++i) {
    const auto& p = s.procs[i];
    std::printf(
        "  P%zu: spawned %llu, ran %llu, stole %llu, global-queue takes %llu, "
        "parks %llu\n",
        i, static_cast<unsigned long long>(p.spawned),
        static_cast<unsigned long long>(p.run),
        static_cast<unsigned long long>(p.stolen),
        static_cast<unsigned long long>(p.global_takes),
        static_cast<unsigned long long>(p.parks));
  }

  goro::runtime one{goro::options{.procs = 1}};
  start = clock_type::now();
  one.block_on(ping_pong, kSwitches);
  // Each round: both Gs yield once, i.e. two switches.
  std::printf("  switch between two Gs on one P (yield): %.1f ns\n",
              ns_since(start, 2LL * kSwitches));
  return sum == expected ? 0 : 1;
}
