// Frame allocation for goro coroutines.
//
// Every goro::task frame (and so every G's root frame) is allocated through
// promise_base::operator new, which lands here. Spawning a G allocates at
// least one frame, so this is on the hottest path the runtime has.
//
// Alignment (the contract). A frame of n bytes is aligned to
// frame_alignment(n): the largest power of two that divides n, but at least
// 16 bytes (operator new's default) and at most kMaxFrameAlignment = 128
// bytes. So a frame whose contents need up to 128 bytes of alignment is
// aligned as they need, and everything beyond is rejected at compile time
// where goro can see it.
//
// Why the size: a frame holds the coroutine's promise, parameters, locals
// and awaiters, and the compiler lays it out (and accesses it) as if it were
// aligned to the largest alignment among them. But g++ 12, and clang 19 by
// default, call the promise's operator new(std::size_t) without that
// alignment; a frame less aligned than its layout assumes holds misaligned
// objects (undefined behaviour, reported by UBSan). What they do pass is the
// size, and both lay a frame out as a struct, whose size is a multiple of
// its alignment (tests/frame_alignment_test.cc checks that for each
// compiler): the largest power of two dividing the size is at least the
// frame's alignment. Taking it from the size costs no memory (nothing is
// rounded up) and nothing on the hot path (the per-thread cache's size
// classes are 16 bytes apart, so every frame of a class that must be
// aligned has the class's exact size).
//
// Why 128: it covers cache-line padding as written today (alignas(64), and
// alignas(128) for CPUs that fetch lines in pairs), and it is what mimalloc
// gives for free: its blocks of a multiple of 128 bytes are 128-byte
// aligned, while Debian 12's mimalloc aligns blocks of 256 to 1024 bytes to
// 128 only, so more would cost memory on every frame whose size is a
// multiple of 256.
//
// Rejected at compile time (check_frame_alignment below, with a message
// saying why): alignof(T) > 128 for a task<T>'s result (so also
// join_handle<T>, co_spawn, block_on), for the channel operations that are
// awaited (chan<T>'s send, recv, send_case, recv_case), and for the
// callable and arguments that go / co_spawn / go_stackful keep in a frame.
// Hold such a value through a pointer (std::unique_ptr<T>) instead.
// chan<T>'s try_send, try_recv, send_blocking and recv_blocking keep T
// outside coroutine frames and take any T. A coroutine's own local or
// parameter aligned beyond 128 bytes cannot be seen from here: with g++,
// and with clang by default, it is misaligned.
//
// A compiler that does pass the frame's alignment (clang with
// -fcoro-aligned-allocation, P2014) calls promise_base's
// operator new(std::size_t, std::align_val_t) instead, for every frame;
// that overload honours any alignment (beyond 128 bytes through
// frame_alloc_aligned, which bypasses the cache), so there even such
// locals are aligned. Every frame, whatever its alignment, is released by
// frame_free.
//
// Design: frames come from mimalloc, through a small per-thread cache of
// freed frames by size class (frame_allocator.cc). mimalloc handles the
// general case well (thread-local size classes, frames freed on another
// thread, returning memory to the OS), but a frame's free costs ~90
// instructions in Debian's build, several times the frame's own work for a
// small task; the cache makes the common alloc/free pair a list pop/push.
//
// Under AddressSanitizer/ThreadSanitizer (GORO_NO_MIMALLOC, set by the
// `asan`/`tsan` configs) frames come from posix_memalign and go back to
// free instead, uncached, so that the sanitizer sees every frame:
// use-after-free of a frame and leaked frames at shutdown are exactly the
// bugs we want it to report. (Not the aligned ::operator new: its delete
// must be told the alignment the frame was allocated with, and frame_free
// cannot know it for a frame from frame_alloc_aligned.)
#ifndef GORO_TASK_INTERNAL_FRAME_ALLOCATOR_H_
#define GORO_TASK_INTERNAL_FRAME_ALLOCATOR_H_

#include <cstddef>

namespace goro::internal {

inline constexpr std::size_t kMinFrameAlignment = 16;
inline constexpr std::size_t kMaxFrameAlignment = 128;

// The alignment of a frame of `size` bytes (see above).
constexpr std::size_t frame_alignment(std::size_t size) noexcept {
  const std::size_t a = size & (~size + 1);  // lowest set bit
  if (a < kMinFrameAlignment) return kMinFrameAlignment;
  if (a > kMaxFrameAlignment) return kMaxFrameAlignment;
  return a;
}

// Returns storage for a coroutine frame of `size` bytes, aligned to
// frame_alignment(size). Never returns null: throws std::bad_alloc like
// ::operator new.
void* frame_alloc(std::size_t size);

// Returns storage for a frame of `size` bytes aligned to `alignment`, a
// power of two above kMaxFrameAlignment, for a compiler that asks for it.
// Bypasses the cache.
void* frame_alloc_aligned(std::size_t size, std::size_t alignment);

// Releases storage obtained from frame_alloc(size) or
// frame_alloc_aligned(size, alignment). May be called on any thread.
void frame_free(void* frame, std::size_t size) noexcept;

// For the goro types that put a T into a coroutine frame:
//   static_assert(check_frame_alignment<T>());
template <class T>
consteval bool check_frame_alignment() {
  static_assert(
      alignof(T) <= kMaxFrameAlignment,
      "goro: alignof(T) > 128. This value would live in a coroutine frame, "
      "and goro aligns frames to at most 128 bytes: g++ 12 (like clang by "
      "default) does not pass a frame's alignment to the promise's "
      "operator new, so goro derives it from the frame's size, up to 128 "
      "(goro/task/internal/frame_allocator.h). Hold the value through a "
      "pointer (e.g. std::unique_ptr<T>) instead.");
  return true;
}

}  // namespace goro::internal

#endif  // GORO_TASK_INTERNAL_FRAME_ALLOCATOR_H_
