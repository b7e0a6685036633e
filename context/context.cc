// goro::context: the tree of cancelable nodes behind the handles.
//
// A node per with_cancel/with_deadline context. It holds its parent
// strongly (a child keeps its ancestors alive, as in Go) and its children
// weakly, keyed by address: a parent must not keep abandoned children
// alive, and a child whose last handle goes away unlinks itself in its
// destructor. Cancelling a node, under its mutex, stores err and takes its
// children and its deadline timer out; then, without the lock, it closes
// done, cancels the children (each takes its own lock: locks are taken
// parent to child, never the other way, except for a child unlinking
// itself from its parent, which holds no lock of its own meanwhile), unlinks
// itself from its parent and stops the timer. Both cancelling a subtree and
// destroying a chain run as loops, not recursions: Go code builds chains of
// contexts in loops, and a 10^5-deep one must not overflow the stack.
// Neither allocates, except cancel's worklist when a node has two or more
// live children: a node's destructor is noexcept, and a context is often
// made and dropped per request.
//
// err is an atomic stored (RELEASE) before done is closed; err() loads it
// with ACQUIRE. A G that saw done closed therefore sees err set (the close
// also happens before the receive that observes it).
#include "goro/context/context.h"

#include <memory>
#include <mutex>
#include <unordered_map>
#include <utility>
#include <vector>

namespace goro {

namespace internal {

struct context_node {
  std::shared_ptr<context_node> parent;  // null: background
  std::int64_t deadline = kNever;        // own or inherited; kNever: none
  chan<std::monostate> done = make_chan<std::monostate>();
  std::atomic<context_error::kind> err{context_error::kind::none};

  std::mutex mu;
  // Guarded by mu; emptied by cancel.
  std::unordered_map<context_node*, std::weak_ptr<context_node>> children;
  std::optional<goro::timer> deadline_timer;

  ~context_node() {
    if (parent != nullptr) parent->remove_child(this);
    if (deadline_timer) deadline_timer->stop();
    release_iteratively(std::move(parent));
  }

  // Drops a parent link without recursing: letting go of the last handle
  // of a deep chain would otherwise destroy one ancestor inside the
  // destructor of the next, a stack frame per level. The outermost
  // destructor on this thread drops the links its inner ones hand it, one
  // at a time. A node has one parent link and its destructor hands it over
  // once, so at most one link is pending: a slot in the outermost frame
  // holds it, reached through a thread_local pointer, and nothing is
  // allocated (the destructor is noexcept).
  static void release_iteratively(std::shared_ptr<context_node> p) noexcept {
    thread_local std::shared_ptr<context_node>* pending = nullptr;
    if (p == nullptr) return;
    if (pending != nullptr) {
      // Inside the outer loop's reset(): its slot was emptied first.
      // (Were it not, dropping p here would still be correct, only nested.)
      if (*pending == nullptr) *pending = std::move(p);  // the loop drops it
      return;
    }
    std::shared_ptr<context_node> slot = std::move(p);
    pending = &slot;
    while (slot != nullptr) {
      std::shared_ptr<context_node> q = std::move(slot);
      q.reset();  // may destroy q, whose destructor fills slot with its parent
    }
    pending = nullptr;
  }

