// Channel operations allocate nothing in the steady state: a blocked
// operation's waiter record lives in the awaiting frame (issue: "no
// allocation per operation"). Global operator new is replaced here to count.
// Sanitizer runtimes linked statically (clang's) define operator new
// themselves, so under a sanitizer the test is skipped; the plain g++ and
// clang builds run it.
#include <atomic>
#include <cstdlib>
#include <new>

#include "goro/goro.h"
#include "gtest/gtest.h"
#include "tests/alloc_counter.h"
#include "tests/test_util.h"

namespace {

using alloc_counter::allocations;
using alloc_counter::counting;

using goro::chan;
using goro::task;

task<void> echo(chan<int> in, chan<int> out) {
  while (auto v = co_await in.recv()) co_await out.send(*v);
  out.close();
}

task<long> workload(chan<int> ping, chan<int> pong, chan<int> buffered,
                    int rounds) {
  long sum = 0;
  for (int i = 0; i < rounds; ++i) {
    co_await ping.send(i);         // blocks until echo takes it
    sum += *co_await pong.recv();  // blocks until echo answers
    co_await buffered.send(i);     // never blocks (cap 4)
    auto r = co_await goro::select(buffered.recv_case(), pong.recv_case());
    sum += *r.value<0>();
  }
  co_return sum;
}

TEST(ChanAlloc, SteadyStateOperationsDoNotAllocate) {
  if (goro_test::kSanitizer) {
    GTEST_SKIP() << "operator new belongs to the sanitizer runtime here";
  }
  goro::runtime rt{goro::options{.procs = 1}};
  rt.block_on([]() -> task<> {
    auto ping = goro::make_chan<int>();
    auto pong = goro::make_chan<int>();
    auto buffered = goro::make_chan<int>(4);
    auto partner = goro::co_spawn(echo, ping, pong);
    // Warm up: frames of `workload` and the scheduler's caches.
    EXPECT_EQ(co_await workload(ping, pong, buffered, 100), 2 * 4950);
    auto w = workload(ping, pong, buffered, 10000);  // frame made here
    counting.store(true);
    const long sum = co_await std::move(w);
    counting.store(false);
    EXPECT_EQ(sum, 2L * 10000 * 9999 / 2);
    EXPECT_EQ(allocations.load(), 0)
        << "channel operations allocated in the steady state";
    ping.close();
    co_await partner;
  });
}

}  // namespace
