// worker_pool: a pool of worker Gs taking jobs from one channel and sending
// results on another.
//
//   bazel run //examples/chan:worker_pool
//
// After Go by Example's "Worker Pools" (gobyexample.com/worker-pools): main
// queues five jobs on a buffered jobs channel and closes it; three workers
// range over the jobs, announce each one, and send twice its number on a
// buffered results channel, from which main collects five results.
//
// goro has no timers yet, so a job's "work" is a yield (Go's
// runtime.Gosched) instead of a one-second sleep: it lets the other workers
// pick up jobs meanwhile. Main also adds up the results and prints the sum.
// Every job is done exactly once; which worker does which, and the order of
// the lines, vary from run to run, as in Go.
#include <cstdio>

#include "goro/goro.h"

namespace {

constexpr int kJobs = 5;
constexpr int kWorkers = 3;

// Takes jobs until the jobs channel is closed and drained (Go's range).
goro::task<> worker(int id, goro::chan<int> jobs, goro::chan<int> results) {
  while (std::optional<int> j = co_await jobs.recv()) {
    std::printf("worker %d started  job %d\n", id, *j);
    co_await goro::yield();  // the work: Go by Example sleeps a second here
    std::printf("worker %d finished job %d\n", id, *j);
    co_await results.send(*j * 2);
  }
}

goro::task<int> app() {
  // Buffered for every job, so that main can queue them all up front.
  goro::chan<int> jobs = goro::make_chan<int>(kJobs);
  goro::chan<int> results = goro::make_chan<int>(kJobs);

  for (int w = 1; w <= kWorkers; ++w) goro::go(worker, w, jobs, results);

  for (int j = 1; j <= kJobs; ++j) co_await jobs.send(j);
  jobs.close();  // the workers' loops end once the queue is drained

  int sum = 0;
  for (int a = 1; a <= kJobs; ++a) sum += *co_await results.recv();
  std::printf("%d jobs done, results add up to %d\n", kJobs, sum);
  co_return 0;
}

}  // namespace

int main() { return goro::run(app); }
