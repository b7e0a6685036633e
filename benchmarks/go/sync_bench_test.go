// Go counterparts of goro's sync benchmarks (BM_Mutex*, BM_WaitGroup*,
// BM_RWMutex* in //benchmarks:goro_bench, benchmarks/sync_bench.cc). Like
// bench_test.go, each reports ns/op with one op meaning the same as on the
// goro side (see each comment). Where the goro side runs a fixed batch, the
// Go side spreads b.N ops over the same number of goroutines.
//
//	GOFLAGS=-mod=mod GOPROXY=off go test -run xxx -bench 'Mutex|WaitGroup' -count 5
package bench

import (
	"runtime"
	"sync"
	"testing"
)

// BenchmarkMutexUncontended: one op = Lock + Unlock of a sync.Mutex that no
// other goroutine touches, from the benchmark goroutine (BM_MutexUncontended:
// co_await lock() + unlock() in one G). GOMAXPROCS=2.
func BenchmarkMutexUncontended(b *testing.B) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	var m sync.Mutex
	for i := 0; i < b.N; i++ {
		m.Lock()
		m.Unlock()
	}
}

// BenchmarkMutexTryLockThread: one op = a successful TryLock + Unlock of an
// uncontended sync.Mutex (BM_MutexTryLockThread: try_lock() + unlock() on a
// plain thread, the raw atomic cost).
func BenchmarkMutexTryLockThread(b *testing.B) {
	var m sync.Mutex
	for i := 0; i < b.N; i++ {
		if !m.TryLock() {
			b.Fatal("TryLock failed on a free mutex")
		}
		m.Unlock()
	}
}

// BenchmarkMutexContended1000: one op = one Lock + increment + Unlock of a
// mutex shared by 1000 goroutines, at the default GOMAXPROCS (the GOMAXPROCS
// environment variable, else the CPU count; 2 on the reference machine), as
// BM_MutexContended1000 runs 1000 Gs x 10,000 at goro's default procs, which
// is chosen the same way. The b.N increments are split evenly over the goroutines (the
// remainder to the first); they are started with a WaitGroup, waited on, and
// the final count is checked. Timed from the first spawn to the Wait's
// return.
func BenchmarkMutexContended1000(b *testing.B) {
	const goroutines = 1000
	var m sync.Mutex
	var wg sync.WaitGroup
	counter := 0
	for g := 0; g < goroutines; g++ {
		n := share(b.N, goroutines, g)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < n; i++ {
				m.Lock()
				counter++
				m.Unlock()
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	if counter != b.N {
		b.Fatalf("counter = %d, want %d", counter, b.N)
	}
}

func nothing() {}

// BenchmarkWaitGroupSpawn: one op = one goroutine started with wg.Add(1) and
// `go` and ending with wg.Done(), the benchmark goroutine spawning all b.N of
// them and then calling wg.Wait() (BM_WaitGroupSpawn: wg.go(f) for 1M Gs,
// then co_await wg.wait()). Go 1.19 has no WaitGroup.Go; this is what it
// does. GOMAXPROCS=2.
func BenchmarkWaitGroupSpawn(b *testing.B) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	var wg sync.WaitGroup
	for i := 0; i < b.N; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			nothing()
		}()
	}
	wg.Wait()
}

var readMostlySink int64

// BenchmarkRWMutexReadMostly: one op = one lock/unlock pair of a
// sync.RWMutex shared by 100 goroutines at GOMAXPROCS=2: 99% RLock, read the
// write count, RUnlock; 1% (every 100th op of each goroutine, i%100 == 99)
// Lock, increment it, Unlock (BM_RWMutexReadMostly: 100 Gs x 100,000 ops).
// The b.N ops are split evenly over the goroutines; the write count is
// checked.
func BenchmarkRWMutexReadMostly(b *testing.B) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	const goroutines = 100
	var rw sync.RWMutex
	var wg sync.WaitGroup
	var writes int64
	want := int64(0)
	for g := 0; g < goroutines; g++ {
		n := share(b.N, goroutines, g)
		want += int64(n / 100)
		wg.Add(1)
		go func() {
			defer wg.Done()
			var seen int64
			for i := 0; i < n; i++ {
				if i%100 == 99 {
					rw.Lock()
					writes++
					rw.Unlock()
				} else {
					rw.RLock()
					seen += writes
					rw.RUnlock()
				}
			}
			rw.Lock()
			readMostlySink += seen
			rw.Unlock()
		}()
	}
	wg.Wait()
	b.StopTimer()
	if writes != want {
		b.Fatalf("writes = %d, want %d", writes, want)
	}
}
