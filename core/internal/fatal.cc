// See fatal.h.
#include "goro/core/internal/fatal.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace goro::internal {

void fatal(const char* msg) noexcept {
  std::fprintf(stderr, "goro: fatal error: %s\n", msg);
  std::fflush(stderr);
  std::abort();
}

void fatal_errno(const char* what) noexcept {
  std::fprintf(stderr, "goro: fatal error: %s: %s\n", what,
               std::strerror(errno));
  std::fflush(stderr);
  std::abort();
}

}  // namespace goro::internal
