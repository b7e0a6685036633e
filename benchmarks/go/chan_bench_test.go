// Go counterparts of goro's channel benchmarks (BM_Chan*, BM_Select* in
// //benchmarks:goro_bench). Like bench_test.go, each reports ns/op with one
// op meaning the same as on the goro side (see each comment);
// BenchmarkChanBlockedGMemory also reports a bytes/G metric.
//
//	GOFLAGS=-mod=mod GOPROXY=off go test -run xxx -bench 'Chan|Select' -count 5
package bench

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func benchChanPingPong(b *testing.B, procs int) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
	ping := make(chan int)
	pong := make(chan int)
	done := make(chan struct{})
	go func() { // the partner: echoes every ping until ping is closed
		for v := range ping {
			pong <- v
		}
		close(done)
	}()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ping <- i
		<-pong
	}
	b.StopTimer()
	close(ping)
	<-done
}

// BenchmarkChanPingPongProcs1: one op = one round trip over two unbuffered
// channels between the benchmark goroutine and a partner goroutine: send on
// ping, the partner receives it and sends it back on pong, receive from pong.
// GOMAXPROCS=1 (BM_ChanPingPong/procs:1). The partner is started before the
// timer and stopped after it.
func BenchmarkChanPingPongProcs1(b *testing.B) { benchChanPingPong(b, 1) }

// BenchmarkChanPingPongProcs2: as BenchmarkChanPingPongProcs1 with
// GOMAXPROCS=2 (BM_ChanPingPong/procs:2).
func BenchmarkChanPingPongProcs2(b *testing.B) { benchChanPingPong(b, 2) }

// share returns how many of n items worker w of workers handles: an even
// split, the remainder going to worker 0.
func share(n, workers, w int) int {
	s := n / workers
	if w == 0 {
		s += n % workers
	}
	return s
}

// BenchmarkChanBuffered4x4: one op = one int passed through a buffered
// channel (capacity 1024) shared by 4 producer and 4 consumer goroutines, at
// GOMAXPROCS=2. The producers send the b.N items 0..b.N-1 between them (an
// even split, the remainder to the first); the consumers receive until the
// channel is closed, which happens once every producer is done, and add up
// what they got; the total is checked. Timed from starting the goroutines to
// the last consumer finishing.
func BenchmarkChanBuffered4x4(b *testing.B) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	const producers, consumers = 4, 4
	ch := make(chan int, 1024)
	sums := make(chan int, consumers)
	var producing sync.WaitGroup
	b.ResetTimer()
	next := 0
	for p := 0; p < producers; p++ {
		lo, hi := next, next+share(b.N, producers, p)
		next = hi
		producing.Add(1)
		go func(lo, hi int) {
			defer producing.Done()
			for i := lo; i < hi; i++ {
				ch <- i
			}
		}(lo, hi)
	}
	for c := 0; c < consumers; c++ {
		go func() {
			sum := 0
			for v := range ch {
				sum += v
			}
			sums <- sum
		}()
	}
	producing.Wait()
	close(ch)
	total := 0
	for c := 0; c < consumers; c++ {
		total += <-sums
	}
	b.StopTimer()
	if want := b.N * (b.N - 1) / 2; total != want {
		b.Fatalf("sum = %d, want %d", total, want)
	}
}

// BenchmarkSelectFanIn8: one op = one int received by a select over 8
// receive cases, at GOMAXPROCS=2. Eight producer goroutines each send their
// share of the b.N items (an even split, the remainder to the first) on an
// unbuffered channel of their own; the benchmark goroutine selects over the
// eight channels until it has received b.N items.
func BenchmarkSelectFanIn8(b *testing.B) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	const producers = 8
	var chs [producers]chan int
	for i := range chs {
		chs[i] = make(chan int)
	}
	b.ResetTimer()
	for p := 0; p < producers; p++ {
		go func(ch chan<- int, n int) {
			for i := 0; i < n; i++ {
				ch <- i
			}
		}(chs[p], share(b.N, producers, p))
	}
	for received := 0; received < b.N; received++ {
		select {
		case <-chs[0]:
		case <-chs[1]:
		case <-chs[2]:
		case <-chs[3]:
		case <-chs[4]:
		case <-chs[5]:
		case <-chs[6]:
		case <-chs[7]:
		}
	}
}

