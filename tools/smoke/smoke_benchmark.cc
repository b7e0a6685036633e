#include <string>

#include "benchmark/benchmark.h"

static void BM_StringAppend(benchmark::State& state) {
  for (auto _ : state) {
    std::string s;
    s += "goro";
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK(BM_StringAppend);
