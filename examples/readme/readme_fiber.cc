// The stackful example from README.md, kept compiling and passing as a test.
#include <chrono>
#include <vector>

#include "goro/goro.h"

using namespace std::chrono_literals;

struct node {
  int value;
  std::vector<node> kids;
};

// Ordinary recursive C++: no co_await anywhere, yet it waits.
void walk(const node& n, const goro::chan<int>& out) {
  out.send_blocking(n.value);  // on a fiber: suspends the fiber only
  for (const node& k : n.kids) walk(k, out);
}

int slow_square(int x) {
  goro::await(goro::sleep_for(1ms));  // any awaitable, from any depth
  return x * x;
}

goro::task<int> stackful() {
  const node tree{1, {{2, {{4, {}}}}, {3, {}}}};
  auto out = goro::make_chan<int>();
  goro::go_stackful([&tree, out] {  // a G with its own stack
    walk(tree, out);
    out.close();
  });
  int sum = 0;
  while (auto v = co_await out.recv()) sum += *v;  // a stackless G reads

  auto h = goro::co_spawn_stackful(slow_square, 7);
  int sq = co_await h;  // join a fiber like any G
  co_return sum == 10 && sq == 49 ? 0 : 1;
}

int main() { return goro::run(stackful); }
