// goro::sync_error: what misusing a sync primitive throws.
//
// Go panics (recoverably) on these mistakes; goro throws goro::sync_error,
// a std::logic_error whose what() is Go's wording:
//
//   "sync: negative WaitGroup counter"          wait_group::add/done took
//                                                the counter below zero
//   "sync: WaitGroup misuse: Add called concurrently with Wait"
//   "sync: WaitGroup is reused before previous Wait has returned"
//   "semaphore: released more than held"         semaphore::release
//
// and, for requests that can never be satisfied (where Go's x/sync would
// block forever or until a context ends):
//
//   "semaphore: acquire of more than the semaphore's size"
//   "semaphore: negative weight"
//   "semaphore: negative size"                   (the constructor)
//
// Mistakes that Go treats as fatal (unlocking an unlocked mutex or rwmutex)
// are not exceptions in goro either: they end the process with Go's message
// (goro/sync/mutex.h, goro/sync/rwmutex.h), because the lock's state can no
// longer be trusted by anyone.
#ifndef GORO_SYNC_SYNC_ERROR_H_
#define GORO_SYNC_SYNC_ERROR_H_

#include <stdexcept>

namespace goro {

class sync_error : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

}  // namespace goro

#endif  // GORO_SYNC_SYNC_ERROR_H_
