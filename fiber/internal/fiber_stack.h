// fiber_stack: the memory a fiber runs on, and what happens at its end.
//
// Layout. One private anonymous mapping per stack, reserved whole and
// committed by the kernel page by page as the fiber touches it (Go grows a
// goroutine's stack by copying; a C++ stack cannot move, because pointers
// into it are everywhere, so goro reserves address space instead and lets
// the page tables do the growing). The lowest kGuardSize bytes are
// PROT_NONE, the guard:
//
//     base                 lo                                     top
//     | guard (PROT_NONE)  | usable, committed lazily, grows down <- |
//
// Overflow. Running into the guard faults; a SIGSEGV handler, running on an
// alternate signal stack (the faulting stack has no room left), sees that
// the address lies in the guard of the stack the thread is running, prints
// "goro: fiber stack overflow ..." with the G's id and the stack's size,
// and aborts. Any other SIGSEGV is passed to the handler that was installed
// before (or to the default action). A frame larger than the guard can jump
// over it; kGuardSize (64 KiB) is larger than any frame a sane program
// has, and -fstack-clash-protection closes the gap entirely.
//
// Reuse. Mapping and unmapping are system calls (about 2 us each on the VMs
// we measure on, more than a whole fiber's life), so finished stacks go to
// a pool and the next fiber takes one from there. Before a stack is pooled
// its pages below the top kHotSize are given back to the kernel
// (madvise(MADV_DONTNEED)) if the fiber was seen using them: a pooled stack
// then costs no memory beyond its top pages, whatever depth it once reached.
// "Seen" means the lowest stack pointer observed when the fiber suspended;
// depth reached and left again between two suspensions is not seen, and
// stays committed until the stack leaves the pool. Always madvising would
// cost a system call per fiber, so it is done only when needed. The pool keeps
// at most kPoolMax stacks of each size.
//
// Mappings. Each stack is two mappings (guard and usable part); Linux
// limits a process to vm.max_map_count of them (65530 by default), which
// bounds the number of live fibers to roughly 30,000. Acquiring a stack
// beyond what the kernel gives throws std::system_error naming the limit.
#ifndef GORO_FIBER_INTERNAL_FIBER_STACK_H_
#define GORO_FIBER_INTERNAL_FIBER_STACK_H_

#include <cstddef>
#include <cstdint>

namespace goro::internal {

struct fiber_stack {
  static constexpr std::size_t kGuardSize = 64 * 1024;
  static constexpr std::size_t kHotSize = 16 * 1024;
  static constexpr std::size_t kMinSize = 16 * 1024;
  static constexpr std::size_t kPoolMax = 256;

  char* base = nullptr;  // start of the mapping: the guard
  std::size_t size = 0;  // usable bytes (page multiple)

  char* lo() const noexcept { return base + kGuardSize; }
  char* top() const noexcept { return lo() + size; }
  explicit operator bool() const noexcept { return base != nullptr; }

  // A stack with at least `size` usable bytes (rounded up to pages, at
  // least kMinSize), from the pool if one of that size is there. Throws
  // std::system_error if the kernel refuses the mapping.
  static fiber_stack acquire(std::size_t size);
  // Returns s to the pool (or unmaps it). lowest_sp: the lowest stack
  // pointer the fiber was seen at (see "Reuse").
  static void release(fiber_stack s, std::uintptr_t lowest_sp) noexcept;
  // The usable size acquire(size) would give.
  static std::size_t round_size(std::size_t size) noexcept;
  // Stacks in the pool now (for tests).
  static std::size_t pooled() noexcept;
};

// Called on a thread before it first runs a fiber: installs the overflow
// handler (once per process) and an alternate signal stack for this thread
// (once per thread, freed when the thread exits; a thread that already has
// one keeps it).
void prepare_thread_for_fibers() noexcept;

// What the overflow handler needs to know about the fiber this thread is
// running: published by fiber::resume, read by the handler through
// running_stack_of_this_thread() (fiber.cc; null while no fiber runs).
struct running_stack {
  const char* guard_lo;
  const char* guard_hi;
  std::size_t size;
  std::uint64_t gid;
};
const running_stack* running_stack_of_this_thread() noexcept;

}  // namespace goro::internal

#endif  // GORO_FIBER_INTERNAL_FIBER_STACK_H_
