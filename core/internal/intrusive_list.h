// intrusive_list: the doubly linked FIFO under every wait queue (a
// channel's send and receive queues, a sync primitive's waiters).
//
// The nodes are waiter records that live in their owners' frames or stacks,
// so linking allocates nothing. Node must have `Node* next`, `Node* prev`
// and `bool queued`; the list sets all three. Not thread-safe: every queue
// is guarded by its owner's lock.
#ifndef GORO_CORE_INTERNAL_INTRUSIVE_LIST_H_
#define GORO_CORE_INTERNAL_INTRUSIVE_LIST_H_

namespace goro::internal {

template <class Node>
class intrusive_list {
 public:
  bool empty() const noexcept { return head_ == nullptr; }
  Node* front() const noexcept { return head_; }

  void push_back(Node* n) noexcept {
    n->next = nullptr;
    n->prev = tail_;
    if (tail_ != nullptr) {
      tail_->next = n;
    } else {
      head_ = n;
    }
    tail_ = n;
    n->queued = true;
  }

  void push_front(Node* n) noexcept {
    n->prev = nullptr;
    n->next = head_;
    if (head_ != nullptr) {
      head_->prev = n;
    } else {
      tail_ = n;
    }
    head_ = n;
    n->queued = true;
  }

  // Unlinks n, which must be on this list.
  void remove(Node* n) noexcept {
    if (n->prev != nullptr) {
      n->prev->next = n->next;
    } else {
      head_ = n->next;
    }
    if (n->next != nullptr) {
      n->next->prev = n->prev;
    } else {
      tail_ = n->prev;
    }
    n->next = n->prev = nullptr;
    n->queued = false;
  }

 private:
  Node* head_ = nullptr;
  Node* tail_ = nullptr;
};

}  // namespace goro::internal

#endif  // GORO_CORE_INTERNAL_INTRUSIVE_LIST_H_
