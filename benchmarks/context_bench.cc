// context/ benchmarks (goro only, no Go twin yet); same per_op contract as
// goro_bench.cc (seconds per op).
#include <cstdint>

#include "benchmark/benchmark.h"
#include "benchmarks/bench_util.h"
#include "goro/goro.h"

namespace {

// ---- with_cancel + cancel + drop, under a long-lived parent ----
// One op = one context: `depth` contexts derived in a chain from a
// cancelable parent (each linked into the one above), the top one
// canceled (done closed, err set, the chain canceled below it, the top
// unlinked from the parent), then every handle dropped (the nodes
// destroyed, leaf first). depth 1 is Go's
//   ctx, cancel := context.WithCancel(parent); cancel()
// No runtime: with_cancel needs none. One thread, so per_op is taken from
// its CPU time (no UseRealTime): other processes' load stays out of it.
void BM_ContextWithCancel(benchmark::State& state) {
  const int depth = static_cast<int>(state.range(0));
  auto [parent, cancel_parent] = goro::with_cancel(goro::background());
  for (auto _ : state) {
    auto [top, cancel] = goro::with_cancel(parent);
    goro::context leaf = top;
    for (int i = 1; i < depth; ++i) leaf = goro::with_cancel(leaf).first;
    cancel();
    benchmark::DoNotOptimize(leaf);
  }
  goro_bench::report_per_op(state, depth);
  cancel_parent();
}
BENCHMARK(BM_ContextWithCancel)->ArgName("depth")->Arg(1)->Arg(8);

}  // namespace
