// fan_in: several generator Gs multiplexed onto one channel with select.
//
//   bazel run //examples/chan:fan_in
//
// After the fanIn example of Rob Pike's talk "Go Concurrency Patterns"
// (Google I/O 2012): two "boring" talkers each send numbered lines on their
// own channel; a fan-in G selects over both and forwards whatever arrives to
// a single channel, from which main prints ten lines and leaves.
//
// Differences: goro has no timers yet, so a talker yields instead of sleeping
// a random while; and each talker says a fixed number of lines and then
// closes its channel, so fan_in can stop (setting a closed input to the nil
// channel, whose select case never fires, Go's idiom) and close its output,
// and main reads until that is closed. Every line arrives exactly once, each
// talker's in order; how the two talkers interleave varies from run to run,
// as in Go.
#include <cstdio>
#include <optional>
#include <string>
#include <utility>

#include "goro/goro.h"

namespace {

constexpr int kLines = 5;  // lines per talker

// Returns a channel on which a new G says "<msg> 0", "<msg> 1", ... and then
// closes it. The coroutine lambda captures nothing: everything it uses is a
// by-value parameter, kept alive by the G.
goro::chan<std::string> boring(std::string msg, int lines) {
  goro::chan<std::string> c = goro::make_chan<std::string>();
  goro::go(
      [](std::string msg, int lines,
         goro::chan<std::string> c) -> goro::task<> {
        for (int i = 0; i < lines; ++i) {
          std::string line = msg + " " + std::to_string(i);
          co_await c.send(std::move(line));
          co_await goro::yield();  // Go sleeps a random while here
        }
        c.close();
      },
      std::move(msg), lines, c);
  return c;
}

// Returns a channel that carries everything input1 and input2 carry, in the
// order it arrives, and is closed once both inputs are.
goro::chan<std::string> fan_in(goro::chan<std::string> input1,
                               goro::chan<std::string> input2) {
  goro::chan<std::string> c = goro::make_chan<std::string>();
  goro::go(
      [](goro::chan<std::string> input1, goro::chan<std::string> input2,
         goro::chan<std::string> c) -> goro::task<> {
        while (input1 || input2) {  // until both are nil
          auto r =
              co_await goro::select(input1.recv_case(), input2.recv_case());
          if (r.index() == 0) {
            if (std::optional<std::string>& s = r.value<0>()) {
              co_await c.send(std::move(*s));
            } else {
              input1 = {};  // closed: a nil channel's case never fires
            }
          } else {
            if (std::optional<std::string>& s = r.value<1>()) {
              co_await c.send(std::move(*s));
            } else {
              input2 = {};
            }
          }
        }
        c.close();
      },
      std::move(input1), std::move(input2), c);
  return c;
}

goro::task<int> app() {
  goro::chan<std::string> c =
      fan_in(boring("Joe", kLines), boring("Ann", kLines));
  while (std::optional<std::string> s = co_await c.recv()) {
    std::printf("%s\n", s->c_str());
  }
  std::printf("You're both boring; I'm leaving.\n");
  co_return 0;
}

}  // namespace

int main() { return goro::run(app); }
