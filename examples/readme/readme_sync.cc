// The sync example from README.md, kept compiling and passing as a test.
#include "goro/goro.h"

goro::task<int> tally() {
  goro::mutex mu;
  goro::wait_group wg;
  goro::once init;
  long hits = 0;
  for (int i = 0; i < 100; ++i) {
    wg.go([&]() -> goro::task<> {                // add(1), spawn, done()
      co_await init.call([&] { hits = 1000; });  // runs once, others wait
      auto guard = co_await mu.scoped_lock();    // unlocked when guard dies
      ++hits;
    });
  }
  co_await wg.wait();  // suspends, never blocks
  co_return hits == 1100 ? 0 : 1;
}

int main() { return goro::run(tally); }
