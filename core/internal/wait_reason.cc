#include "goro/core/internal/wait_reason.h"

namespace goro::internal {

const char* wait_reason_string(wait_reason why) noexcept {
  switch (why) {
    case wait_reason::none:
      return "running";
    case wait_reason::chan_receive:
      return "chan receive";
    case wait_reason::chan_send:
      return "chan send";
    case wait_reason::chan_receive_nil:
      return "chan receive (nil chan)";
    case wait_reason::chan_send_nil:
      return "chan send (nil chan)";
    case wait_reason::select:
      return "select";
    case wait_reason::select_no_cases:
      return "select (no cases)";
    case wait_reason::sync_mutex_lock:
      return "sync.Mutex.Lock";
    case wait_reason::sync_rwmutex_lock:
      return "sync.RWMutex.Lock";
    case wait_reason::sync_rwmutex_rlock:
      return "sync.RWMutex.RLock";
    case wait_reason::sync_wait_group_wait:
      return "sync.WaitGroup.Wait";
    case wait_reason::sync_cond_wait:
      return "sync.Cond.Wait";
    case wait_reason::sync_once_do:
      return "sync.Once.Do";
    case wait_reason::semacquire:
      return "semacquire";
    case wait_reason::sleep:
      return "sleep";
    case wait_reason::timer_goroutine_idle:
      return "timer goroutine (idle)";
    case wait_reason::join:
      return "join";
    case wait_reason::yield:
      return "yield";
    case wait_reason::fiber:
      return "fiber";
  }
  return "unknown";
}

}  // namespace goro::internal