const (
	blockedGs = 100000
	// Set in the environment of the child process that measures.
	blockedGChildEnv = "GORO_BENCH_BLOCKED_G_CHILD"
	// Prefix of the child's result line on stdout.
	blockedGResult = "blocked-g-bytes-per-g: "
)

// rss returns this process's resident set size in bytes (/proc/self/statm,
// as the goro side reads it).
func rss() (int64, error) {
	data, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0, err
	}
	fields := strings.Fields(string(data))
	if len(fields) < 2 {
		return 0, fmt.Errorf("/proc/self/statm: %q", data)
	}
	pages, err := strconv.ParseInt(fields[1], 10, 64)
	if err != nil {
		return 0, err
	}
	return pages * int64(os.Getpagesize()), nil
}

// measureBlockedG starts blockedGs goroutines blocked receiving from one
// unbuffered channel and returns the growth of RSS per goroutine.
func measureBlockedG() (float64, error) {
	runtime.GOMAXPROCS(2)
	before, err := rss()
	if err != nil {
		return 0, err
	}
	ch := make(chan int)
	var blocked, exited sync.WaitGroup
	blocked.Add(blockedGs)
	exited.Add(blockedGs)
	for i := 0; i < blockedGs; i++ {
		go func() {
			defer exited.Done()
			blocked.Done()
			<-ch
		}()
	}
	blocked.Wait()
	time.Sleep(20 * time.Millisecond) // the last ones get from Done to <-ch
	after, err := rss()
	if err != nil {
		return 0, err
	}
	close(ch)
	exited.Wait()
	return float64(after-before) / blockedGs, nil
}

// TestChanBlockedGMemoryChild is not a test: BenchmarkChanBlockedGMemory
// runs the test binary again with only this test selected and
// blockedGChildEnv set, and reads the measurement from its stdout. Without
// that variable it does nothing.
func TestChanBlockedGMemoryChild(t *testing.T) {
	if os.Getenv(blockedGChildEnv) == "" {
		t.Skip("run by BenchmarkChanBlockedGMemory")
	}
	perG, err := measureBlockedG()
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("%s%g\n", blockedGResult, perG)
}

// BenchmarkChanBlockedGMemory: memory per goroutine blocked on a channel,
// reported as the bytes/G metric (BM_ChanBlockedGMemory's bytes_per_g):
// the growth of RSS (/proc/self/statm) while 100,000 goroutines are blocked
// in <-ch on one shared unbuffered channel, divided by 100,000, at
// GOMAXPROCS=2. Each goroutine signals a WaitGroup right before blocking;
// RSS is read 20 ms after the last one has (as on the goro side).
//
// One op = one whole measurement, each in a fresh child process (this test
// binary, running only TestChanBlockedGMemoryChild): in this process, the
// stacks and g structs of goroutines that earlier benchmarks or iterations
// left behind would be reused and the RSS delta would come out near zero.
// bytes/G is the mean over the b.N measurements, so it does not depend on
// b.N; ns/op (a child's start-up, measurement and exit) means little.
func BenchmarkChanBlockedGMemory(b *testing.B) {
	exe, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	total := 0.0
	for i := 0; i < b.N; i++ {
		cmd := exec.Command(exe, "-test.run=^TestChanBlockedGMemoryChild$",
			"-test.count=1")
		cmd.Env = append(os.Environ(), blockedGChildEnv+"=1", "GOMAXPROCS=2")
		cmd.Stderr = os.Stderr
		out, err := cmd.Output()
		if err != nil {
			b.Fatalf("measuring child: %v\n%s", err, out)
		}
		k := bytes.Index(out, []byte(blockedGResult))
		if k < 0 {
			b.Fatalf("measuring child printed no result:\n%s", out)
		}
		line := out[k+len(blockedGResult):]
		if j := bytes.IndexByte(line, '\n'); j >= 0 {
			line = line[:j]
		}
		perG, err := strconv.ParseFloat(string(line), 64)
		if err != nil {
			b.Fatalf("measuring child: %v", err)
		}
		total += perG
	}
	b.ReportMetric(total/float64(b.N), "bytes/G")
}
