// The frame allocator's alignment contract (goro/task/internal/
// frame_allocator.h): a frame of n bytes, fresh or recycled through the
// per-thread cache and the depot, is aligned to frame_alignment(n); the
// compilers make a frame's size a multiple of its alignment, which is what
// makes that enough; the promise's aligned operator new honours any
// alignment, and its frames are released like any other. Built with
// -fcoro-aligned-allocation under clang (GORO_TEST_CORO_ALIGNED_ALLOCATION,
// see BUILD.bazel), coroutine locals aligned beyond 128 bytes are checked
// too: that compiler mode passes each frame's alignment to the promise.
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <thread>
#include <vector>

#include "goro/goro.h"
#include "goro/task/internal/frame_allocator.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace {

using goro::internal::frame_alignment;
using goro::internal::frame_alloc;
using goro::internal::frame_free;
using goro::internal::kMaxFrameAlignment;

bool aligned_to(const void* p, std::size_t a) {
  return reinterpret_cast<std::uintptr_t>(p) % a == 0;
}

TEST(FrameAlignment, AlignmentFromSize) {
  EXPECT_EQ(frame_alignment(1), 16u);
  EXPECT_EQ(frame_alignment(72), 16u);
  EXPECT_EQ(frame_alignment(80), 16u);
  EXPECT_EQ(frame_alignment(96), 32u);
  EXPECT_EQ(frame_alignment(192), 64u);
  EXPECT_EQ(frame_alignment(384), 128u);
  EXPECT_EQ(frame_alignment(4096), 128u);
  static_assert(kMaxFrameAlignment == 128);
}

TEST(FrameAlignment, EverySizeFreshAndRecycled) {
  std::vector<std::size_t> sizes;
  for (std::size_t n = 1; n <= 2100; ++n) sizes.push_back(n);
  for (std::size_t n : {4096, 65536, 1 << 20}) sizes.push_back(n);
  for (int round = 0; round < 2; ++round) {  // round 1 reuses round 0's
    std::vector<void*> frames;
    for (std::size_t n : sizes) {
      void* p = frame_alloc(n);
      EXPECT_TRUE(aligned_to(p, frame_alignment(n))) << "size " << n;
      std::memset(p, 0xab, n);  // all of it is ours (ASan checks)
      frames.push_back(p);
    }
    for (std::size_t i = 0; i < sizes.size(); ++i) {
      frame_free(frames[i], sizes[i]);
    }
  }
}

// Frames freed on one thread and allocated on another go through the
// depot (frame_allocator.cc).
TEST(FrameAlignment, FramesMovedBetweenThreads) {
  constexpr int kFrames = 10000;  // more than one class's cache holds
  for (std::size_t n : {48, 192, 384, 1000}) {
    std::vector<void*> frames(kFrames);
    std::thread([&] {
      for (void*& p : frames) p = frame_alloc(n);
    }).join();
    std::thread([&] {
      for (void* p : frames) frame_free(p, n);
    }).join();
    std::thread([&] {
      for (void*& p : frames) {
        p = frame_alloc(n);
        EXPECT_TRUE(aligned_to(p, frame_alignment(n))) << "size " << n;
      }
      for (void* p : frames) frame_free(p, n);
    }).join();
  }
}

// What clang calls with -fcoro-aligned-allocation, for every frame (whose
// size is a multiple of its alignment).
TEST(FrameAlignment, PromiseAlignedOperatorNew) {
  using promise = goro::internal::promise_base;
  for (int round = 0; round < 2; ++round) {  // round 1 may reuse frames
    for (std::size_t a : {8, 16, 32, 64, 128, 256, 512, 1024, 4096}) {
      for (std::size_t k : {1, 3, 8}) {
        const std::size_t n = a * k;
        void* p = promise::operator new(n, std::align_val_t{a});
        EXPECT_TRUE(aligned_to(p, a)) << "size " << n << " align " << a;
        std::memset(p, 0xcd, n);
        promise::operator delete(p, n);  // the only one (promise.h)
      }
    }
  }
}

// What the contract rests on: the compiler asks for a frame whose size is
// a multiple of the frame's alignment. Observed through a coroutine type
// of the test's own that records the sizes.
std::size_t last_frame_size = 0;