  void remove_child(context_node* child) {
    std::lock_guard<std::mutex> lock(mu);
    children.erase(child);
  }
};

namespace {

// Cancels n and every descendant, iteratively (a chain of contexts built
// in a loop may be 10^5 deep): a loop that goes on with one live child of
// the node just canceled and keeps that node's other live children on a
// worklist, instead of a recursive call per level. The worklist allocates
// only when a node has two or more live children; a lone node or a chain
// is canceled without allocating.
void cancel(const std::shared_ptr<context_node>& n, context_error::kind k,
            bool unlink_from_parent) {
  std::vector<std::shared_ptr<context_node>> siblings;
  std::shared_ptr<context_node> hold;  // keeps m alive when m is not n
  context_node* m = n.get();
  bool first = true;
  for (;;) {
    std::unordered_map<context_node*, std::weak_ptr<context_node>> kids;
    std::optional<goro::timer> t;
    bool ended_already;
    {
      std::lock_guard<std::mutex> lock(m->mu);
      ended_already =
          m->err.load(std::memory_order_relaxed) != context_error::kind::none;
      if (!ended_already) {
        // RELEASE: pairs with err()'s ACQUIRE load.
        m->err.store(k, std::memory_order_release);
        kids.swap(m->children);
        t.swap(m->deadline_timer);
      }
    }
    if (ended_already && first) return;  // err never changes
    first = false;
    std::shared_ptr<context_node> next;
    if (!ended_already) {
      m->done.close();
      for (auto& [raw, weak] : kids) {
        // The child's own parent link is left: m no longer lists it.
        if (std::shared_ptr<context_node> child = weak.lock()) {
          if (next == nullptr) {
            next = std::move(child);
          } else {
            siblings.push_back(std::move(child));
          }
        }
      }
      if (t) t->stop();
    }
    if (next == nullptr) {
      if (siblings.empty()) break;
      next = std::move(siblings.back());
      siblings.pop_back();
    }
    hold = std::move(next);
    m = hold.get();
  }
  // Only the node canceled by name leaves its parent: its descendants'
  // parents no longer list them.
  if (unlink_from_parent && n->parent != nullptr) {
    n->parent->remove_child(n.get());
  }
}

}  // namespace

std::pair<context, cancel_func> derive_context(
    const context& parent, std::optional<std::int64_t> deadline_ns) {
  auto n = std::make_shared<context_node>();
  n->parent = parent.n_;
  const std::int64_t inherited =
      parent.n_ != nullptr ? parent.n_->deadline : kNever;
  // A deadline no earlier than the parent's adds nothing (Go's
  // WithDeadline then behaves as WithCancel).
  const bool own_deadline = deadline_ns && *deadline_ns < inherited;
  n->deadline = own_deadline ? *deadline_ns : inherited;
  if (own_deadline && *deadline_ns > nanotime()) {
    // Its timer needs a runtime: say so in the caller's words, before
    // anything is linked.
    (void)timer_scheduler("goro::with_timeout / goro::with_deadline");
  }

  if (parent.n_ != nullptr) {
    context_error::kind parent_err;
    {
      std::lock_guard<std::mutex> lock(parent.n_->mu);
      parent_err = parent.n_->err.load(std::memory_order_relaxed);
      if (parent_err == context_error::kind::none) {
        parent.n_->children.emplace(n.get(), n);
      }
    }
    if (parent_err != context_error::kind::none) {
      cancel(n, parent_err, /*unlink_from_parent=*/false);
      return {context(n), cancel_func(n)};
    }
  }
  if (own_deadline) {
    const std::int64_t left = n->deadline - nanotime();
    if (left <= 0) {
      cancel(n, context_error::kind::deadline_exceeded, true);
    } else {
      std::weak_ptr<context_node> weak = n;
      goro::timer t = after_func(std::chrono::nanoseconds(left), [weak] {
        if (std::shared_ptr<context_node> s = weak.lock()) {
          cancel(s, context_error::kind::deadline_exceeded, true);
        }
      });
      std::unique_lock<std::mutex> lock(n->mu);
      if (n->err.load(std::memory_order_relaxed) == context_error::kind::none) {
        n->deadline_timer.emplace(std::move(t));
      } else {
        lock.unlock();
        t.stop();  // canceled meanwhile (by the parent)
      }
    }
  }
  return {context(n), cancel_func(n)};
}

std::size_t context_children(const context& ctx) {
  if (ctx.n_ == nullptr) return 0;
  std::lock_guard<std::mutex> lock(ctx.n_->mu);
  return ctx.n_->children.size();
}

}  // namespace internal

const char* context_error::message() const noexcept {
  switch (k_) {
    case kind::canceled:
      return "context canceled";
    case kind::deadline_exceeded:
      return "context deadline exceeded";
    case kind::none:
      break;
  }
  return "";
}

const chan<std::monostate>& context::done() const noexcept {
  static const chan<std::monostate> nil_chan;
  return n_ != nullptr ? n_->done : nil_chan;
}

context_error context::err() const noexcept {
  if (n_ == nullptr) return context_error();
  // ACQUIRE: pairs with cancel's RELEASE store.
  return context_error(n_->err.load(std::memory_order_acquire));
}

std::optional<time_point> context::deadline() const noexcept {
  if (n_ == nullptr || n_->deadline == internal::kNever) return std::nullopt;
  return internal::to_steady_time(n_->deadline);
}

void cancel_func::operator()() const noexcept {
  if (n_ != nullptr) {
    internal::cancel(n_, context_error::kind::canceled,
                     /*unlink_from_parent=*/true);
  }
}

}  // namespace goro
