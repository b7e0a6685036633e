// goro::ticker: a time on a channel every period (Go's time.NewTicker).
//
//   goro::ticker tk(100ms);
//   for (;;) {
//     auto r = co_await goro::select(tk.c().recv_case(), done.recv_case());
//     if (r.index == 1) break;
//     poll_status();
//   }
//
// Contract:
//  - goro::ticker tk(period): sends the current time on tk.c() (capacity 1,
//    never closed) every period, starting one period from now. A reader
//    that falls behind loses ticks: while a tick waits unreceived, later
//    ones are dropped, and a late tick does not make the next one early.
//  - A period <= 0 throws std::invalid_argument("non-positive interval for
//    NewTicker") (Go panics with these words); reset with one throws
//    ("non-positive interval for Ticker.Reset").
//  - tk.stop(): no tick is sent after it returns, and none sent before it
//    can be received after it (Go 1.23). Does not close tk.c().
//  - tk.reset(period): stops, then ticks every `period` from now.
//  - Destroying a ticker stops it (a ticker nobody can stop would tick
//    forever). Move-only; a moved-from ticker throws std::logic_error.
//  - Created inside a G, of whose runtime it is part; see timer.h.
#ifndef GORO_TIMER_TICKER_H_
#define GORO_TIMER_TICKER_H_

#include <chrono>
#include <cstdint>
#include <utility>

#include "goro/chan/chan.h"
#include "goro/timer/internal/timer_state.h"
#include "goro/timer/timer.h"

namespace goro {

class ticker {
 public:
  template <class Rep, class Period>
  explicit ticker(std::chrono::duration<Rep, Period> period)
      : ticker(internal::duration_ns(period), 0) {}

  ticker(ticker&& other) noexcept : s_(std::exchange(other.s_, nullptr)) {}
  ticker& operator=(ticker&& other) noexcept;
  ~ticker();

  void stop();
  template <class Rep, class Period>
  void reset(std::chrono::duration<Rep, Period> period) {
    reset_ns(internal::duration_ns(period));
  }
  const chan<time_point>& c() const;

 private:
  ticker(std::int64_t period, int);
  void reset_ns(std::int64_t period);
  internal::timer_state* state(const char* what) const;

  internal::timer_state* s_;
};

}  // namespace goro

#endif  // GORO_TIMER_TICKER_H_
