#include "goro/task/internal/frame_allocator.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <new>
#include <vector>

#ifndef GORO_NO_MIMALLOC
#include <mimalloc.h>
#endif

namespace goro::internal {

#ifdef GORO_NO_MIMALLOC

namespace {
void* aligned_block(std::size_t size, std::size_t alignment) {
  void* p = nullptr;
  if (posix_memalign(&p, alignment, size) != 0) throw std::bad_alloc();
  return p;
}
}  // namespace

void* frame_alloc(std::size_t size) {
  return aligned_block(size, frame_alignment(size));
}
void* frame_alloc_aligned(std::size_t size, std::size_t alignment) {
  return aligned_block(size, alignment);
}
void frame_free(void* frame, std::size_t) noexcept { std::free(frame); }

#else

namespace {

// A small per-thread cache of recently freed frames, by 16-byte size class,
// in front of mimalloc. Measured (callgrind, benchmarks/README.md): Debian's
// mimalloc spends ~90 instructions in free() per frame; a pop/push here is a
// handful. Frames freed on another thread than they were allocated on simply
// join that thread's cache; each class is bounded, and the whole cache goes
// back to mimalloc at thread exit.
//
// The depot. A G spawned on one M and run on another is the common case
// under work stealing, so one thread keeps freeing frames that another keeps
// allocating: the freeing cache fills up, the allocating one is always
// empty, and both would pay mimalloc (~20% of the go+countdown profile,
// where the cross-thread free is the expensive part). So a full class hands
// its whole list to a shared depot in one step (the list is moved by its
// head, no frame touched), and an empty class takes a list back from it.
// The depot is bounded; past that, frames go back to mimalloc.
//
// Class c holds blocks of c * kGranule bytes aligned to
// frame_alignment(c * kGranule). A frame of the class whose size is not
// c * kGranule is not a multiple of kGranule, so it needs only
// kMinFrameAlignment: any block of the class fits any frame of the class.
constexpr std::size_t kGranule = kMinFrameAlignment;
constexpr std::size_t kClasses = 64;  // frames up to 1 KiB are cached
// Per class, at most kMaxPerClass frames or kMaxClassBytes, whichever is
// fewer: a burst of a hundred thousand Gs spawned before any runs should
// mostly recycle frames, yet a thread never sits on more than ~16 MiB.
constexpr std::uint32_t kMaxPerClass = 4096;
constexpr std::size_t kMaxClassBytes = 256 * 1024;

struct free_frame {
  free_frame* next;
};

struct frame_cache {
  free_frame* head[kClasses];
  std::uint32_t count[kClasses];
  // This thread's flusher is registered and has not run: frame_free's fast
  // path may keep a frame. (A count alone cannot say so: a thread that
  // allocates and frees one frame at a time keeps its counts at 0 and 1.)
  bool live;
  bool dead;  // set at thread exit; later frees bypass the cache
};

// constinit + trivially destructible: usable at any point of thread exit.
constinit thread_local frame_cache tls_cache{};

struct frame_cache_flusher {
  ~frame_cache_flusher() {
    for (std::size_t c = 0; c < kClasses; ++c) {
      free_frame* f = tls_cache.head[c];
      while (f != nullptr) {
        free_frame* next = f->next;
        mi_free(f);
        f = next;
      }
      tls_cache.head[c] = nullptr;
      tls_cache.count[c] = 0;
    }
    tls_cache.live = false;
    tls_cache.dead = true;
  }
};
thread_local frame_cache_flusher tls_flusher;

inline std::size_t size_class(std::size_t size) {
  return (size + kGranule - 1) / kGranule;
}

// When a burst keeps more frames alive than the caches and the depot hold
// (a million Gs spawned before any runs), every allocation finds the depot
// empty and every free finds it full. A relaxed count per class answers
// that without the lock: a stale answer only sends one frame to mimalloc,
// or costs one locked look.
class frame_depot {
 public:
  // Takes a whole list of count frames of class c; false if full.
  bool put(std::size_t c, free_frame* head, std::uint32_t count) {
    if (nlists_[c].load(std::memory_order_relaxed) >= kMaxLists) return false;
    std::lock_guard<std::mutex> lock(mu_);
    auto& lists = lists_[c];
    if (lists.size() >= kMaxLists) return false;
    lists.push_back({head, count});
    nlists_[c].store(lists.size(), std::memory_order_relaxed);
    return true;
  }
  // Gives a list of class c, or false if there is none.
  bool take(std::size_t c, free_frame** head, std::uint32_t* count) {
    if (nlists_[c].load(std::memory_order_relaxed) == 0) return false;
    std::lock_guard<std::mutex> lock(mu_);
    auto& lists = lists_[c];
    if (lists.empty()) return false;
    *head = lists.back().head;
    *count = lists.back().count;
    lists.pop_back();
    nlists_[c].store(lists.size(), std::memory_order_relaxed);
    return true;
  }

