// The channel example from README.md, kept compiling and passing as a test.
#include "goro/goro.h"

goro::task<int> pipeline() {
  auto nums = goro::make_chan<int>();   // unbuffered
  auto quit = goro::make_chan<int>(1);  // buffered, capacity 1
  goro::go(
      [](goro::chan<int> out) -> goro::task<> {
        for (int i = 1; i <= 3; ++i) co_await out.send(i);
        out.close();  // ends the receiver's loop
      },
      nums);
  int sum = 0;
  while (auto v = co_await nums.recv())
    sum += *v;  // Go's `for v := range nums`
  auto r = co_await goro::select(quit.recv_case(), goro::default_case());
  co_return r.index() == 1 ? sum : -1;  // nothing on quit: default fired
}

int main() { return goro::run(pipeline) == 6 ? 0 : 1; }
