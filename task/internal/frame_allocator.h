// Frame allocation for goro coroutines.
//
// Every goro::task frame (and so every G's root frame) is allocated through
// promise_base::operator new, which lands here. Spawning a G allocates at
// least one frame, so this is on the hottest path the runtime has.
//
// Design: frames come from mimalloc, through a small per-thread cache of
// freed frames by size class (frame_allocator.cc). mimalloc handles the
// general case well (thread-local size classes, frames freed on another
// thread, returning memory to the OS), but a frame's free costs ~90
// instructions in Debian's build, several times the frame's own work for a
// small task; the cache makes the common alloc/free pair a list pop/push.
//
// Under AddressSanitizer/ThreadSanitizer (GORO_NO_MIMALLOC, set by the
// `asan`/`tsan` configs) frames go through ::operator new instead, so that
// the sanitizer sees every frame: use-after-free of a frame and leaked frames
// at shutdown are exactly the bugs we want it to report.
#ifndef GORO_TASK_INTERNAL_FRAME_ALLOCATOR_H_
#define GORO_TASK_INTERNAL_FRAME_ALLOCATOR_H_

#include <cstddef>

namespace goro::internal {

// Returns storage for a coroutine frame of `size` bytes. Never returns null:
// throws std::bad_alloc like ::operator new.
void* frame_alloc(std::size_t size);

// Releases storage obtained from frame_alloc(size). May be called on any
// thread.
void frame_free(void* frame, std::size_t size) noexcept;

}  // namespace goro::internal

#endif  // GORO_TASK_INTERNAL_FRAME_ALLOCATOR_H_
