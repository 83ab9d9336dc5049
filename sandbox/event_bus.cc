#include "sandbox/event_bus.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace runsc::sandbox {

std::unique_ptr<EventBus::Subscription> EventBus::Subscribe(const std::string& id) {
  auto queue = std::make_shared<Queue>(id);
  absl::MutexLock lock(&mu_);
  if (closed_) {
    absl::MutexLock queue_lock(&queue->mu);
    queue->closed = true;
  } else {
    queues_.insert(queue);
  }
  return std::unique_ptr<Subscription>(new Subscription(this, std::move(queue)));
}

void EventBus::Unsubscribe(const std::shared_ptr<Queue>& queue) {
  absl::MutexLock lock(&mu_);
  queues_.erase(queue);
}

void EventBus::Publish(SandboxEvent event) {
  absl::MutexLock lock(&mu_);
  for (const auto& queue : queues_) {
    if (!queue->id.empty() && queue->id != event.id) continue;
    absl::MutexLock queue_lock(&queue->mu);
    if (queue->overflowed) continue;
    if (queue->events.size() >= kMaxPending) {
      queue->overflowed = true;
      queue->events.clear();
      continue;
    }
    queue->events.push_back(event);
  }
}

void EventBus::Close() {
  absl::MutexLock lock(&mu_);
  closed_ = true;
  for (const auto& queue : queues_) {
    absl::MutexLock queue_lock(&queue->mu);
    queue->closed = true;
  }
}

EventBus::Subscription::~Subscription() { bus_->Unsubscribe(queue_); }

absl::StatusOr<SandboxEvent> EventBus::Subscription::Next(absl::Duration timeout) {
  Queue& q = *queue_;
  absl::MutexLock lock(&q.mu);
  auto ready = [&q]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(q.mu) {
    return !q.events.empty() || q.overflowed || q.closed;
  };
  if (!q.mu.AwaitWithTimeout(absl::Condition(&ready), timeout)) {
    return absl::DeadlineExceededError("no event yet");
  }
  if (q.overflowed) {
    return absl::ResourceExhaustedError(
        absl::StrCat("events: the subscriber fell ", kMaxPending, " events behind"));
  }
  if (q.events.empty()) return absl::UnavailableError("events: the event source stopped");
  SandboxEvent event = std::move(q.events.front());
  q.events.pop_front();
  return event;
}

}  // namespace runsc::sandbox
