// The case objects that ch.recv_case(), ch.send_case(v) and
// goro::default_case() make for goro::select (chan/select.h).
//
// A case names its channel and, for a send, holds the value to send
// (evaluated once, when the case is made, whichever case fires). It also
// carries the waiter record and, for a receive, the result slot that the
// select links on the channel if it has to wait, so a blocked select lives
// entirely in its G's frame.
//
// Channel lifetime: a case made from an lvalue handle (`ch.recv_case()`)
// borrows the channel; the handle must outlive the select, as it does when
// the case is written inside the `co_await goro::select(...)` expression. A
// case made from an rvalue handle (`goro::after(d).recv_case()`,
// `std::move(ch).recv_case()`) takes the handle's reference with it.
#ifndef GORO_CHAN_INTERNAL_SELECT_CASES_H_
#define GORO_CHAN_INTERNAL_SELECT_CASES_H_

#include <optional>
#include <utility>
#include <variant>

#include "goro/chan/internal/hchan.h"
#include "goro/core/internal/waiter.h"

namespace goro::internal {

// The channel reference every channel case holds: borrowed or owned.
template <class T>
class case_channel {
 public:
  case_channel(hchan<T>* c, bool owned) noexcept : c_(c), owned_(owned) {}
  case_channel(case_channel&& o) noexcept
      : c_(o.c_), owned_(std::exchange(o.owned_, false)) {}
  case_channel& operator=(case_channel&&) = delete;
  ~case_channel() {
    if (owned_ && c_ != nullptr) c_->release();
  }
  hchan<T>* get() const noexcept { return c_; }

 private:
  hchan<T>* c_;
  bool owned_;
};

template <class T>
class recv_select_case {
 public:
  using value_type = T;
  using result_type = std::optional<T>;
  static constexpr bool is_send = false;
  static constexpr bool is_default = false;

  recv_select_case(hchan<T>* c, bool owned) noexcept : chan_(c, owned) {}
  // Moves only what a case has before its select starts (the channel); the
  // waiter record and the slot are the select's working storage.
  recv_select_case(recv_select_case&& o) noexcept : chan_(std::move(o.chan_)) {}

  hchan<T>* chan() const noexcept { return chan_.get(); }
  internal::waiter& record() noexcept { return w_; }
  void* slot() noexcept { return &slot_; }
  // Under the channel's lock, which the select's pass 1 holds.
  chan_attempt attempt(wake_token* peer) noexcept
      ABSL_NO_THREAD_SAFETY_ANALYSIS {
    return chan_.get()->recv_locked(slot_, peer);
  }
  result_type take_result() noexcept { return std::move(slot_); }

 private:
  case_channel<T> chan_;
  internal::waiter w_;
  std::optional<T> slot_;
};

template <class T>
class send_select_case {
 public:
  using value_type = T;
  using result_type = std::monostate;
  static constexpr bool is_send = true;
  static constexpr bool is_default = false;

  send_select_case(hchan<T>* c, bool owned, T v) noexcept
      : chan_(c, owned), value_(std::move(v)) {}
  send_select_case(send_select_case&& o) noexcept
      : chan_(std::move(o.chan_)), value_(std::move(o.value_)) {}

  hchan<T>* chan() const noexcept { return chan_.get(); }
  internal::waiter& record() noexcept { return w_; }
  void* slot() noexcept { return &value_; }
  // Under the channel's lock, which the select's pass 1 holds.
  chan_attempt attempt(wake_token* peer) noexcept
      ABSL_NO_THREAD_SAFETY_ANALYSIS {
    return chan_.get()->send_locked(value_, peer);
  }
  result_type take_result() noexcept { return {}; }

 private:
  case_channel<T> chan_;
  internal::waiter w_;
  T value_;
};

struct default_select_case {
  using result_type = std::monostate;
  static constexpr bool is_send = false;
  static constexpr bool is_default = true;
  result_type take_result() noexcept { return {}; }
};

}  // namespace goro::internal

#endif  // GORO_CHAN_INTERNAL_SELECT_CASES_H_