 private:
  struct list {
    free_frame* head;
    std::uint32_t count;
  };
  static constexpr std::size_t kMaxLists = 8;  // per class
  std::mutex mu_;
  std::vector<list> lists_[kClasses];
  std::atomic<std::size_t> nlists_[kClasses] = {};  // lists_[c].size()
};

// Never destroyed: threads may free frames during static destruction. What
// it holds at exit stays reachable, like mimalloc's own caches.
frame_depot& depot() {
  static frame_depot* d = new frame_depot;
  return *d;
}

void* aligned_block(std::size_t size, std::size_t alignment) {
  void* p = mi_malloc_aligned(size, alignment);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}

// A block of n bytes for a frame, aligned to frame_alignment(n). mimalloc's
// size classes already give that alignment, but its API does not promise
// it: one test checks, and mi_malloc_aligned (a longer path) is the
// fallback.
void* frame_block(std::size_t n) {
  const std::size_t alignment = frame_alignment(n);
  void* p = mi_malloc(n);
  if (p != nullptr &&
      (reinterpret_cast<std::uintptr_t>(p) & (alignment - 1)) == 0) {
    return p;
  }
  mi_free(p);
  return aligned_block(n, alignment);
}

}  // namespace

// The fast paths below only pop or push a thread's list; everything else
// (the depot, mimalloc, the thread-exit flusher) is out of line, so that
// the fast paths need no stack frame.

[[gnu::noinline]] void* frame_alloc_slow(std::size_t c) {
  frame_cache& cache = tls_cache;
  if (c < kClasses && !cache.dead) {
    (void)&tls_flusher;  // this thread will hold frames: flush at exit
    cache.live = true;
    if (depot().take(c, &cache.head[c], &cache.count[c])) {
      free_frame* f = cache.head[c];
      cache.head[c] = f->next;
      --cache.count[c];
      return f;
    }
  }
  return frame_block(c * kGranule);
}

void* frame_alloc(std::size_t size) {
  const std::size_t c = size_class(size);
  if (c < kClasses) {
    frame_cache& cache = tls_cache;
    if (free_frame* f = cache.head[c]) {
      cache.head[c] = f->next;
      --cache.count[c];
      return f;
    }
  }
  return frame_alloc_slow(c);
}

// How many frames class c keeps: kMaxPerClass or kMaxClassBytes' worth,
// whichever is fewer.
constexpr std::uint32_t class_limit(std::size_t c) {
  const std::size_t by_bytes =
      c == 0 ? kMaxPerClass : kMaxClassBytes / (c * kGranule);
  return static_cast<std::uint32_t>(by_bytes < kMaxPerClass ? by_bytes
                                                            : kMaxPerClass);
}
constexpr auto kClassLimit = [] {
  std::array<std::uint32_t, kClasses> a{};
  for (std::size_t c = 0; c < kClasses; ++c) a[c] = class_limit(c);
  return a;
}();

[[gnu::noinline]] void frame_free_slow(void* frame, std::size_t c) noexcept {
  if (c < kClasses) {
    frame_cache& cache = tls_cache;
    if (!cache.dead) {
      if (cache.count[c] >= kClassLimit[c]) {
        if (!depot().put(c, cache.head[c], cache.count[c])) {
          mi_free(frame);
          return;
        }
        cache.head[c] = nullptr;
        cache.count[c] = 0;
      }
      // A thread that only frees (never allocated) must flush at exit too.
      (void)&tls_flusher;
      cache.live = true;
      auto* f = static_cast<free_frame*>(frame);
      f->next = cache.head[c];
      cache.head[c] = f;
      ++cache.count[c];
      return;
    }
  }
  mi_free(frame);
}

void frame_free(void* frame, std::size_t size) noexcept {
  const std::size_t c = size_class(size);
  if (c < kClasses) {
    frame_cache& cache = tls_cache;
    // live: this thread's flusher is registered already (the slow paths
    // register it with the first frame) and has not run.
    const std::uint32_t n = cache.count[c];
    if (cache.live && n < kClassLimit[c]) {
      auto* f = static_cast<free_frame*>(frame);
      f->next = cache.head[c];
      cache.head[c] = f;
      cache.count[c] = n + 1;
      return;
    }
  }
  frame_free_slow(frame, c);
}

// frame_free may cache such a block in its size class like any other: it
// is at least the class's size, and aligned more than the class needs.
void* frame_alloc_aligned(std::size_t size, std::size_t alignment) {
  const std::size_t n = size_class(size) * kGranule;
  void* p = aligned_block(n, alignment);
  if (reinterpret_cast<std::uintptr_t>(p) % alignment != 0) {
    // Debian 12's mimalloc (2.0.9) aligns blocks of 256 to 1024 bytes to
    // 128 bytes only, whatever alignment is asked; larger blocks are right.
    mi_free(p);
    p = aligned_block(std::max(n, std::size_t{1024} + kGranule), alignment);
  }
  return p;
}

#endif  // GORO_NO_MIMALLOC

}  // namespace goro::internal
