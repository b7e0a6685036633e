// prime_sieve: the concurrent prime sieve, a pipeline of filter Gs.
//
//   bazel run //examples/chan:prime_sieve
//
// After the classic Go program (go.dev/doc/play/sieve.go): a generator G
// sends 2, 3, 4, ... down a channel; main takes the first number as a
// prime, starts a filter G that drops its multiples, and reads the next
// prime from that filter's output, daisy-chaining one filter per prime.
//
// Prints the first 100 primes (2 to 541), one per line. Like the Go program,
// main returns with the generator and the filters still blocked on their
// channels: goro::run then destroys those Gs with the runtime, as a Go
// program's exit discards its goroutines.
#include <cstdio>
#include <optional>

#include "goro/goro.h"

namespace {

constexpr int kPrimes = 100;

// Sends the sequence 2, 3, 4, ... to channel ch.
goro::task<> generate(goro::chan<int> ch) {
  for (int i = 2;; ++i) co_await ch.send(i);
}

// Copies the values from channel in to channel out, removing those
// divisible by prime.
goro::task<> filter(goro::chan<int> in, goro::chan<int> out, int prime) {
  for (;;) {
    int i = *co_await in.recv();  // nobody closes in: always a value
    if (i % prime != 0) co_await out.send(i);
  }
}

// The prime sieve: daisy-chains filter Gs.
goro::task<int> sieve() {
  goro::chan<int> ch = goro::make_chan<int>();
  goro::go(generate, ch);
  for (int i = 0; i < kPrimes; ++i) {
    int prime = *co_await ch.recv();
    std::printf("%d\n", prime);
    goro::chan<int> ch1 = goro::make_chan<int>();
    goro::go(filter, ch, ch1, prime);
    ch = ch1;
  }
  co_return 0;
}

}  // namespace

int main() { return goro::run(sieve); }
