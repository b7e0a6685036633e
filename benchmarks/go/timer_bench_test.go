// Go counterparts of goro's timer benchmarks (benchmarks/timer_bench.cc in
// //benchmarks:goro_bench). One op means the same as on the goro side (see
// each comment). GOMAXPROCS=2.
//
//	GOFLAGS=-mod=mod GOPROXY=off go test -run xxx -bench 'Sleep|Timer|SelectTimeout' -count 5
package bench

import (
	"math/rand"
	"runtime"
	"sort"
	"sync"
	"testing"
	"time"
)

// sleepLateness: b.N batches; each spawns n goroutines that sleep a random
// duration in [0, 10 ms) and record how late they woke; ns/op is the wall
// time of a batch (BM_SleepLateness/gs:n). Reported too: the mean and 99th
// percentile lateness over all sleepers, in ns ("ns-late-mean",
// "ns-late-p99"), which goro reports as late_mean / late_p99 (seconds).
func sleepLateness(b *testing.B, n int) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	var all []float64
	late := make([]float64, n)
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < b.N; i++ {
		var wg sync.WaitGroup
		wg.Add(n)
		for g := 0; g < n; g++ {
			d := time.Duration(rng.Int63n(int64(10 * time.Millisecond)))
			slot := &late[g]
			go func() {
				defer wg.Done()
				t0 := time.Now()
				time.Sleep(d)
				*slot = float64(time.Since(t0) - d)
			}()
		}
		wg.Wait()
		all = append(all, late...)
	}
	b.StopTimer()
	sum := 0.0
	for _, v := range all {
		sum += v
	}
	sort.Float64s(all)
	b.ReportMetric(sum/float64(len(all)), "ns-late-mean")
	b.ReportMetric(all[len(all)*99/100], "ns-late-p99")
}

func BenchmarkSleepLateness1000(b *testing.B)   { sleepLateness(b, 1000) }
func BenchmarkSleepLateness100000(b *testing.B) { sleepLateness(b, 100000) }

// BenchmarkTimerStartStop: one op = time.NewTimer(time.Hour) then Stop
// (BM_TimerStartStop: goro::timer t(1h); t.stop()).
func BenchmarkTimerStartStop(b *testing.B) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	for i := 0; i < b.N; i++ {
		t := time.NewTimer(time.Hour)
		if !t.Stop() {
			b.Fatal("Stop of a pending timer returned false")
		}
	}
}

// BenchmarkTimerResetStop: one op = Reset(time.Hour) then Stop of one timer
// (BM_TimerResetStop).
func BenchmarkTimerResetStop(b *testing.B) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	t := time.NewTimer(time.Hour)
	for i := 0; i < b.N; i++ {
		t.Reset(time.Hour)
		if !t.Stop() {
			b.Fatal("Stop of a pending timer returned false")
		}
	}
}

// BenchmarkSelectTimeoutNotFired: one op = a value sent on a buffered
// channel, a select over it and a fresh 1 s timer's channel (the channel
// wins), and the timer stopped (BM_SelectTimeoutNotFired).
func BenchmarkSelectTimeoutNotFired(b *testing.B) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	ch := make(chan int, 1)
	for i := 0; i < b.N; i++ {
		ch <- i
		t := time.NewTimer(time.Second)
		select {
		case <-ch:
		case <-t.C:
			b.Fatal("the timeout fired")
		}
		t.Stop()
	}
}
