// Questions a G can ask about where it runs.
//
//  goro::this_g::id()   the running G's id: unique in the process, never 0,
//                       stable for the G's life (ids are not reused).
//  goro::gomaxprocs()   the number of Ps of the runtime the caller runs in.
//
// Both throw std::logic_error when called outside any G (a plain thread).
// Both read the current M through an opaque call, so they are correct after
// any co_await, even though the G may have moved to another thread.
#ifndef GORO_RUNTIME_THIS_G_H_
#define GORO_RUNTIME_THIS_G_H_

#include <cstdint>

namespace goro {

namespace this_g {
std::uint64_t id();
}  // namespace this_g

int gomaxprocs();

}  // namespace goro

#endif  // GORO_RUNTIME_THIS_G_H_
