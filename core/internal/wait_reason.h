// wait_reason: what a parked G waits for (Go's waitReason).
//
// Each park (park.h) names one, with Go's strings where Go has one
// (runtime/runtime2.go, waitReasonStrings) and goro's own words where Go
// has none. The G keeps it while it waits: a goroutine dump and a deadlock
// report print exactly these.
#ifndef GORO_CORE_INTERNAL_WAIT_REASON_H_
#define GORO_CORE_INTERNAL_WAIT_REASON_H_

#include <cstdint>

namespace goro::internal {

enum class wait_reason : std::uint8_t {
  none,                  // not parked
  chan_receive,          // "chan receive"
  chan_send,             // "chan send"
  chan_receive_nil,      // "chan receive (nil chan)"
  chan_send_nil,         // "chan send (nil chan)"
  select,                // "select"
  select_no_cases,       // "select (no cases)"
  sync_mutex_lock,       // "sync.Mutex.Lock"
  sync_rwmutex_lock,     // "sync.RWMutex.Lock"
  sync_rwmutex_rlock,    // "sync.RWMutex.RLock"
  sync_wait_group_wait,  // "sync.WaitGroup.Wait"
  sync_cond_wait,        // "sync.Cond.Wait"
  sync_once_do,          // "sync.Once.Do" (goro's: Go's Once waits on a mutex)
  semacquire,            // "semacquire" (goro::semaphore)
  sleep,                 // "sleep"
  timer_goroutine_idle,  // "timer goroutine (idle)"
  join,                  // "join": co_await on a join_handle (goro's)
  yield,                 // "yield": runnable again at once (Gosched)
  fiber,                 // "fiber": a stackful G's driver between waits
};

// Go's string for a reason ("chan receive", "sync.Mutex.Lock", ...).
const char* wait_reason_string(wait_reason why) noexcept;

}  // namespace goro::internal

#endif  // GORO_CORE_INTERNAL_WAIT_REASON_H_
