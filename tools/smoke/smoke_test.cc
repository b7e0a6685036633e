#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#ifdef GORO_SMOKE_MIMALLOC
#include <mimalloc.h>
#endif

namespace {

TEST(Smoke, Abseil) {
  EXPECT_EQ(absl::StrFormat("%s-%03d", "goro", 7), "goro-007");
  EXPECT_EQ(absl::StrCat("a", 1), "a1");

  // Debian's libabsl is not built with -fsanitize=thread, so ThreadSanitizer
  // cannot see absl::Mutex hand-offs between threads; only the join orders them
  // here.
  struct {
    absl::Mutex mu;
    int sum ABSL_GUARDED_BY(mu) = 0;
  } c;
  std::thread t([&] {
    absl::MutexLock lock(&c.mu);
    c.sum += 1;
  });
  t.join();
  absl::MutexLock lock(&c.mu);
  c.sum += 2;
  EXPECT_EQ(c.sum, 3);

  absl::InlinedVector<int, 4> v = {1, 2, 3};
  absl::flat_hash_map<std::string, int> m = {{"x", 1}};
  EXPECT_EQ(v.size(), 3u);
  EXPECT_EQ(m.at("x"), 1);

  absl::BitGen gen;
  int r = absl::Uniform(gen, 0, 10);
  EXPECT_THAT(r, ::testing::AllOf(::testing::Ge(0), ::testing::Lt(10)));
  EXPECT_GT(absl::Now(), absl::UnixEpoch());
}

#ifdef GORO_SMOKE_MIMALLOC
TEST(Smoke, Mimalloc) {
  void* p = mi_malloc(64);
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(mi_is_in_heap_region(p));
  mi_free(p);
}
#endif

}  // namespace
