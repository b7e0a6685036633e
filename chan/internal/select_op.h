// The awaiter behind `co_await goro::select(cases...)`: Go's selectgo.
//
// Pass 1 (await_ready). Collect the non-nil channel cases ("slots") and
// lock their channels. First with try_lock, in argument order: a try never
// waits, so it cannot deadlock, and an uncontended select skips the sort.
// If a lock is busy, or a channel appears twice (its second try fails), the
// select lets go and locks the distinct channels sorted by address, Go's
// lockorder: two selects over the same channels then lock them in the same
// order, so they cannot deadlock each other. Try the slots in a
// uniformly random order (Fisher-Yates over one 64-bit random): the first
// that can proceed fires, so among the ready cases each is chosen with
// equal probability. A send slot on a closed channel counts as ready and
// throws, as in Go. With nothing ready, a default case fires; without one,
// the locks stay held and the G parks.
//
// Pass 2 (commit_select, on the M after the frame is suspended). Link one
// waiter record per slot on its channel, in the random order of pass 1, all
// sharing one select_state, then release the locks in reverse lock order.
// The first peer to dequeue one of the records and win select_state::done
// fires that case (core/internal/waiter.h, "Select").
//
// Pass 3 (await_resume, once woken). Unlink the records that did not fire,
// taking each channel's lock in turn.
//
// Why pass 2 may read the awaiter while it releases the locks although a
// peer may already have woken the G: the winning record is on a channel
// that pass 2 has already unlocked, so the first channel locked, the last
// one unlocked, carries a record that did not fire (the locked channels are
// distinct, and each carries a record). Pass 3
// locks the channel of every such record, so the G cannot get past pass 3,
// let alone free its frame, before that last unlock. Pass 2 reads the last
// channel's address before unlocking it and touches nothing afterwards.
// (This is why pass 3 always takes the lock rather than peeking at the
// records' state.)
//
// Nil cases are left out. With no channel case left: a default fires at
// once, else the G parks forever (Go's block()).
#ifndef GORO_CHAN_INTERNAL_SELECT_OP_H_
#define GORO_CHAN_INTERNAL_SELECT_OP_H_

#include <array>
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>

#include "absl/base/thread_annotations.h"
#include "goro/chan/internal/chan_ops.h"
#include "goro/chan/internal/hchan.h"
#include "goro/chan/internal/select_cases.h"
#include "goro/core/internal/waiter.h"

namespace goro {
template <class... Cases>
class select_result;  // goro/chan/select.h
}  // namespace goro

namespace goro::internal {

// One non-nil channel case of a select.
struct select_slot {
  hchan_base* c;
  waiter* w;
  void* slot;
  std::uint32_t case_index;
  bool is_send;
};

// Under the channel's lock: false if the slot's operation would surely
// block, so that pass 1 skips it without the typed attempt. (A queue may
// hold only records of selects that already fired elsewhere; then this
// says true and the attempt finds out.)
inline bool may_proceed(const select_slot& s) noexcept
    ABSL_NO_THREAD_SAFETY_ANALYSIS {
  const hchan_base* c = s.c;
  if (c->closed) return true;
  const std::size_t n = c->qcount.load(std::memory_order_relaxed);
  return s.is_send ? (!c->recvq.empty() || n < c->cap)
                   : (!c->sendq.empty() || n > 0);
}

// What the non-template passes work on. Lives in the select awaiter.
struct select_core {
  select_state sel;
  select_slot* slots = nullptr;
  hchan_base** order = nullptr;
  // The random poll order of pass 1; pass 2 links the records in the same
  // order, so when several cases of one select wait on the same channel,
  // which of them a peer finds first is random too (Go's lockorder is a
  // heap sort of the random pollorder, with the same effect).
  std::uint32_t* perm = nullptr;
  std::uint32_t nslots = 0;
  std::uint32_t nlocks = 0;
};

// chan.cc
std::uint64_t fastrand64() noexcept;
// Sorts `order` by address, drops duplicates, returns the count.
// Locks the distinct channels among order[0..n) (see pass 1) and returns
// how many there are; order[0..result) then lists them as locked.
std::uint32_t lock_select(hchan_base** order, std::uint32_t n) noexcept;
void unlock_all(hchan_base* const* order, std::uint32_t n) noexcept;
// Uniform random numbers below small bounds, several per fastrand64():
// the high word of r * bound is uniform in [0, bound) up to a bias of
// bound / 2^64, and the low word is the randomness left for the next roll
// (Lemire's "batched dice rolls"; no 64-bit divide, which costs ~40
// cycles). A fresh random is drawn once the bounds rolled so far multiply
// past 2^32, keeping the bias below 2^-32.
class dice {
 public:
  std::uint32_t roll(std::uint32_t bound) noexcept {
    used_ *= bound;
    if (used_ > (std::uint64_t{1} << 32)) {
      r_ = fastrand64();
      used_ = bound;
    }
    const __uint128_t m = static_cast<__uint128_t>(r_) * bound;
    r_ = static_cast<std::uint64_t>(m);
    return static_cast<std::uint32_t>(m >> 64);
  }

