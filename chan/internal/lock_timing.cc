// See lock_timing.h. Compiled only into //chan:chan_lock_timing.
#include "goro/chan/internal/lock_timing.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <thread>

#include "goro/chan/internal/chan_lock.h"

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#endif

namespace goro::internal {
namespace {

// Ticks (TSC, or nanoseconds where there is none) at a point in time.
inline std::uint64_t ticks() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  return __rdtsc();
#else
  return std::chrono::steady_clock::now().time_since_epoch().count();
#endif
}

// Nanoseconds per tick, measured once against the steady clock.
double ns_per_tick() {
  static const double value = [] {
    const auto t0 = std::chrono::steady_clock::now();
    const std::uint64_t c0 = ticks();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    const auto t1 = std::chrono::steady_clock::now();
    const std::uint64_t c1 = ticks();
    return std::chrono::duration<double, std::nano>(t1 - t0).count() /
           static_cast<double>(c1 - c0);
  }();
  return value;
}

// Histogram of hold times in ticks: linear buckets of 8 ticks up to 64K
// ticks, plus the maximum.
constexpr std::size_t kBucketTicks = 8;
constexpr std::size_t kBuckets = 8192;
struct histogram {
  std::array<std::uint64_t, kBuckets + 1> counts{};
  std::uint64_t max = 0;
  std::uint64_t sum = 0;
  void add(std::uint64_t t) {
    counts[std::min<std::size_t>(t / kBucketTicks, kBuckets)]++;
    max = std::max(max, t);
    sum += t;
  }
  void merge(const histogram& o) {
    for (std::size_t i = 0; i <= kBuckets; ++i) counts[i] += o.counts[i];
    max = std::max(max, o.max);
    sum += o.sum;
  }
};

std::mutex g_mu;
histogram g_total;

struct thread_timing {
  std::uint64_t stamps[64];
  int depth = 0;
  histogram h;
  ~thread_timing() {
    std::lock_guard<std::mutex> lock(g_mu);
    g_total.merge(h);
  }
};
thread_local thread_timing t_timing;

}  // namespace

void chan_lock_timing_acquired() noexcept {
  thread_timing& t = t_timing;
  if (t.depth < 64) t.stamps[t.depth] = ticks();
  ++t.depth;
}

void chan_lock_timing_released() noexcept {
  const std::uint64_t now = ticks();
  thread_timing& t = t_timing;
  --t.depth;
  if (t.depth >= 0 && t.depth < 64) t.h.add(now - t.stamps[t.depth]);
  if (t.depth < 0) t.depth = 0;
}

lock_hold_stats take_lock_hold_stats() {
  histogram h;
  {
    std::lock_guard<std::mutex> lock(g_mu);
    h = g_total;
    g_total = histogram{};
  }
  h.merge(t_timing.h);
  t_timing.h = histogram{};
  lock_hold_stats s;
  for (std::uint64_t c : h.counts) s.count += c;
  if (s.count == 0) return s;
  const double scale = ns_per_tick();
  auto percentile = [&](double q) {
    const auto want =
        static_cast<std::uint64_t>(q * static_cast<double>(s.count));
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i <= kBuckets; ++i) {
      seen += h.counts[i];
      if (seen > want)
        return static_cast<double>((i + 1) * kBucketTicks) * scale;
    }
    return static_cast<double>(h.max) * scale;
  };
  s.p50_ns = percentile(0.5);
  s.p99_ns = percentile(0.99);
  s.p999_ns = percentile(0.999);
  s.max_ns = static_cast<double>(h.max) * scale;
  s.mean_ns = static_cast<double>(h.sum) / static_cast<double>(s.count) * scale;
  return s;
}

}  // namespace goro::internal
