#include "goro/fiber/internal/fiber_stack.h"

#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "goro/core/internal/fatal.h"

#if defined(__SANITIZE_ADDRESS__)
#define GORO_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define GORO_ASAN 1
#endif
#endif
#if defined(GORO_ASAN)
#include <sanitizer/asan_interface.h>
#endif

namespace goro::internal {

namespace {

std::size_t page_size() noexcept {
  static const std::size_t ps = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  return ps;
}

// Finished stacks, by usable size. Guarded by mu; a process-wide pool (not
// per runtime): stacks outlive runtimes, and several runtimes share them.
// Unmapped when the process exits (the pool's destructor), so a leak
// checker sees nothing left.
class stack_pool {
 public:
  // At exit: unmaps the pooled stacks; later releases unmap directly.
  void drain() noexcept {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [size, stacks] : free_) {
      for (char* base : stacks) unmap(base, size);
    }
    free_.clear();
    count_ = 0;
    closed_ = true;
  }
  char* take(std::size_t size) {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [sz, stacks] : free_) {
      if (sz == size && !stacks.empty()) {
        char* base = stacks.back();
        stacks.pop_back();
        --count_;
        return base;
      }
    }
    return nullptr;
  }
  // False if the pool is full (the caller unmaps).
  bool put(char* base, std::size_t size) {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return false;
    for (auto& [sz, stacks] : free_) {
      if (sz == size) {
        if (stacks.size() >= fiber_stack::kPoolMax) return false;
        stacks.push_back(base);
        ++count_;
        return true;
      }
    }
    free_.emplace_back(size, std::vector<char*>{base});
    ++count_;
    return true;
  }
  std::size_t count() {
    std::lock_guard<std::mutex> lock(mu_);
    return count_;
  }
  static void unmap(char* base, std::size_t size) noexcept {
    munmap(base, fiber_stack::kGuardSize + size);
  }

 private:
  std::mutex mu_;
  // Few distinct sizes exist in a program: a vector beats a map.
  std::vector<std::pair<std::size_t, std::vector<char*>>> free_;
  std::size_t count_ = 0;
  bool closed_ = false;
};

// Never destroyed (a runtime destroyed by another static destructor may
// still release stacks); drained at exit instead.
stack_pool& pool() {
  static stack_pool* p = new stack_pool;
  return *p;
}
struct pool_drainer {
  ~pool_drainer() { pool().drain(); }
} drainer;

}  // namespace

std::size_t fiber_stack::round_size(std::size_t size) noexcept {
  const std::size_t ps = page_size();
  size = std::max(size, kMinSize);
  return (size + ps - 1) / ps * ps;
}

