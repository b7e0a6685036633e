// The example from README.md, kept compiling and passing as a test.
#include <cstdio>

#include "goro/goro.h"

goro::task<long> fib(int n) {
  if (n < 2) co_return n;
  auto left = goro::co_spawn(fib, n - 1);  // a new G, runs in parallel
  long right = co_await fib(n - 2);        // a plain call in this G
  co_return co_await left + right;         // join: suspends, never blocks
}

goro::task<int> app() {
  long v = co_await fib(25);
  goro::go([v]() -> goro::task<> {  // fire and forget, like `go f()`
    std::printf("fib(25) = %ld from G %llu\n", v,
                (unsigned long long)goro::this_g::id());
    co_return;
  });
  co_await goro::yield();  // Gosched
  co_return v == 75025 ? 0 : 1;
}

int main() { return goro::run(app); }
