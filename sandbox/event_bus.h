// EventBus: sandbox lifecycle events (created, started, exited, oom,
// deleted), fanned out to any number of subscribers.
//
// Publish never blocks on a subscriber: each has a bounded queue, and one
// that falls kMaxPending events behind is cut off (its Next says so) rather
// than holding the publisher, or anyone else, back.
//
// Thread safety: thread-safe.
#ifndef RUNSC_SANDBOX_EVENT_BUS_H_
#define RUNSC_SANDBOX_EVENT_BUS_H_

#include <deque>
#include <memory>
#include <set>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "proto/control.pb.h"

namespace runsc::sandbox {

struct SandboxEvent {
  std::string type;  // "created", "started", "exited", "oom" or "deleted"
  std::string id;
  absl::Time time;
  int pid = 0;  // created: the sandbox process (host); started, exited, oom: the main process
  // Which sandbox of the id (a deleted one's id may be taken again): the
  // manager's serial of it; 0 where none was given.
  uint64_t serial = 0;
  runsc::control::v1::ExitStatus exit;  // exited
};

class EventBus final {
 public:
  static constexpr size_t kMaxPending = 1024;

  class Subscription;

  EventBus() = default;
  EventBus(const EventBus&) = delete;
  EventBus& operator=(const EventBus&) = delete;

  // Events of sandbox `id`, or of every sandbox if `id` is empty, from now on.
  std::unique_ptr<Subscription> Subscribe(const std::string& id);
  void Publish(SandboxEvent event);
  // Ends every subscription (their Next returns UNAVAILABLE), and later
  // ones at once.
  void Close();

 private:
  struct Queue {
    explicit Queue(std::string id) : id(std::move(id)) {}
    const std::string id;
    absl::Mutex mu;
    std::deque<SandboxEvent> events ABSL_GUARDED_BY(mu);
    bool overflowed ABSL_GUARDED_BY(mu) = false;
    bool closed ABSL_GUARDED_BY(mu) = false;
  };

  void Unsubscribe(const std::shared_ptr<Queue>& queue);

  absl::Mutex mu_;
  std::set<std::shared_ptr<Queue>> queues_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

class EventBus::Subscription final {
 public:
  ~Subscription();
  Subscription(const Subscription&) = delete;
  Subscription& operator=(const Subscription&) = delete;

  // The next event. DEADLINE_EXCEEDED if none came within `timeout`;
  // RESOURCE_EXHAUSTED once the subscriber fell behind; UNAVAILABLE once the
  // bus is closed (after the events queued before).
  absl::StatusOr<SandboxEvent> Next(absl::Duration timeout);

 private:
  friend class EventBus;
  Subscription(EventBus* bus, std::shared_ptr<Queue> queue)
      : bus_(bus), queue_(std::move(queue)) {}

  EventBus* const bus_;
  const std::shared_ptr<Queue> queue_;
};

}  // namespace runsc::sandbox

#endif  // RUNSC_SANDBOX_EVENT_BUS_H_