 private:
  std::uint64_t r_ = 0;
  std::uint64_t used_ = ~std::uint64_t{0};  // forces a draw on first roll
};
g* commit_select(void* core, g* gp);
// Pass 3: takes every record of the select off its channel (the winner, off
// its queue already, consumes its grant). Also the teardown cancel.
void unlink_select(select_core* core) noexcept;
// Whether pass 2 ran and pass 3 has not: some record is not idle (a select
// record leaves `idle` only when pass 2 links it, and every record is idle
// again after pass 3).
bool select_parked(const select_core* core) noexcept;
[[noreturn]] void throw_select_value_of_unfired(std::size_t wanted,
                                                std::size_t fired);

template <class... Cases>
class [[nodiscard]] select_awaiter {
  static constexpr std::size_t kCases = sizeof...(Cases);
  static constexpr std::size_t kDefaults =
      (std::size_t{0} + ... + (Cases::is_default ? 1 : 0));
  static_assert(kDefaults <= 1, "goro::select: at most one default_case()");
  static_assert(kCases < 65536, "goro::select: too many cases");
  static constexpr std::size_t kSlots = kCases - kDefaults;
  static constexpr std::size_t kNotFired = ~std::size_t{0};

  static constexpr std::size_t default_index() {
    std::size_t i = 0, found = kNotFired;
    ((Cases::is_default ? (found = i, ++i) : ++i), ...);
    return found;
  }

 public:
  using result_type = goro::select_result<Cases...>;

  explicit select_awaiter(Cases&&... cases) noexcept
      : cases_(std::move(cases)...) {}
  select_awaiter(const select_awaiter&) = delete;
  select_awaiter& operator=(const select_awaiter&) = delete;
  // A select that fired (fired_ set: at once, or after its wake-up and
  // pass 3) has no record left linked; only one whose frame dies while it
  // waits (teardown) does, and the records' states say which.
  ~select_awaiter() {
    if (fired_ == kNotFired && select_parked(&core_)) unlink_select(&core_);
  }

  // Pass 1 takes the channels' locks and pass 2 (or an error) releases
  // them: across calls, beyond the thread-safety analysis.
  bool await_ready() ABSL_NO_THREAD_SAFETY_ANALYSIS {
    if (started_) throw_awaited_twice("a select");
    started_ = true;
    collect(std::index_sequence_for<Cases...>{});
    if (core_.nslots == 0) {
      if constexpr (kDefaults == 1) {
        fired_ = default_index();
        return true;
      }
      return false;  // nothing can ever fire: park forever
    }
    if constexpr (kSlots > 0) {
      core_.nlocks = lock_select(core_.order, core_.nlocks);
      // Go's pollorder, shuffled lazily (Fisher-Yates one step at a time):
      // when some case is ready, the select usually stops after a roll or
      // two; when none is, the whole order is random, and pass 2 uses it.
      for (std::uint32_t k = 0; k < core_.nslots; ++k) perm_[k] = k;
      dice d;
      for (std::uint32_t k = 0; k < core_.nslots; ++k) {
        const std::uint32_t left = core_.nslots - k;
        if (left > 1) std::swap(perm_[k], perm_[k + d.roll(left)]);
        const select_slot& s = slots_[perm_[k]];
        if (!may_proceed(s)) continue;
        wake_token peer;
        const chan_attempt r =
            attempt(s.case_index, &peer, std::index_sequence_for<Cases...>{});
        if (r == chan_attempt::blocked) continue;
        unlock_all(core_.order, core_.nlocks);
        if (r == chan_attempt::closed && s.is_send) throw_send_on_closed();
        if (peer) wake(peer);
        fired_ = s.case_index;
        return true;
      }
      if constexpr (kDefaults == 1) {
        unlock_all(core_.order, core_.nlocks);
        fired_ = default_index();
        return true;
      }
    }
    return false;  // every channel still locked: commit_select unlocks
  }

