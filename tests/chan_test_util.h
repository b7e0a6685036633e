// Helpers shared by the channel and select tests.
#ifndef GORO_TESTS_CHAN_TEST_UTIL_H_
#define GORO_TESTS_CHAN_TEST_UTIL_H_

#include <chrono>
#include <stdexcept>
#include <string>

#include "goro/goro.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace goro_test {

// How long a test waits before concluding that a G is still blocked.
inline constexpr auto kStillBlocked = std::chrono::milliseconds(50);
inline constexpr const char* kSendOnClosed = "send on closed channel";
inline constexpr const char* kCloseOfClosed = "close of closed channel";

}  // namespace goro_test

// A goro::channel_error whose what() is exactly `msg`.
#define EXPECT_CHANNEL_ERROR(stmt, msg) \
  EXPECT_ERROR_WHAT(stmt, goro::channel_error, msg)

// A std::logic_error that is not a goro::channel_error.
#define EXPECT_MISUSE_ERROR(stmt) \
  EXPECT_LOGIC_ERROR_NOT(stmt, goro::channel_error)

#endif  // GORO_TESTS_CHAN_TEST_UTIL_H_
