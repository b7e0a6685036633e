#include <atomic>

#include "goro/goro.h"
#include "gtest/gtest.h"

namespace {

goro::task<int> leaf(int x) { co_return x * 2; }

goro::task<int> parent() {
  int a = co_await leaf(1);
  auto h = goro::co_spawn(leaf, 20);
  int b = co_await h;
  co_return a + b;
}

TEST(Smoke, BlockOnSpawnJoin) {
  goro::runtime rt{goro::options{.procs = 2}};
  EXPECT_EQ(rt.block_on(parent), 42);
}

}  // namespace
