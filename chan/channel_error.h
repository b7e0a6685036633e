// goro::channel_error: what misusing a channel throws.
//
// Go panics with a runtime error on these mistakes; goro throws
// goro::channel_error (a std::logic_error), whose what() is Go's wording:
//
//   "send on closed channel"       a send (co_await ch.send(v), try_send,
//                                  send_blocking, a select send case) on a
//                                  closed channel, including a send that was
//                                  blocked when the channel was closed
//   "close of closed channel"      ch.close() twice
//   "close of nil channel"         close() on a default-constructed chan
//   "makechan: size out of range"  make_chan with a negative capacity, or one
//                                  whose buffer could not fit in memory
//
// Like a recovered Go panic, it can be caught; left alone in a G it ends the
// process with goro's panic message (goro/runtime/spawn.h).
#ifndef GORO_CHAN_CHANNEL_ERROR_H_
#define GORO_CHAN_CHANNEL_ERROR_H_

#include <stdexcept>

namespace goro {

class channel_error : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

}  // namespace goro

#endif  // GORO_CHAN_CHANNEL_ERROR_H_
