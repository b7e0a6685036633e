// Built-in ThreadSanitizer suppressions for every test binary (TSan reads
// __tsan_default_suppressions at start-up; TSAN_OPTIONS=suppressions=...
// still adds to them).
//
// libstdc++'s std::exception_ptr counts references with atomics compiled
// into libstdc++.so, which TSan does not instrument. When an exception
// crosses threads (a G throws, block_on or a join rethrows it elsewhere) and
// the last reference is dropped on another thread than the one that last
// read the exception, TSan sees the free without the release/acquire pair
// that orders it and reports a race. The reference counting itself is
// correct; AddressSanitizer (--config=asan) checks these lifetimes for real.
#include "tests/test_util.h"

#if defined(GORO_TEST_TSAN)
extern "C" const char* __tsan_default_suppressions() {
  return "race:std::__exception_ptr::exception_ptr::_M_release\n";
}
#endif
