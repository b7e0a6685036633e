#include <cstdio>

#include "goro/goro.h"

int main() {
  int rc = goro::run([]() -> goro::task<int> {
    auto h = goro::co_spawn([]() -> goro::task<int> { co_return 41; });
    co_return (co_await h) + 1 == 42 ? 0 : 1;
  });
  if (rc == 0) std::puts("consumer: ok");
  return rc;
}
