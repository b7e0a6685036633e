// g_alloc: where g structs and G ids come from (Go's gfget/gfput, allgs and
// goidcache).
//
// g structs are never freed while the scheduler lives (Go keeps its gs
// too): a finished G's struct goes to its P's free list, overflowing in
// halves to a shared list, and new ones are allocated kGBlock at a time, so
// that neither spawning nor finishing a G takes a lock or calls malloc in
// the steady state. Every block is kept (Go's allgs): teardown walks them
// to destroy the frames of Gs that never finished (teardown.cc).
//
// G ids come from a process-wide counter, handed to Ps in batches, so that
// a spawn on an M touches no shared counter in the steady state.
#ifndef GORO_RUNTIME_INTERNAL_G_ALLOC_H_
#define GORO_RUNTIME_INTERNAL_G_ALLOC_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "goro/core/internal/g.h"
#include "goro/runtime/internal/processor.h"

namespace goro::internal {

class g_alloc {
 public:
  // A block is as many gs as fit in 4 KiB, a size class of its own (a
  // block of a round count of gs would be rounded up to a larger class,
  // wasting the difference).
  static constexpr std::uint32_t kGBlock = 4096 / sizeof(g);
  static_assert(kGBlock - 1 <= processor::kMaxFree,
                "a new block's spare gs must fit a P's free cache");

  // Every g handed out belongs to `owner` (g::sched).
  explicit g_alloc(g_owner* owner) : owner_(owner) {}
  g_alloc(const g_alloc&) = delete;
  g_alloc& operator=(const g_alloc&) = delete;

  // A free g struct: from pp's free list (pp: the caller's P, or null on a
  // thread that holds none), else the shared one, else a new block.
  // Inline: every spawn takes one and every G's end gives one back; the
  // common case is a pop or push on pp's own stack.
  g* get(processor* pp) {
    if (pp != nullptr && pp->ngfree != 0) [[likely]] {
      return pp->gfree[--pp->ngfree];
    }
    return get_slow(pp);
  }
  // Gives back the struct of a released G.
  void put(processor* pp, g* gp) {
    if (pp != nullptr && pp->ngfree != kMaxLocalFree) [[likely]] {
      pp->gfree[pp->ngfree++] = gp;
      return;
    }
    put_slow(pp, gp);
  }

  // A fresh G id: from pp's cached batch, or the process-wide counter
  // itself when pp is null. Inline: every spawn takes one.
  static std::uint64_t new_id(processor* pp) {
    if (pp == nullptr) {
      return id_source_.fetch_add(1, std::memory_order_relaxed);
    }
    if (pp->next_id == pp->end_id) {
      pp->next_id = id_source_.fetch_add(kIdBatch, std::memory_order_relaxed);
      pp->end_id = pp->next_id + kIdBatch;
    }
    return pp->next_id++;
  }

  // Calls f(g*) on every g ever allocated, including those of blocks that
  // f itself causes to be allocated (a destructor that spawns). Only once
  // every M has exited (teardown).
  template <class F>
  void for_each_g(F&& f) {
    // Indexes, not iterators: f may spawn, and so add a block.
    for (std::size_t b = 0; b < blocks_.size(); ++b) {
      for (std::uint32_t i = 0; i < kGBlock; ++i) f(&blocks_[b][i]);
    }
  }

 private:
  // Free g structs a P keeps before giving half back to the shared list.
  static constexpr std::uint32_t kMaxLocalFree = processor::kMaxFree;

  g* get_slow(processor* pp);
  void put_slow(processor* pp, g* gp);
  g* alloc_block(g** rest);

  // Process-wide G ids, handed to Ps in batches (Go's goidcache). Go takes
  // 16 at a time; a fork-join tree spawns millions of Gs a second on every
  // P, and at 16 the shared counter's cache line moved between cores every
  // few hundred nanoseconds. Ids stay unique, just not dense. On a line of
  // its own: nothing else in the process writes it.
  static constexpr std::uint64_t kIdBatch = 1024;
  alignas(ABSL_CACHELINE_SIZE) static std::atomic<std::uint64_t> id_source_;

  g_owner* const owner_;

  // Guards blocks_ and free_. nfree_ is written under it and peeked
  // without it.
  std::mutex mu_;
  // Every g ever allocated (Go's allgs), kGBlock per block.
  std::vector<std::unique_ptr<g[]>> blocks_;
  // Free g structs beyond what the Ps cache, and those freed off any P.
  std::vector<g*> free_;
  std::atomic<std::size_t> nfree_{0};
};

}  // namespace goro::internal

#endif  // GORO_RUNTIME_INTERNAL_G_ALLOC_H_
