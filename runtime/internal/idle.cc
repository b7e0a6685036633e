#include "goro/runtime/internal/idle.h"

#include "goro/runtime/internal/scheduler.h"

namespace goro::internal {

void idle::add_initial_ps(const std::vector<std::unique_ptr<processor>>& ps) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = ps.rbegin(); it != ps.rend(); ++it) pidleput_locked(it->get());
}

// ------------------------------------------------------- producers of work

void idle::wakep_idle_p() {
  // seq_cst: the rest of step 2 of handshake (a), after wakep's npidle load.
  if (nmspinning_.load(std::memory_order_seq_cst) != 0) return;
  std::int32_t expected = 0;
  if (!nmspinning_.compare_exchange_strong(expected, 1,
                                           std::memory_order_seq_cst)) {
    return;
  }
  startm(nullptr, /*spinning=*/true);
}

void idle::wake_for_global() {
  // Handshake (b), producer step 2: the push stored global size seq_cst;
  // this load pairs with the npidle increment in release_p.
  if (npidle_.load(std::memory_order_seq_cst) == 0) return;
  startm(nullptr, /*spinning=*/false);
}

void idle::startm(processor* pp, bool spinning) {
  std::unique_lock<std::mutex> lock(mu_);
  if (pp == nullptr) pp = pidleget_locked();
  if (pp == nullptr || stopping_.load(std::memory_order_relaxed)) {
    if (pp != nullptr) pidleput_locked(pp);
    lock.unlock();
    // We took the spinning slot in wakep(); give it back. If work appeared
    // meanwhile, the Ms that hold the Ps will find it.
    if (spinning) nmspinning_.fetch_sub(1, std::memory_order_seq_cst);
    return;
  }
  machine* m = midle_;
  if (m != nullptr) {
    midle_ = m->idle_link;
    m->idle_link = nullptr;
    m->next_p = pp;
    m->next_spinning = spinning;
    lock.unlock();
    // RELEASE in unpark pairs with the ACQUIRE in park(); next_p itself is
    // read under mu_ too.
    m->park.unpark();
    return;
  }
  auto owned = std::make_unique<machine>();
  m = owned.get();
  m->sched = sched_;
  m->next_p = pp;
  m->next_spinning = spinning;
  all_ms_.push_back(std::move(owned));
  // Started under mu_, which stop() holds to set stopping_ (checked above):
  // after stop(), all_ms_ no longer grows, so join_all() joins every M that
  // was ever started.
  scheduler* s = sched_;
  m->thread = std::thread([s, m] { s->m_main(m); });
}

// ------------------------------------------------------ an M and its P

bool idle::try_spin(machine* m) {
  const std::int32_t busy = procs_ - npidle_.load(std::memory_order_seq_cst);
  if (m->spinning || 2 * nmspinning_.load(std::memory_order_seq_cst) < busy) {
    if (!m->spinning) {
      m->spinning = true;
      nmspinning_.fetch_add(1, std::memory_order_seq_cst);
    }
    return true;
  }
  return false;
}

bool idle::release_p(machine* m) {
  std::lock_guard<std::mutex> lock(mu_);
  if (stopping_.load(std::memory_order_relaxed)) return false;
  processor* pp = m->p;
  pp->counters.parks.add();  // still ours until pidleput
  pidleput_locked(pp);       // npidle+1, seq_cst: step 1 of (a) and (b)
  m->p = nullptr;
  m->idle_link = midle_;
  midle_ = m;
  return true;
}

bool idle::try_take_p(machine* m) {
  std::lock_guard<std::mutex> lock(mu_);
  // If startm() already chose this M (next_p set), its token is on the
  // way: park() returns at once with that P.
  if (m->next_p != nullptr) return false;
  processor* again = pidleget_locked();
  // No idle P: every P is held by a running M, which will find the work.
  if (again == nullptr) return false;
  unlink_m_locked(m);
  m->p = again;
  m->spinning = true;
  nmspinning_.fetch_add(1, std::memory_order_seq_cst);
  return true;
}

bool idle::take_handed_p(machine* m) {
  std::lock_guard<std::mutex> lock(mu_);
  if (m->next_p == nullptr) return false;
  m->p = m->next_p;
  m->spinning = m->next_spinning;
  m->next_p = nullptr;
  return true;
}

// -------------------------------------------------------------- the poller

bool idle::return_from_poll(machine* m, bool want_p) {
  std::lock_guard<std::mutex> lock(mu_);
  processor* pp = nullptr;
  if (want_p && !stopping_.load(std::memory_order_relaxed)) {
    pp = pidleget_locked();
  }
  if (pp != nullptr) {
    m->p = pp;
    return true;
  }
  m->idle_link = midle_;
  midle_ = m;
  return false;
}

// ---------------------------------------------------------------- shutdown

void idle::stop() {
  std::lock_guard<std::mutex> lock(mu_);
  stopping_.store(true, std::memory_order_seq_cst);
  for (auto& m : all_ms_) m->park.unpark();
}

void idle::join_all() {
  // No M is created once stopping_ is set (startm checks it under mu_), so
  // all_ms_ no longer changes.
  for (auto& m : all_ms_) m->thread.join();
}

// ------------------------------------------------------------ the lists

void idle::unlink_m_locked(machine* m) noexcept {
  for (machine** link = &midle_; *link != nullptr; link = &(*link)->idle_link) {
    if (*link == m) {
      *link = m->idle_link;
      m->idle_link = nullptr;
      return;
    }
  }
}

processor* idle::pidleget_locked() noexcept {
  processor* pp = pidle_;
  if (pp != nullptr) {
    pidle_ = pp->idle_link;
    pp->idle_link = nullptr;
    npidle_.fetch_sub(1, std::memory_order_seq_cst);
  }
  return pp;
}

void idle::pidleput_locked(processor* pp) noexcept {
  pp->idle_link = pidle_;
  pidle_ = pp;
  // seq_cst: step 1 of handshake (b) (and (a)), read by wake_for_global()
  // and wakep().
  npidle_.fetch_add(1, std::memory_order_seq_cst);
}

}  // namespace goro::internal
