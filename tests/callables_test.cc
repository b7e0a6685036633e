// Every kind of callable that go / co_spawn / block_on accept ("a callable
// plus arguments where f(args...) returns goro::task<T>"): function pointers
// and references, lambdas (captureless, capturing, mutable, noexcept,
// generic), functors with any cv/ref/noexcept qualification of operator(),
// std::function, and parameters taken by value, const&, && and &.
//
// Callables whose operator() is non-const noexcept or ref-qualified (and
// mutable noexcept lambdas) exercise the "skip the wrapper frame"
// classification in goro/runtime/internal/root_task.h, which once failed to
// compile for them.
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "goro/goro.h"
#include "gtest/gtest.h"

namespace {

goro::task<int> by_value(int x, std::string s) {
  co_await goro::yield();
  co_return x + static_cast<int>(s.size());
}
goro::task<int> by_cref(const std::string& s) {
  co_await goro::yield();
  co_return static_cast<int>(s.size());
}
goro::task<int> by_rref(std::string&& s) {
  co_await goro::yield();
  co_return static_cast<int>(s.size());
}
goro::task<int> by_lref(int& x) {
  co_await goro::yield();
  co_return ++x;
}
goro::task<int> by_value_noexcept(int x) noexcept { co_return x; }

// Empty functors, one per qualification of operator().
struct f_const {
  goro::task<int> operator()(int x) const { co_return x; }
};
struct f_mutable {
  goro::task<int> operator()(int x) { co_return x; }
};
struct f_const_noexcept {
  goro::task<int> operator()(int x) const noexcept { co_return x; }
};
struct f_mutable_noexcept {
  goro::task<int> operator()(int x) noexcept { co_return x; }
};
struct f_const_lref {
  goro::task<int> operator()(int x) const& { co_return x; }
};
struct f_rref {
  goro::task<int> operator()(int x) && { co_return x; }
};
struct f_const_rref_noexcept {
  goro::task<int> operator()(int x) const&& noexcept { co_return x; }
};
struct f_overloaded {
  goro::task<int> operator()(int x) const { co_return x; }
  goro::task<int> operator()(int x, int y) const { co_return x + y; }
};
struct f_cref_param {
  goro::task<int> operator()(const std::string& s) const {
    co_await goro::yield();
    co_return static_cast<int>(s.size());
  }
};
// A functor with state (not empty): always kept alive in the G.
struct f_stateful {
  std::string prefix;
  goro::task<int> operator()(int x) const {
    co_await goro::yield();
    co_return x + static_cast<int>(prefix.size());
  }
};

class Callables : public ::testing::Test {
 protected:
  goro::runtime rt{goro::options{.procs = 2}};
};

TEST_F(Callables, FunctionPointersAndReferences) {
  EXPECT_EQ(rt.block_on(by_value, 1, std::string("abc")), 4);
  EXPECT_EQ(rt.block_on(&by_value, 1, "abcd"), 5);
  std::string s(10, 'x');
  EXPECT_EQ(rt.block_on(by_cref, s), 10);
  EXPECT_EQ(rt.block_on(by_cref, std::string(11, 'x')), 11);
  EXPECT_EQ(rt.block_on(by_rref, std::string(12, 'x')), 12);
  int counter = 5;
  EXPECT_EQ(rt.block_on(by_lref, std::ref(counter)), 6);
  EXPECT_EQ(counter, 6);
  EXPECT_EQ(rt.block_on(by_value_noexcept, 7), 7);
  auto& fref = by_value;
  EXPECT_EQ(rt.block_on(fref, 1, std::string("ab")), 3);
}

TEST_F(Callables, Lambdas) {
  EXPECT_EQ(rt.block_on([](int x) -> goro::task<int> { co_return x; }, 1), 1);
  EXPECT_EQ(
      rt.block_on([](int x) noexcept -> goro::task<int> { co_return x; }, 2),
      2);
  EXPECT_EQ(
      rt.block_on([](int x) mutable -> goro::task<int> { co_return x; }, 3), 3);
  EXPECT_EQ(
      rt.block_on(
          [](int x) mutable noexcept -> goro::task<int> { co_return x; }, 4),
      4);
  EXPECT_EQ(rt.block_on([](auto x) -> goro::task<int> { co_return x; }, 5), 5);
  std::string cap = "123456";
  EXPECT_EQ(rt.block_on(
                [cap](int x) -> goro::task<int> {
                  co_await goro::yield();
                  co_return x + static_cast<int>(cap.size());
                },
                1),
            7);
  EXPECT_EQ(rt.block_on([cap]() mutable noexcept -> goro::task<int> {
    cap += "7";
    co_await goro::yield();
    co_return static_cast<int>(cap.size());
  }),
            7);
  auto up = std::make_unique<int>(8);
  EXPECT_EQ(rt.block_on([p = std::move(up)]() -> goro::task<int> {
    co_await goro::yield();
    co_return *p;
  }),
            8);
}

TEST_F(Callables, EmptyFunctorsWithEveryQualification) {
  EXPECT_EQ(rt.block_on(f_const{}, 1), 1);
  EXPECT_EQ(rt.block_on(f_mutable{}, 2), 2);
  EXPECT_EQ(rt.block_on(f_const_noexcept{}, 3), 3);
  EXPECT_EQ(rt.block_on(f_mutable_noexcept{}, 4), 4);
  EXPECT_EQ(rt.block_on(f_const_lref{}, 6), 6);
  EXPECT_EQ(rt.block_on(f_rref{}, 7), 7);
  EXPECT_EQ(rt.block_on(f_const_rref_noexcept{}, 8), 8);
  EXPECT_EQ(rt.block_on(f_overloaded{}, 9), 9);
  EXPECT_EQ(rt.block_on(f_overloaded{}, 9, 1), 10);
  EXPECT_EQ(rt.block_on(f_cref_param{}, std::string(11, 'c')), 11);
  f_const lvalue;
  EXPECT_EQ(rt.block_on(lvalue, 12), 12);
}

TEST_F(Callables, StatefulFunctorsAndStdFunction) {
  EXPECT_EQ(rt.block_on(f_stateful{"four"}, 1), 5);
  std::function<goro::task<int>(int)> fn = [](int x) -> goro::task<int> {
    co_await goro::yield();
    co_return x * 2;
  };
  EXPECT_EQ(rt.block_on(fn, 21), 42);
  EXPECT_EQ(rt.block_on(std::move(fn), 4), 8);
}

TEST_F(Callables, SameCallablesThroughGoAndCoSpawn) {
  int v = rt.block_on([]() -> goro::task<int> {
    int s = 0;
    s += co_await goro::co_spawn(f_mutable_noexcept{}, 1);
    s += co_await goro::co_spawn(f_rref{}, 10);
    s += co_await goro::co_spawn(f_const_lref{}, 100);
    s += co_await goro::co_spawn(
        [](int x) mutable noexcept -> goro::task<int> { co_return x; }, 1000);
    goro::go(f_mutable_noexcept{}, 0);
    co_return s;
  });
  EXPECT_EQ(v, 1111);
}

}  // namespace
