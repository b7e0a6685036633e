// The timers and context example from README.md, kept compiling and
// passing as a test.
#include <chrono>

#include "goro/goro.h"

using namespace std::chrono_literals;

goro::task<int> fetch(goro::context ctx, goro::chan<int> replies) {
  co_await goro::sleep_for(50ms);  // a slow backend
  auto r = co_await goro::select(replies.send_case(42), ctx.done().recv_case());
  co_return r.index() == 0 ? 0 : 1;
}

goro::task<int> deadlines() {
  auto replies = goro::make_chan<int>();
  auto [ctx, cancel] = goro::with_timeout(goro::background(), 10ms);
  auto h = goro::co_spawn(fetch, ctx, replies);
  auto r = co_await goro::select(replies.recv_case(), ctx.done().recv_case());
  const bool timed_out = r.index() == 1 && ctx.err() == goro::deadline_exceeded;
  cancel();               // always: frees the timer
  co_await std::move(h);  // fetch saw ctx.done() too
  co_return timed_out ? 0 : 1;
}

int main() { return goro::run(deadlines); }
