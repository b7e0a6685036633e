// ping_pong: two Gs hit a ball back and forth over an unbuffered channel.
//
//   bazel run //examples/chan:ping_pong
//
// After the ping-pong program of Sameer Ajmani's talk "Advanced Go
// Concurrency Patterns" (Google I/O 2013): two players share one unbuffered
// "table" channel; each takes the ball, counts a hit, prints it and puts the
// ball back; main tosses the ball in and later grabs it to end the game.
//
// goro has no timers yet, so the game lasts a fixed number of hits instead of
// one second: the player who makes the last hit hands the ball to main over a
// second channel, and main closes the table to send the other player home.
//
// The table is unbuffered, so a hit is a rendezvous: a player's send
// completes only when the other player takes the ball, and the two strictly
// alternate. "ping" comes to the table first and takes the toss, so the
// output is always the same: ping 1, pong 2, ..., pong 10, game over.
#include <cstdio>
#include <string>

#include "goro/goro.h"

namespace {

constexpr int kHits = 10;  // the length of the game

struct ball {
  int hits = 0;
};

// Takes the ball from the table, hits it and puts it back, until the table
// is closed. The player making hit number `last` gives the ball to the
// referee instead. Parameters by value: the G outlives its spawner's frame.
goro::task<> player(std::string name, goro::chan<ball> table,
                    goro::chan<ball> referee, int last) {
  while (std::optional<ball> b = co_await table.recv()) {
    b->hits++;
    std::printf("%s %d\n", name.c_str(), b->hits);
    if (b->hits == last) {
      co_await referee.send(*b);  // game over
    } else {
      co_await table.send(*b);  // waits until the other player takes it
    }
  }
}

goro::task<int> game() {
  goro::chan<ball> table = goro::make_chan<ball>();
  goro::chan<ball> referee = goro::make_chan<ball>();

  auto ping = goro::co_spawn(player, "ping", table, referee, kHits);
  co_await table.send(ball{});  // game on: toss the ball; only ping is there
  auto pong = goro::co_spawn(player, "pong", table, referee, kHits);

  ball b = *co_await referee.recv();  // game over: grab the ball
  table.close();                      // both players leave the table
  co_await ping;
  co_await pong;
  std::printf("game over after %d hits\n", b.hits);
  co_return 0;
}

}  // namespace

int main() { return goro::run(game); }
