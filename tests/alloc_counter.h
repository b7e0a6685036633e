// Counts heap allocations made while `alloc_counter::counting` is set, by
// replacing the global operator new. Include it in exactly one translation
// unit of a test binary (a replacement operator new is defined here, not
// declared). Under ASan/TSan the sanitizer owns operator new: nothing is
// replaced, and tests skip their counting checks.
#ifndef GORO_TESTS_ALLOC_COUNTER_H_
#define GORO_TESTS_ALLOC_COUNTER_H_

#include <atomic>
#include <cstdlib>
#include <new>

#include "tests/test_util.h"

namespace alloc_counter {
inline std::atomic<bool> counting{false};
inline std::atomic<long> allocations{0};
}  // namespace alloc_counter

#if !defined(GORO_TEST_ASAN) && !defined(GORO_TEST_TSAN)
void* operator new(std::size_t n) {
  if (alloc_counter::counting.load(std::memory_order_relaxed)) {
    alloc_counter::allocations.fetch_add(1, std::memory_order_relaxed);
  }
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#endif

#endif  // GORO_TESTS_ALLOC_COUNTER_H_
