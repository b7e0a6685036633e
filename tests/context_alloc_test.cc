// Cancelling a context and dropping it allocate nothing when no node has
// two or more live children to walk: a context's destructor is noexcept, so
// an allocation there could only terminate, and each one would cost a heap
// round trip per context. Global operator new is replaced here to count.
// Sanitizer runtimes linked statically (clang's) define operator new
// themselves, so under a sanitizer the test is skipped; the plain g++ and
// clang builds run it.
#include <atomic>
#include <cstdlib>
#include <new>

#include "goro/goro.h"
#include "gtest/gtest.h"
#include "tests/alloc_counter.h"
#include "tests/test_util.h"

namespace {

using alloc_counter::allocations;
using alloc_counter::counting;

constexpr int kChain = 1000;

TEST(ContextAlloc, CancelAndDropAllocateNothing) {
  if (goro_test::kSanitizer) {
    GTEST_SKIP() << "operator new belongs to the sanitizer runtime here";
  }
  auto [parent, cancel_parent] = goro::with_cancel(goro::background());
  allocations.store(0);
  for (int i = 0; i < 100; ++i) {
    {
      auto [ctx, cancel] = goro::with_cancel(parent);
      counting.store(true);
      cancel();
    }  // both handles gone: the node is destroyed
    counting.store(false);
    {
      auto [ctx, cancel] = goro::with_cancel(parent);
      counting.store(true);
    }  // abandoned uncanceled: it unlinks itself and is destroyed
    counting.store(false);
  }
  EXPECT_EQ(allocations.load(), 0) << "cancel or a destructor allocated";
  EXPECT_FALSE(parent.err());
  cancel_parent();
}

// A chain (every node has one child) is canceled and dropped without a
// worklist: nothing allocated at any depth.
TEST(ContextAlloc, CancellingAndDroppingAChainAllocateNothing) {
  if (goro_test::kSanitizer) {
    GTEST_SKIP() << "operator new belongs to the sanitizer runtime here";
  }
  auto [parent, cancel_parent] = goro::with_cancel(goro::background());
  allocations.store(0);
  {
    auto [top, cancel] = goro::with_cancel(parent);
    goro::context leaf = top;
    for (int i = 0; i < kChain; ++i) leaf = goro::with_cancel(leaf).first;
    counting.store(true);
    cancel();
    EXPECT_EQ(leaf.err(), goro::canceled);
  }  // the leaf's handle goes last: the chain is destroyed leaf to top
  counting.store(false);
  EXPECT_EQ(allocations.load(), 0) << "cancelling or dropping a chain";
  {
    goro::context leaf = parent;
    for (int i = 0; i < kChain; ++i) leaf = goro::with_cancel(leaf).first;
    counting.store(true);
  }  // uncanceled: each node unlinks itself as it goes
  counting.store(false);
  EXPECT_EQ(allocations.load(), 0) << "dropping an uncanceled chain";
  EXPECT_EQ(goro::internal::context_children(parent), 0u);
  cancel_parent();
}

}  // namespace