struct probe {
  struct promise_type {
    static void* operator new(std::size_t n) {
      last_frame_size = n;
      return ::operator new(n, std::align_val_t{4096});
    }
    static void* operator new(std::size_t n, std::align_val_t) {
      return operator new(n);
    }
    static void operator delete(void* p, std::size_t) noexcept {
      ::operator delete(p, std::align_val_t{4096});
    }
    probe get_return_object() noexcept {
      return {std::coroutine_handle<promise_type>::from_promise(*this)};
    }
    std::suspend_always initial_suspend() noexcept { return {}; }
    std::suspend_always final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
    void unhandled_exception() noexcept {}
  };
  std::coroutine_handle<promise_type> h;
};

template <std::size_t A, std::size_t Bytes>
struct alignas(A) blob {
  char c[Bytes];
};

// Keeps `p` alive as far as the optimiser can tell.
void escape(const void* p) { asm volatile("" : : "r"(p) : "memory"); }

template <std::size_t A, std::size_t Bytes, std::size_t Tail>
probe frame_with(char x) {
  blob<A, Bytes> b;
  b.c[0] = x;
  char tail[Tail];
  tail[0] = x;
  co_await std::suspend_always{};
  escape(&b);
  escape(tail);
}

template <std::size_t A, std::size_t Bytes, std::size_t Tail>
void expect_size_is_multiple_of_alignment() {
  probe p = frame_with<A, Bytes, Tail>(1);
  EXPECT_EQ(last_frame_size % A, 0u)
      << "alignment " << A << ", frame size " << last_frame_size;
  p.h.resume();
  p.h.destroy();
}

TEST(FrameAlignment, CompilerFrameSizeIsAMultipleOfItsAlignment) {
  expect_size_is_multiple_of_alignment<32, 1, 1>();
  expect_size_is_multiple_of_alignment<32, 40, 3>();
  expect_size_is_multiple_of_alignment<64, 1, 1>();
  expect_size_is_multiple_of_alignment<64, 70, 40>();
  expect_size_is_multiple_of_alignment<128, 1, 3>();
  expect_size_is_multiple_of_alignment<128, 130, 17>();
}

// Coroutine frames holding values aligned to 128 bytes, the most goro
// supports, across suspensions, on two Ms.
struct alignas(128) line_pair {
  long v = 0;
};

goro::task<long> with_line_pair(long x) {
  line_pair l;
  l.v = x;
  EXPECT_TRUE(goro_test::is_aligned(l));
  co_await goro::yield();
  EXPECT_TRUE(goro_test::is_aligned(l));
  co_return l.v;
}

TEST(FrameAlignment, LocalsAlignedTo128) {
  goro::runtime rt{goro::options{.procs = 2}};
  long sum = rt.block_on([]() -> goro::task<long> {
    long s = 0;
    for (long i = 0; i < 100; ++i) {
      auto h = goro::co_spawn(with_line_pair, i);
      s += co_await with_line_pair(i);
      s += co_await h;
    }
    co_return s;
  });
  EXPECT_EQ(sum, 2 * 4950);
}

#ifdef GORO_TEST_CORO_ALIGNED_ALLOCATION
struct alignas(256) quarter_k {
  long v = 0;
};
struct alignas(4096) page {
  long v = 0;
};

goro::task<long> with_wide_locals(long x) {
  quarter_k a;
  page b;
  a.v = x;
  b.v = x;
  EXPECT_TRUE(goro_test::is_aligned(a));
  EXPECT_TRUE(goro_test::is_aligned(b));
  co_await goro::yield();
  EXPECT_TRUE(goro_test::is_aligned(a));
  EXPECT_TRUE(goro_test::is_aligned(b));
  co_return a.v + b.v;
}

TEST(FrameAlignment, WideLocalsWithCoroAlignedAllocation) {
  goro::runtime rt{goro::options{.procs = 2}};
  long sum = rt.block_on([]() -> goro::task<long> {
    long s = 0;
    for (long i = 0; i < 50; ++i) {
      auto h = goro::co_spawn(with_wide_locals, i);
      s += co_await with_wide_locals(i);
      s += co_await h;
    }
    co_return s;
  });
  EXPECT_EQ(sum, 4 * 1225);
}
#endif

}  // namespace
