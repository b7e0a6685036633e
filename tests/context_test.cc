// goro::context: background, with_cancel, with_deadline/with_timeout;
// cancellation flowing down and never up, a child of a canceled parent,
// deadlines never early, err() values and their words, unlinking of
// canceled and abandoned children, concurrency, misuse, teardown.
#include <atomic>
#include <chrono>
#include <cstddef>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "goro/goro.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace goro::internal {
std::size_t context_children(const context& ctx);
}  // namespace goro::internal

namespace {

using namespace std::chrono_literals;
using clk = std::chrono::steady_clock;
using goro::task;
using goro::internal::context_children;

// Whether ctx.done() is closed (without waiting).
bool done_closed(const goro::context& ctx) {
  auto r = ctx.done().try_recv();
  return !r.has_value() && r.closed();
}

std::string str(goro::context_error e) {
  std::ostringstream os;
  os << e;
  return os.str();
}

TEST(Context, BackgroundIsNeverCanceled) {
  for (const goro::context& ctx : {goro::background(), goro::todo()}) {
    EXPECT_FALSE(ctx.done()) << "background's done() is the nil channel";
    EXPECT_FALSE(ctx.err());
    EXPECT_EQ(ctx.err(), goro::context_error());
    EXPECT_FALSE(ctx.deadline().has_value());
  }
  goro::runtime rt{goro::options{.procs = 1}};
  rt.block_on([]() -> task<> {
    auto r = co_await goro::select(goro::background().done().recv_case(),
                                   goro::after(5ms).recv_case());
    EXPECT_EQ(r.index(), 1u);
  });
}

TEST(Context, ErrorValuesPrintLikeGo) {
  EXPECT_STREQ(goro::canceled.message(), "context canceled");
  EXPECT_STREQ(goro::deadline_exceeded.message(), "context deadline exceeded");
  EXPECT_EQ(str(goro::canceled), "context canceled");
  EXPECT_EQ(str(goro::deadline_exceeded), "context deadline exceeded");
  EXPECT_EQ(str(goro::context_error()), "<nil>");
  EXPECT_TRUE(static_cast<bool>(goro::canceled));
  EXPECT_FALSE(goro::canceled == goro::deadline_exceeded);
}

TEST(Context, CancelClosesDoneAndSetsErrOnce) {
  auto [ctx, cancel] = goro::with_cancel(goro::background());
  EXPECT_TRUE(ctx.done());
  EXPECT_FALSE(ctx.err());
  EXPECT_FALSE(done_closed(ctx));
  EXPECT_FALSE(ctx.deadline().has_value());
  cancel();
  EXPECT_TRUE(done_closed(ctx));
  EXPECT_EQ(ctx.err(), goro::canceled);
  cancel();  // no-op
  auto copy = cancel;
  copy();
  EXPECT_EQ(ctx.err(), goro::canceled);
}

TEST(Context, CancellationFlowsDownNeverUp) {
  auto [root, cancel_root] = goro::with_cancel(goro::background());
  auto [mid, cancel_mid] = goro::with_cancel(root);
  auto [sibling, cancel_sibling] = goro::with_cancel(root);
  auto [leaf1, cancel_leaf1] = goro::with_cancel(mid);
  auto [leaf2, cancel_leaf2] = goro::with_cancel(leaf1);
  EXPECT_EQ(context_children(root), 2u);
  cancel_mid();
  EXPECT_EQ(mid.err(), goro::canceled);
  EXPECT_EQ(leaf1.err(), goro::canceled);
  EXPECT_EQ(leaf2.err(), goro::canceled);
  EXPECT_TRUE(done_closed(leaf2));
  EXPECT_FALSE(root.err()) << "cancellation flowed up";
  EXPECT_FALSE(sibling.err()) << "cancellation flowed sideways";
  EXPECT_EQ(context_children(root), 1u) << "a canceled child stayed linked";
  cancel_root();
  EXPECT_EQ(sibling.err(), goro::canceled);
  EXPECT_EQ(context_children(root), 0u);
}

TEST(Context, ChildOfACanceledParentIsCanceledAtOnce) {
  auto [parent, cancel] = goro::with_cancel(goro::background());
  cancel();
  auto [child, cancel_child] = goro::with_cancel(parent);
  EXPECT_EQ(child.err(), goro::canceled);
  EXPECT_TRUE(done_closed(child));
  EXPECT_EQ(context_children(parent), 0u);
  goro::runtime rt{goro::options{.procs = 1}};
  rt.block_on([parent = parent]() -> task<> {
    auto [d, c] = goro::with_timeout(parent, 1h);
    EXPECT_EQ(d.err(), goro::canceled) << "takes the parent's error";
    co_return;
  });
}

TEST(Context, TimeoutCancelsWithDeadlineExceededNeverEarly) {
  goro::runtime rt{goro::options{.procs = 2}};
  rt.block_on([]() -> task<> {
    const auto t0 = clk::now();
    auto [ctx, cancel] = goro::with_timeout(goro::background(), 5ms);
    EXPECT_TRUE(ctx.deadline().has_value());
    if (!ctx.deadline()) co_return;
    EXPECT_GE(*ctx.deadline(), t0 + 5ms);
    EXPECT_LE(*ctx.deadline(), clk::now() + 5ms);
    auto v = co_await ctx.done().recv();
    EXPECT_FALSE(v.has_value()) << "done() is closed, not sent on";
    EXPECT_GE(clk::now(), *ctx.deadline()) << "canceled before the deadline";
    EXPECT_EQ(ctx.err(), goro::deadline_exceeded);
    cancel();  // after the deadline: err stays deadline_exceeded
    EXPECT_EQ(ctx.err(), goro::deadline_exceeded);
  });
}

TEST(Context, CancelBeforeTheDeadlineWins) {
  goro::runtime rt{goro::options{.procs = 2}};
  rt.block_on([]() -> task<> {
    // Deadlines far enough ahead that a loaded machine cannot reach them
    // before the next line.
    auto [ctx, cancel] = goro::with_timeout(goro::background(), 200ms);
    cancel();
    EXPECT_EQ(ctx.err(), goro::canceled);
    co_await goro::sleep_for(250ms);
    EXPECT_EQ(ctx.err(), goro::canceled) << "err changed at the deadline";
  });
}

TEST(Context, DeadlinesNestAndThePastIsExceededAtOnce) {
  goro::runtime rt{goro::options{.procs = 2}};
  rt.block_on([]() -> task<> {
    auto [parent, cancel_parent] =
        goro::with_timeout(goro::background(), 500ms);
    // A later deadline follows the parent's.
    auto [late, cancel_late] = goro::with_timeout(parent, 1h);
    EXPECT_EQ(late.deadline(), parent.deadline());
    // An earlier one is its own.
    auto [early, cancel_early] = goro::with_timeout(parent, 1ms);
    EXPECT_LT(*early.deadline(), *parent.deadline());
    co_await early.done().recv();
    EXPECT_EQ(early.err(), goro::deadline_exceeded);
    EXPECT_FALSE(parent.err()) << "a child's deadline canceled the parent";
    co_await late.done().recv();
    EXPECT_EQ(late.err(), goro::deadline_exceeded);
    EXPECT_EQ(parent.err(), goro::deadline_exceeded);
    // A deadline in the past: exceeded at once.
    auto [past, cancel_past] =
        goro::with_deadline(goro::background(), clk::now() - 1s);
    EXPECT_EQ(past.err(), goro::deadline_exceeded);
    auto [zero, cancel_zero] = goro::with_timeout(goro::background(), 0s);
    EXPECT_EQ(zero.err(), goro::deadline_exceeded);
  });
}

TEST(Context, AbandonedChildrenAreUnlinked) {
  auto [parent, cancel] = goro::with_cancel(goro::background());
  for (int i = 0; i < 10'000; ++i) {
    auto [child, cancel_child] = goro::with_cancel(parent);
    if (i % 2 == 0) cancel_child();
  }
  EXPECT_EQ(context_children(parent), 0u) << "the parent kept dead children";
  goro::runtime rt{goro::options{.procs = 2}};
  rt.block_on([parent = parent]() -> task<> {
    for (int i = 0; i < 1000; ++i) {
      auto [child, cancel_child] = goro::with_timeout(parent, 1h);
      if (i % 2 == 0) cancel_child();
    }
    EXPECT_EQ(context_children(parent), 0u);
    co_return;
  });
  cancel();
}

// Go code builds chains of contexts in loops: cancelling the root of a
// 10^5-deep chain, and dropping an uncancelled one, must not recurse per
// level (both overflowed the stack).
constexpr int kDeepChain = 100'000;

TEST(Context, CancellingADeepChainDoesNotRecurse) {
  auto [root, cancel_root] = goro::with_cancel(goro::background());
  std::vector<goro::context> chain{root};
  chain.reserve(kDeepChain + 1);
  for (int i = 0; i < kDeepChain; ++i) {
    chain.push_back(goro::with_cancel(chain.back()).first);
  }
  cancel_root();
  EXPECT_EQ(chain.back().err(), goro::canceled);
  EXPECT_TRUE(done_closed(chain.back()));
  EXPECT_EQ(chain[kDeepChain / 2].err(), goro::canceled);
  EXPECT_EQ(context_children(root), 0u);
  while (chain.size() > 1) chain.pop_back();  // leaf first
  chain.clear();
}

// A deep comb: every node of a chain also has a leaf child. Cancelling the
// root walks the chain and keeps the leaves for later (or the reverse),
// iteratively; every node ends canceled.
TEST(Context, CancellingADeepCombReachesEveryNode) {
  auto [root, cancel_root] = goro::with_cancel(goro::background());
  const int depth = kDeepChain / 2;
  std::vector<goro::context> spine{root}, leaves;
  spine.reserve(depth + 1);
  leaves.reserve(depth);
  for (int i = 0; i < depth; ++i) {
    leaves.push_back(goro::with_cancel(spine.back()).first);
    spine.push_back(goro::with_cancel(spine.back()).first);
  }
  EXPECT_EQ(context_children(spine[depth / 2]), 2u);
  cancel_root();
  int live = 0;
  for (const auto& c : spine) live += c.err() != goro::canceled;
  for (const auto& c : leaves) live += c.err() != goro::canceled;
  EXPECT_EQ(live, 0);
  EXPECT_TRUE(done_closed(spine.back()));
  EXPECT_TRUE(done_closed(leaves.back()));
  EXPECT_EQ(context_children(spine[depth / 2]), 0u);
  EXPECT_EQ(context_children(root), 0u);
}  // the spine's vector drops the root first: the chain goes from its leaf

TEST(Context, DroppingADeepUncancelledChainDoesNotRecurse) {
  auto [root, cancel_root] = goro::with_cancel(goro::background());
  {
    goro::context leaf = root;
    for (int i = 0; i < kDeepChain; ++i) {
      leaf = goro::with_cancel(leaf).first;  // only the leaf's handle kept
    }
    EXPECT_EQ(context_children(root), 1u);
    EXPECT_FALSE(leaf.err());
  }  // the last handle: the whole chain goes, child to parent
  EXPECT_EQ(context_children(root), 0u) << "the chain stayed linked";
  EXPECT_FALSE(root.err());
  cancel_root();
  EXPECT_EQ(root.err(), goro::canceled);
}

TEST(Context, ConcurrentDeriveAndCancel) {
  goro::runtime rt{goro::options{.procs = 4}};
  const int rounds = static_cast<int>(goro_test::scaled(200, 10));
  rt.block_on([rounds]() -> task<> {
    for (int r = 0; r < rounds; ++r) {
      auto [root, cancel_root] = goro::with_cancel(goro::background());
      std::atomic<int> seen{0};
      goro::wait_group wg;
      for (int g = 0; g < 8; ++g) {
        wg.go([&, g]() -> task<> {
          auto [c1, k1] = goro::with_cancel(root);
          auto [c2, k2] =
              goro::with_timeout(c1, std::chrono::microseconds(50 * g));
          if (g == 3) cancel_root();
          co_await c2.done().recv();
          if (c2.err()) seen.fetch_add(1);
          k2();
          k1();
        });
      }
      co_await goro::sleep_for(100us);
      cancel_root();
      co_await wg.wait();
      EXPECT_EQ(seen.load(), 8);
      EXPECT_EQ(context_children(root), 0u);
    }
  });
}

TEST(Context, DoneInSelectWakesAWaitingG) {
  goro::runtime rt{goro::options{.procs = 2}};
  rt.block_on([]() -> task<> {
    auto [ctx, cancel] = goro::with_cancel(goro::background());
    auto work = goro::make_chan<int>();
    auto h = goro::co_spawn([ctx = ctx, work]() -> task<int> {
      auto r = co_await goro::select(work.recv_case(), ctx.done().recv_case());
      co_return static_cast<int>(r.index());
    });
    co_await goro::sleep_for(2ms);
    cancel();
    EXPECT_EQ(co_await std::move(h), 1);
  });
}

TEST(Context, DeadlinesNeedARuntimeCancelDoesNot) {
  try {
    (void)goro::with_timeout(goro::background(), 1s);
    ADD_FAILURE() << "with_timeout outside a runtime did not throw";
  } catch (const std::logic_error& e) {
    EXPECT_NE(std::string(e.what()).find("goro::with_timeout"),
              std::string::npos)
        << e.what();
  }
  // A deadline already past needs no timer, so no runtime.
  auto [past, cancel_past] =
      goro::with_deadline(goro::background(), clk::now() - 1s);
  EXPECT_EQ(past.err(), goro::deadline_exceeded);
  auto [ctx, cancel] = goro::with_cancel(goro::background());
  std::thread other([cancel = cancel] { cancel(); });
  other.join();
  EXPECT_EQ(ctx.err(), goro::canceled);
}

TEST(Context, OutlivesItsRuntime) {
  goro::context kept;
  goro::cancel_func kept_cancel = [] {
    auto [c, k] = goro::with_cancel(goro::background());
    return k;
  }();
  {
    goro::runtime rt{goro::options{.procs = 1}};
    rt.block_on([&]() -> task<> {
      auto [ctx, cancel] = goro::with_timeout(goro::background(), 1h);
      kept = ctx;
      kept_cancel = cancel;
      co_return;
    });
  }
  EXPECT_FALSE(kept.err());
  kept_cancel();  // the timer's runtime is gone: stop is a no-op
  EXPECT_EQ(kept.err(), goro::canceled);
}

}  // namespace
