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
//   goro/runtime/when_all.h     goro::when_all (fork-join over tasks)
//   goro/runtime/yield.h        goro::yield (Gosched)
//   goro/runtime/this_g.h       goro::this_g::id, goro::gomaxprocs
//   goro/runtime/stats.h        goro::runtime_stats
//   goro/sync/mutex.h           goro::mutex
//   goro/sync/rwmutex.h         goro::rwmutex
//   goro/sync/unique_lock.h     goro::unique_lock (scoped_lock's guard)
//   goro/sync/shared_lock.h     goro::shared_lock (scoped_lock_shared's)
//   goro/sync/wait_group.h      goro::wait_group
//   goro/sync/once.h            goro::once
//   goro/sync/cond.h            goro::cond
//   goro/sync/semaphore.h       goro::semaphore (weighted)
//   goro/sync/sync_error.h      goro::sync_error
//   goro/timer/sleep.h          goro::sleep_for, goro::sleep_until
//   goro/timer/timer.h          goro::timer, goro::after, goro::after_func
//   goro/timer/ticker.h         goro::ticker
//   goro/context/context.h      goro::context, goro::background,
//                               goro::with_cancel, goro::with_timeout,
//                               goro::with_deadline, goro::cancel_func
//   goro/group/group.h          goro::group (Go's errgroup)
//   goro/fiber/stackful.h       goro::go_stackful, goro::co_spawn_stackful,
//                               goro::stackful, goro::fiber_options
//   goro/fiber/await.h          goro::await (co_await for fibers)
#ifndef GORO_GORO_H_
#define GORO_GORO_H_

#include "goro/chan/chan.h"
#include "goro/chan/channel_error.h"
#include "goro/chan/select.h"
#include "goro/context/context.h"
#include "goro/fiber/await.h"
#include "goro/fiber/stackful.h"
#include "goro/group/group.h"
#include "goro/runtime/join_handle.h"
#include "goro/runtime/runtime.h"
#include "goro/runtime/spawn.h"
#include "goro/runtime/stats.h"
#include "goro/runtime/this_g.h"
#include "goro/runtime/when_all.h"
#include "goro/runtime/yield.h"
#include "goro/sync/cond.h"
#include "goro/sync/mutex.h"
#include "goro/sync/once.h"
#include "goro/sync/rwmutex.h"
#include "goro/sync/semaphore.h"
#include "goro/sync/shared_lock.h"
#include "goro/sync/sync_error.h"
#include "goro/sync/unique_lock.h"
#include "goro/sync/wait_group.h"
#include "goro/task/task.h"
#include "goro/timer/sleep.h"
#include "goro/timer/ticker.h"
#include "goro/timer/timer.h"

#endif  // GORO_GORO_H_
