// goro::chan<T>: Go's channel semantics (go-semantics.md, Channels).
#include "goro/chan/chan.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "goro/goro.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace {

using goro::chan;
using goro::make_chan;
using goro::task;

TEST(Chan, UnbufferedPingPong) {
  goro::runtime rt{goro::options{.procs = 1}};
  int got = rt.block_on([]() -> task<int> {
    auto ping = make_chan<int>();
    auto pong = make_chan<int>();
    goro::go([](chan<int> ping, chan<int> pong) -> task<> {
      while (auto v = co_await ping.recv()) co_await pong.send(*v + 1);
      pong.close();
    }, ping, pong);
    int x = 0;
    for (int i = 0; i < 1000; ++i) {
      co_await ping.send(x);
      x = *co_await pong.recv();
    }
    ping.close();
    auto last = co_await pong.recv();
    EXPECT_FALSE(last.has_value());
    co_return x;
  });
  EXPECT_EQ(got, 1000);
}

TEST(Chan, SelectBasic) {
  goro::runtime rt{goro::options{.procs = 2}};
  rt.block_on([]() -> task<> {
    auto a = make_chan<int>(1);
    auto b = make_chan<std::string>(1);
    co_await a.send(5);
    auto r = co_await goro::select(a.recv_case(), b.recv_case(),
                                   goro::default_case());
    EXPECT_EQ(r.index(), 0u);
    EXPECT_EQ(*r.value<0>(), 5);
    auto r2 = co_await goro::select(a.recv_case(), b.recv_case(),
                                    goro::default_case());
    EXPECT_EQ(r2.index(), 2u);
    goro::go([](chan<std::string> b) -> task<> {
      co_await b.send("hi");
    }, b);
    auto r3 = co_await goro::select(a.recv_case(), b.recv_case());
    EXPECT_EQ(r3.index(), 1u);
    EXPECT_EQ(*r3.value<1>(), "hi");
  });
}

}  // namespace
