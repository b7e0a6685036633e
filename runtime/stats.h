// goro::runtime_stats: counters a runtime keeps per P, for tests, tuning and
// dashboards. Read with goro::runtime::stats(); each value is a snapshot
// that may lag the running Ms slightly.
#ifndef GORO_RUNTIME_STATS_H_
#define GORO_RUNTIME_STATS_H_

#include <cstdint>
#include <vector>

namespace goro {

struct processor_stats {
  std::uint64_t spawned = 0;         // Gs created by Gs running on this P
  std::uint64_t run = 0;             // G executions (each resumption)
  std::uint64_t stolen = 0;          // Gs this P stole from other Ps
  std::uint64_t steal_attempts = 0;  // other Ps probed for work
  std::uint64_t parks = 0;           // times this P went idle
  std::uint64_t global_takes = 0;    // Gs taken from the global queue

  processor_stats& operator+=(const processor_stats& o) {
    spawned += o.spawned;
    run += o.run;
    stolen += o.stolen;
    steal_attempts += o.steal_attempts;
    parks += o.parks;
    global_takes += o.global_takes;
    return *this;
  }
};

struct runtime_stats {
  std::vector<processor_stats> procs;  // one entry per P, by P index

  processor_stats total() const {
    processor_stats t;
    for (const auto& p : procs) t += p;
    return t;
  }
};

}  // namespace goro

#endif  // GORO_RUNTIME_STATS_H_
