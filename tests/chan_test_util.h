// Helpers shared by the channel and select tests.
#ifndef GORO_TESTS_CHAN_TEST_UTIL_H_
#define GORO_TESTS_CHAN_TEST_UTIL_H_

#include <chrono>
#include <stdexcept>
#include <string>

#include "goro/goro.h"
#include "gtest/gtest.h"

namespace goro_test {

// How long a test waits before concluding that a G is still blocked.
inline constexpr auto kStillBlocked = std::chrono::milliseconds(50);
inline constexpr const char* kSendOnClosed = "send on closed channel";
inline constexpr const char* kCloseOfClosed = "close of closed channel";

}  // namespace goro_test

// Runs `stmt` (which may co_await) and checks that it throws a
// goro::channel_error whose what() is exactly `msg`.
#define EXPECT_CHANNEL_ERROR(stmt, msg)                        \
  do {                                                         \
    std::string what_ = "(no exception)";                      \
    try {                                                      \
      stmt;                                                    \
    } catch (const goro::channel_error& e) {                   \
      what_ = e.what();                                        \
    }                                                          \
    EXPECT_EQ(what_, msg) << "from: " #stmt;                   \
  } while (0)

// Runs `stmt` (which may co_await) and checks that it throws a
// std::logic_error that is not a goro::channel_error.
#define EXPECT_MISUSE_ERROR(stmt)                              \
  do {                                                         \
    bool threw_ = false;                                       \
    try {                                                      \
      stmt;                                                    \
    } catch (const goro::channel_error& e) {                   \
      ADD_FAILURE() << "channel_error " << e.what();           \
    } catch (const std::logic_error&) {                        \
      threw_ = true;                                           \
    }                                                          \
    EXPECT_TRUE(threw_) << "no std::logic_error from: " #stmt; \
  } while (0)

#endif  // GORO_TESTS_CHAN_TEST_UTIL_H_
