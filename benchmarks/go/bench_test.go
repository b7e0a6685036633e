// Go counterparts of the goro C++ benchmarks (//benchmarks:goro_bench).
// Each benchmark reports ns/op; benchmarks/compare.py pairs them with the goro
// results. One op has the same meaning on both sides (see each comment).
//
//	GOFLAGS=-mod=mod GOPROXY=off go test -run xxx -bench . -count 5
package bench

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
)

// BenchmarkSpawnJoin: one op = spawn a goroutine that does nothing and wait
// for it to finish, sequentially from one goroutine. The per-goroutine done
// channel plays the role of goro's join handle
// (`h = co_spawn(empty); co_await h`).
func BenchmarkSpawnJoin(b *testing.B) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2)) // goro side: procs = 2
	for i := 0; i < b.N; i++ {
		done := make(chan struct{})
		go func() { close(done) }()
		<-done
	}
}

// BenchmarkGoCountdown: one op = one `go f()` from a single spawning
// goroutine, where f decrements a shared atomic counter; the goroutine that
// brings it to zero closes done, which the spawner waits on at the end.
func BenchmarkGoCountdown(b *testing.B) { goCountdown(b, 2) } // goro side: procs = 2

func goCountdown(b *testing.B, procs int) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
	remaining := int64(b.N)
	done := make(chan struct{})
	f := func() {
		if atomic.AddInt64(&remaining, -1) == 0 {
			close(done)
		}
	}
	for i := 0; i < b.N; i++ {
		go f()
	}
	<-done
}

// BenchmarkGoCountdownProcs1/2: BenchmarkGoCountdown at GOMAXPROCS 1 and
// 2 (goro's BM_GoCountdown1M, which spawns 1M Gs per batch).
func BenchmarkGoCountdownProcs1(b *testing.B) { goCountdown(b, 1) }
func BenchmarkGoCountdownProcs2(b *testing.B) { goCountdown(b, 2) }

//go:noinline
func ready(i int) int { return i }

var sink int

// BenchmarkCallReady: one op = one call of a non-inlined function returning
// an int (counterpart of co_await on a child task that completes at once).
func BenchmarkCallReady(b *testing.B) {
	s := 0
	for i := 0; i < b.N; i++ {
		s += ready(i)
	}
	sink = s
}

// BenchmarkYieldRoundTrip: one op = one round trip between two goroutines
// on a single P: each calls runtime.Gosched() once, handing the processor to
// the other.
func BenchmarkYieldRoundTrip(b *testing.B) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	var wg sync.WaitGroup
	wg.Add(2)
	yielder := func() {
		defer wg.Done()
		for i := 0; i < b.N; i++ {
			runtime.Gosched()
		}
	}
	b.ResetTimer()
	go yielder()
	go yielder()
	wg.Wait()
}

// skynet sends to out the sum of the numbers [num, num+size): leaves send
// their own number, inner nodes spawn div children and add up their results.
func skynet(out chan<- int, num, size, div int) {
	if size == 1 {
		out <- num
		return
	}
	results := make(chan int, div)
	step := size / div
	for i := 0; i < div; i++ {
		go skynet(results, num+i*step, step, div)
	}
	sum := 0
	for i := 0; i < div; i++ {
		sum += <-results
	}
	out <- sum
}

// BenchmarkSkynet: one op = one full skynet run: 1,000,000 leaf goroutines
// (1,111,111 in all), branching factor 10, results summed over channels.
// Runs with GOMAXPROCS=2, like the goro side.
func BenchmarkSkynet(b *testing.B) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	for i := 0; i < b.N; i++ {
		out := make(chan int, 1)
		go skynet(out, 0, 1000000, 10)
		if got := <-out; got != 499999500000 {
			b.Fatalf("skynet sum = %d, want 499999500000", got)
		}
	}
}

// fib computes fib(n) spawning a goroutine for fib(n-1) at every call with
// n >= 2, computing fib(n-2) inline and then joining the child.
func fib(n int) int {
	if n < 2 {
		return n
	}
	child := make(chan int, 1)
	go func() { child <- fib(n - 1) }()
	x := fib(n - 2)
	return x + <-child
}

func benchFib30(b *testing.B, procs int) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if got := fib(30); got != 832040 {
			b.Fatalf("fib(30) = %d, want 832040", got)
		}
	}
}

// BenchmarkFib30Procs1: one op = fib(30) as above (1,346,268 spawns) with
// GOMAXPROCS=1.
func BenchmarkFib30Procs1(b *testing.B) { benchFib30(b, 1) }

// BenchmarkFib30Procs2: one op = fib(30) as above with GOMAXPROCS=2.
func BenchmarkFib30Procs2(b *testing.B) { benchFib30(b, 2) }
