// goro: Go-style coroutines for C++20. This header pulls in the whole public
// API; each piece also has a header of its own:
//
//   goro/task/task.h            goro::task<T>
//   goro/chan/chan.h            goro::chan<T>, goro::make_chan
//   goro/chan/select.h          goro::select, goro::default_case
//   goro/chan/channel_error.h   goro::channel_error
//   goro/runtime/runtime.h      goro::runtime, goro::options, goro::run
//   goro/runtime/spawn.h        goro::go, goro::co_spawn
//   goro/runtime/join_handle.h  goro::join_handle<T>
//   goro/runtime/yield.h        goro::yield (Gosched)
//   goro/runtime/this_g.h       goro::this_g::id, goro::gomaxprocs
//   goro/runtime/stats.h        goro::runtime_stats
#ifndef GORO_GORO_H_
#define GORO_GORO_H_

#include "goro/chan/chan.h"
#include "goro/chan/channel_error.h"
#include "goro/chan/select.h"
#include "goro/runtime/join_handle.h"
#include "goro/runtime/runtime.h"
#include "goro/runtime/spawn.h"
#include "goro/runtime/stats.h"
#include "goro/runtime/this_g.h"
#include "goro/runtime/yield.h"
#include "goro/task/task.h"

#endif  // GORO_GORO_H_
