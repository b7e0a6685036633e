#include <cstdio>

#include "goro/goro.h"

int add_one(int x) {
  goro::await(goro::yield());  // a fiber: the assembly switch links here too
  return x + 1;
}

int main() {
  int rc = goro::run([]() -> goro::task<int> {
    auto h = goro::co_spawn([]() -> goro::task<int> { co_return 41; });
    auto f = goro::co_spawn_stackful(add_one, co_await h);
    co_return co_await f == 42 ? 0 : 1;
  });
  if (rc == 0) std::puts("consumer: ok");
  return rc;
}
