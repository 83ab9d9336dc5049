// Reclaimer: finishes, on a thread of its own, the teardown of sandboxes
// that a delete has retired (Sandbox::Retire: every process killed, the
// state directory renamed aside, the id free). For each it waits for the
// kernel to end the sandbox process (its PID namespace, and the mounts of
// its container: 0.7 ms on this VM), then removes its cgroups, state
// directory and uid range (Sandbox::Destroy), none of which can go before.
// A delete so answers without waiting for any of it.
//
// A teardown that fails is tried twice more (after 0.1 and 1 s), then left
// to the next daemon. At most `max_pending` sandboxes are queued or being
// torn down: past that one is handed back, for its deleter to destroy in
// line, so that deletes in a burst stay at most that far ahead of the
// kernel. The destructor (a daemon's stop) finishes every sandbox taken. A
// daemon that dies first leaves their directories to the next
// (Sandbox::ReclaimAside).
//
// Thread safety: thread-safe.
#ifndef RUNSC_SANDBOX_RECLAIMER_H_
#define RUNSC_SANDBOX_RECLAIMER_H_

#include <deque>
#include <functional>
#include <memory>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "sandbox/sandbox.h"

namespace runsc::sandbox {

class Reclaimer final {
 public:
  // What ends a retired sandbox: Sandbox::Destroy, unless a test needs to
  // hold it up.
  using Finish = std::function<absl::Status(Sandbox&)>;

  explicit Reclaimer(int max_pending, Finish finish = nullptr);
  // Finishes every sandbox taken, then stops.
  ~Reclaimer();
  Reclaimer(const Reclaimer&) = delete;
  Reclaimer& operator=(const Reclaimer&) = delete;

  // Retires `box` and takes it (null returned), or returns it for the
  // caller's Destroy(): untouched when `max_pending` are pending or it has
  // no way to be killed at once, perhaps killed already when its Retire
  // failed past the kill (Sandbox::Retire, which `container_ended` is
  // passed to).
  std::unique_ptr<Sandbox> Take(std::unique_ptr<Sandbox> box, bool container_ended = false);
  // Returns once no sandbox is pending: every one taken is finished.
  void Drain();
  // Sandboxes queued or being torn down.
  int pending() const;

 private:
  // The next sandbox to finish; null once stopping with none pending.
  std::unique_ptr<Sandbox> Next();
  void Loop();

  const int max_pending_;
  const Finish finish_;
  mutable absl::Mutex mu_;
  // Room taken by Take, from before its Retire until the finish.
  int pending_ ABSL_GUARDED_BY(mu_) = 0;
  std::deque<std::unique_ptr<Sandbox>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace runsc::sandbox

#endif  // RUNSC_SANDBOX_RECLAIMER_H_
