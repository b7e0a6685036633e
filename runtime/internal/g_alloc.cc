#include "goro/runtime/internal/g_alloc.h"

#include <algorithm>
#include <iterator>

namespace goro::internal {

alignas(ABSL_CACHELINE_SIZE) std::atomic<std::uint64_t> g_alloc::id_source_{1};

g* g_alloc::alloc_block(g** rest) {
  auto block = std::make_unique<g[]>(kGBlock);
  g* gs = block.get();
  {
    std::lock_guard<std::mutex> lock(mu_);
    blocks_.push_back(std::move(block));
  }
  for (std::uint32_t i = 0; i < kGBlock; ++i) gs[i].sched = owner_;
  for (std::uint32_t i = 1; i < kGBlock; ++i) rest[i - 1] = &gs[i];
  return &gs[0];
}

g* g_alloc::get_slow(processor* pp) {
  if (pp == nullptr) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!free_.empty()) {
        g* gp = free_.back();
        free_.pop_back();
        nfree_.store(free_.size(), std::memory_order_relaxed);
        return gp;
      }
    }
    g* rest[kGBlock - 1];
    g* gp = alloc_block(rest);
    std::lock_guard<std::mutex> lock(mu_);
    free_.insert(free_.end(), std::begin(rest), std::end(rest));
    nfree_.store(free_.size(), std::memory_order_relaxed);
    return gp;
  }
  if (pp->ngfree == 0) {
    if (nfree_.load(std::memory_order_relaxed) != 0) {
      // Refill half the local cache from the shared stack. (A stale zero
      // above only costs a block allocation.)
      std::lock_guard<std::mutex> lock(mu_);
      std::size_t n = std::min<std::size_t>(free_.size(), kMaxLocalFree / 2);
      std::copy_n(free_.end() - static_cast<std::ptrdiff_t>(n), n, pp->gfree);
      free_.resize(free_.size() - n);
      nfree_.store(free_.size(), std::memory_order_relaxed);
      pp->ngfree = static_cast<std::uint32_t>(n);
    }
    if (pp->ngfree == 0) {
      g* gp = alloc_block(pp->gfree);
      pp->ngfree = kGBlock - 1;
      return gp;
    }
  }
  return pp->gfree[--pp->ngfree];
}

void g_alloc::put_slow(processor* pp, g* gp) {
  if (pp == nullptr) {
    std::lock_guard<std::mutex> lock(mu_);
    free_.push_back(gp);
    nfree_.store(free_.size(), std::memory_order_relaxed);
    return;
  }
  if (pp->ngfree == kMaxLocalFree) {
    // Give the older half back.
    std::lock_guard<std::mutex> lock(mu_);
    free_.insert(free_.end(), pp->gfree, pp->gfree + kMaxLocalFree / 2);
    nfree_.store(free_.size(), std::memory_order_relaxed);
    std::copy(pp->gfree + kMaxLocalFree / 2, pp->gfree + kMaxLocalFree,
              pp->gfree);
    pp->ngfree = kMaxLocalFree / 2;
  }
  pp->gfree[pp->ngfree++] = gp;
}

}  // namespace goro::internal
