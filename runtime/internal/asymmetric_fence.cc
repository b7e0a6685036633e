#include "goro/runtime/internal/asymmetric_fence.h"

#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <mutex>

#include "goro/core/internal/fatal.h"

#if defined(__SANITIZE_THREAD__)
#define GORO_FENCE_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define GORO_FENCE_TSAN 1
#endif
#endif

namespace goro::internal {
namespace {

long membarrier(int cmd) noexcept {
  return syscall(__NR_membarrier, cmd, 0U, 0);
}

// GORODEBUG is a comma-separated list of name=value settings (Go's
// GODEBUG); membarrier=0 turns the asymmetric fence off.
bool disabled_by_env() noexcept {
  const char* env = std::getenv("GORODEBUG");
  if (env == nullptr) return false;
  for (const char* p = env; *p != '\0';) {
    const char* end = std::strchr(p, ',');
    const std::size_t n =
        end ? static_cast<std::size_t>(end - p) : std::strlen(p);
    if (n == 12 && std::strncmp(p, "membarrier=0", 12) == 0) return true;
    if (end == nullptr) break;
    p = end + 1;
  }
  return false;
}

bool choose() noexcept {
#ifdef GORO_FENCE_TSAN
  return false;
#else
  if (disabled_by_env()) return false;
  const long cmds = membarrier(MEMBARRIER_CMD_QUERY);
  if (cmds < 0 || (cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED) == 0) return false;
  return membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) == 0;
#endif
}

}  // namespace

std::atomic<bool> asymmetric_fence::asymmetric_{false};

void asymmetric_fence::init() noexcept {
  static std::once_flag once;
  std::call_once(
      once, [] { asymmetric_.store(choose(), std::memory_order_relaxed); });
}

void asymmetric_fence::heavy() noexcept {
  if (!asymmetric()) {
    std::atomic_thread_fence(std::memory_order_seq_cst);
    return;
  }
  if (membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) != 0) {
    // Registered, so this cannot fail; if it did, producers that rely on
    // it would lose wake-ups.
    fatal(
        "membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) failed after "
        "registration");
  }
}

}  // namespace goro::internal
