// lock_owner: the one implementation behind goro::unique_lock and
// goro::shared_lock; `Side` says which unlock the owner calls.
#ifndef GORO_SYNC_INTERNAL_LOCK_OWNER_H_
#define GORO_SYNC_INTERNAL_LOCK_OWNER_H_

#include <mutex>
#include <stdexcept>
#include <utility>

namespace goro::internal {

struct exclusive_side {
  static constexpr const char* kUnlockWithoutLock =
      "goro::unique_lock::unlock: owns no lock";
  template <class L>
  static void unlock(L& m) {
    m.unlock();
  }
};

struct shared_side {
  static constexpr const char* kUnlockWithoutLock =
      "goro::shared_lock::unlock: owns no lock";
  template <class L>
  static void unlock(L& m) {
    m.unlock_shared();
  }
};

template <class Lockable, class Side>
class [[nodiscard]] lock_owner {
 public:
  using mutex_type = Lockable;

  lock_owner() noexcept = default;
  // Adopts a lock (of this side) that the caller already holds on m.
  lock_owner(Lockable& m, std::adopt_lock_t) noexcept : m_(&m) {}
  lock_owner(lock_owner&& other) noexcept
      : m_(std::exchange(other.m_, nullptr)) {}
  lock_owner& operator=(lock_owner&& other) noexcept {
    if (this != &other) {
      if (m_ != nullptr) Side::unlock(*m_);
      m_ = std::exchange(other.m_, nullptr);
    }
    return *this;
  }
  lock_owner(const lock_owner&) = delete;
  lock_owner& operator=(const lock_owner&) = delete;
  ~lock_owner() {
    if (m_ != nullptr) Side::unlock(*m_);
  }

  // Releases the lock early. Throws std::logic_error if none is owned.
  void unlock() {
    if (m_ == nullptr) throw std::logic_error(Side::kUnlockWithoutLock);
    Side::unlock(*std::exchange(m_, nullptr));
  }
  // Gives up ownership without unlocking; returns the mutex.
  Lockable* release() noexcept { return std::exchange(m_, nullptr); }

  bool owns_lock() const noexcept { return m_ != nullptr; }
  explicit operator bool() const noexcept { return owns_lock(); }
  Lockable* mutex() const noexcept { return m_; }

 private:
  Lockable* m_ = nullptr;
};

}  // namespace goro::internal

#endif  // GORO_SYNC_INTERNAL_LOCK_OWNER_H_