  template <class Promise>
  void await_suspend(std::coroutine_handle<Promise> h)
      ABSL_NO_THREAD_SAFETY_ANALYSIS {
    if (!runs_as_g(h)) {
      if (core_.nslots != 0) unlock_all(core_.order, core_.nlocks);
      throw_not_in_g("co_await goro::select(...)");
    }
    if (core_.nslots == 0) {  // only nil channels, or no case at all
      park_on(h, &park_forever, nullptr,
              kCases == 0 ? wait_reason::select_no_cases : wait_reason::select);
      return;
    }
    park_on(h, &commit_select, &core_, wait_reason::select);
  }

  result_type await_resume() {
    if (fired_ == kNotFired) {  // woken by a peer
      waiter* win = core_.sel.winner;
      fired_ = win->case_index;
      unlink_select(&core_);
      if (!win->success && is_send_case(fired_)) throw_send_on_closed();
    }
    result_type r;
    take(r, std::index_sequence_for<Cases...>{});
    return r;
  }

 private:
  template <std::size_t... I>
  void collect(std::index_sequence<I...>) noexcept {
    core_.slots = slots_.data();
    core_.order = order_.data();
    core_.perm = perm_.data();
    std::uint32_t n = 0;
    (collect_one<I>(n), ...);
    core_.nslots = n;
    core_.nlocks = n;  // until lock_select drops duplicates
  }
  template <std::size_t I>
  void collect_one(std::uint32_t& n) noexcept {
    using C = std::tuple_element_t<I, std::tuple<Cases...>>;
    if constexpr (!C::is_default) {
      C& c = std::get<I>(cases_);
      if (c.chan() != nullptr) {
        slots_[n] = select_slot{c.chan(), &c.record(), c.slot(),
                                static_cast<std::uint32_t>(I), C::is_send};
        order_[n] = c.chan();
        ++n;
      }
    }
  }

  template <std::size_t... I>
  chan_attempt attempt(std::uint32_t index, wake_token* peer,
                       std::index_sequence<I...>) noexcept {
    chan_attempt r = chan_attempt::blocked;
    ((index == I ? (void)(r = attempt_one<I>(peer)) : void()), ...);
    return r;
  }
  template <std::size_t I>
  chan_attempt attempt_one(wake_token* peer) noexcept {
    using C = std::tuple_element_t<I, std::tuple<Cases...>>;
    if constexpr (C::is_default) {
      return chan_attempt::blocked;
    } else {
      return std::get<I>(cases_).attempt(peer);
    }
  }

  static constexpr bool is_send_case(std::size_t index) {
    std::size_t i = 0;
    bool send = false;
    ((i++ == index ? (void)(send = Cases::is_send) : void()), ...);
    return send;
  }

  template <std::size_t... I>
  void take(result_type& r, std::index_sequence<I...>) {
    ((fired_ == I
          ? (void)r.v_.template emplace<I>(std::get<I>(cases_).take_result())
          : void()),
     ...);
  }

  std::tuple<Cases...> cases_;
  select_core core_;
  std::array<select_slot, kSlots> slots_;
  std::array<hchan_base*, kSlots> order_;
  std::array<std::uint32_t, kSlots> perm_;
  std::size_t fired_ = kNotFired;
  bool started_ = false;
};

}  // namespace goro::internal

#endif  // GORO_CHAN_INTERNAL_SELECT_OP_H_