fiber_stack fiber_stack::acquire(std::size_t size) {
  size = round_size(size);
  fiber_stack s;
  s.size = size;
  s.base = pool().take(size);
  if (s.base != nullptr) {
#if defined(GORO_ASAN)
    // Frames alive when the previous fiber switched away for the last time
    // (its entry function's) left their redzones poisoned.
    __asan_unpoison_memory_region(
        s.top() - 64 * 1024 > s.lo() ? s.top() - 64 * 1024 : s.lo(),
        std::min<std::size_t>(size, 64 * 1024));
#endif
    return s;
  }
  void* p =
      mmap(nullptr, kGuardSize + size, PROT_READ | PROT_WRITE,
           MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
  if (p == MAP_FAILED) {
    const int err = errno;
    throw std::system_error(
        err, std::generic_category(),
        "goro: cannot map a fiber stack of " + std::to_string(size) +
            " bytes (too many live fibers for vm.max_map_count, or the "
            "address space limit; see fiber/README.md)");
  }
  s.base = static_cast<char*>(p);
  // No transparent huge pages: with THP "always", a fiber reaching a 2 MiB
  // aligned block of its stack would be given 2 MiB at once.
  (void)madvise(s.base, kGuardSize + size, MADV_NOHUGEPAGE);
  if (mprotect(s.base, kGuardSize, PROT_NONE) != 0) {
    const int err = errno;
    munmap(p, kGuardSize + size);
    throw std::system_error(
        err, std::generic_category(),
        "goro: cannot protect a fiber stack's guard (too many live fibers "
        "for vm.max_map_count? see fiber/README.md)");
  }
  return s;
}

void fiber_stack::release(fiber_stack s, std::uintptr_t lowest_sp) noexcept {
  if (!s) return;
  char* hot_lo = s.top() - std::min(s.size, kHotSize);
  if (lowest_sp < reinterpret_cast<std::uintptr_t>(hot_lo)) {
    // The fiber went deeper than the hot pages: give the rest back now.
    (void)madvise(s.lo(), static_cast<std::size_t>(hot_lo - s.lo()),
                  MADV_DONTNEED);
  }
  if (!pool().put(s.base, s.size)) stack_pool::unmap(s.base, s.size);
}

std::size_t fiber_stack::pooled() noexcept { return pool().count(); }

// --- overflow detection -----------------------------------------------------

namespace {

struct sigaction old_segv;
struct sigaction old_bus;

// Async-signal-safe formatting: decimal and hex into a buffer.
char* put_str(char* p, char* end, const char* s) {
  while (*s != '\0' && p < end) *p++ = *s++;
  return p;
}
char* put_dec(char* p, char* end, std::uint64_t v) {
  char tmp[24];
  int n = 0;
  do {
    tmp[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  while (n > 0 && p < end) *p++ = tmp[--n];
  return p;
}
char* put_hex(char* p, char* end, std::uintptr_t v) {
  p = put_str(p, end, "0x");
  char tmp[24];
  int n = 0;
  do {
    tmp[n++] = "0123456789abcdef"[v % 16];
    v /= 16;
  } while (v != 0);
  while (n > 0 && p < end) *p++ = tmp[--n];
  return p;
}

void forward(int sig, siginfo_t* info, void* uc, const struct sigaction& old) {
  if ((old.sa_flags & SA_SIGINFO) != 0) {
    old.sa_sigaction(sig, info, uc);
    return;
  }
  if (old.sa_handler != SIG_DFL && old.sa_handler != SIG_IGN) {
    old.sa_handler(sig);
    return;
  }
  // No handler before goro's. A real fault (si_code > 0) cannot be ignored
  // (the kernel kills a process that ignores one), so either way: restore
  // the default action; return, and the faulting instruction runs again
  // and ends the process the usual way (core dump). A signal sent by
  // kill/raise (si_code <= 0) would not come back by itself: raise it
  // again, unless it was ignored.
  signal(sig, SIG_DFL);
  if (info->si_code <= 0) {
    if (old.sa_handler == SIG_IGN) {
      signal(sig, SIG_IGN);
    } else {
      raise(sig);
    }
  }
}

void on_fault(int sig, siginfo_t* info, void* uc) {
  // A thread-local read: every thread writes it (fiber::resume) before it
  // can fault in a fiber, so this never has to allocate the thread's TLS
  // block, which is what could make it unsafe in a signal handler.
  const running_stack* rs = running_stack_of_this_thread();
  const char* addr = static_cast<const char*>(info->si_addr);
  if (rs != nullptr && addr >= rs->guard_lo && addr < rs->guard_hi) {
    char buf[320];
    char* end = buf + sizeof(buf) - 1;
    char* p = put_str(buf, end, "goro: fiber stack overflow: G ");
    p = put_dec(p, end, rs->gid);
    p = put_str(p, end, " used up its ");
    p = put_dec(p, end, rs->size / 1024);
    p = put_str(p, end, " KiB stack (fault at ");
    p = put_hex(p, end, reinterpret_cast<std::uintptr_t>(addr));
    p = put_str(p, end,
                " in its guard page); give it a larger one with "
                "goro::fiber_options{.stack_size = ...}\n");
    ssize_t ignored = write(STDERR_FILENO, buf, static_cast<size_t>(p - buf));
    (void)ignored;
    // abort() from here: SIGABRT's default action ends the process (and
    // dumps core) even though this thread's stack is exhausted.
    signal(SIGABRT, SIG_DFL);
    abort();
  }
  forward(sig, info, uc, sig == SIGBUS ? old_bus : old_segv);
}

void install_handler() noexcept {
  struct sigaction sa;
  std::memset(&sa, 0, sizeof(sa));
  sa.sa_sigaction = &on_fault;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigemptyset(&sa.sa_mask);
  if (sigaction(SIGSEGV, &sa, &old_segv) != 0 ||
      sigaction(SIGBUS, &sa, &old_bus) != 0) {
    fatal_errno("sigaction(SIGSEGV) for the fiber overflow handler");
  }
}

// This thread's alternate signal stack, if goro installed it.
class alt_stack {
 public:
  static constexpr std::size_t kSize = 64 * 1024;
  void ensure() noexcept {
    if (checked_) return;
    checked_ = true;
    stack_t cur;
    if (sigaltstack(nullptr, &cur) == 0 && (cur.ss_flags & SS_DISABLE) == 0) {
      return;  // the thread has one already (a sanitizer's, the app's)
    }
    void* p = mmap(nullptr, kSize, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) fatal_errno("mmap of an alternate signal stack");
    stack_t ss;
    ss.ss_sp = p;
    ss.ss_size = kSize;
    ss.ss_flags = 0;
    if (sigaltstack(&ss, nullptr) != 0) fatal_errno("sigaltstack");
    mem_ = p;
  }
  ~alt_stack() {
    if (mem_ == nullptr) return;
    stack_t ss;
    std::memset(&ss, 0, sizeof(ss));
    ss.ss_flags = SS_DISABLE;
    (void)sigaltstack(&ss, nullptr);
    munmap(mem_, kSize);
  }

 private:
  bool checked_ = false;
  void* mem_ = nullptr;
};

thread_local alt_stack tls_alt_stack;

}  // namespace

void prepare_thread_for_fibers() noexcept {
  static std::once_flag once;
  std::call_once(once, install_handler);
  tls_alt_stack.ensure();
}

}  // namespace goro::internal
