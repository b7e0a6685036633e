#include "goro/task/internal/frame_allocator.h"

#include <new>

#ifndef GORO_NO_MIMALLOC
#include <mimalloc.h>
#endif

namespace goro::internal {

void* frame_alloc(std::size_t size) {
#ifdef GORO_NO_MIMALLOC
  return ::operator new(size);
#else
  void* p = mi_malloc(size);
  if (p == nullptr) throw std::bad_alloc();
  return p;
#endif
}

void frame_free(void* frame, std::size_t size) noexcept {
#ifdef GORO_NO_MIMALLOC
  ::operator delete(frame, size);
#else
  mi_free_size(frame, size);
#endif
}

}  // namespace goro::internal
