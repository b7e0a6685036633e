// Go counterpart of goro's fiber benchmark BM_DeepRecursion (fiber_bench.cc).
// The other fiber workloads pair with existing goroutine benchmarks
// (SpawnJoin, YieldRoundTrip, ChanPingPongProcs1, ChanBlockedGMemory):
// every goroutine has a stack, so those are Go's figures for them.
//
//	GOFLAGS=-mod=mod GOPROXY=off go test -run xxx -bench DeepRecursion -count 5
package bench

import (
	"runtime"
	"testing"
)

//go:noinline
func recursePlain(n int) int64 {
	if n == 0 {
		runtime.Gosched()
		return 0
	}
	return recursePlain(n-1) + int64(n)
}

var deepSink int64

// BenchmarkDeepRecursion10k: one op = start a goroutine that recurses 10^4
// calls deep, yields once at the bottom and returns, and wait for it (the
// goro side starts a fiber per op). The goroutine's stack starts small and
// is grown by copying as it descends.
func BenchmarkDeepRecursion10k(b *testing.B) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1)) // goro side: procs = 1
	done := make(chan int64)
	for i := 0; i < b.N; i++ {
		go func() { done <- recursePlain(10000) }()
		deepSink += <-done
	}
}
