// WarmPool: sandboxes spawned before anyone asks for them, so that the
// daemon's creates skip the spawn. A warm sandbox (Sandbox::CreateWarm) has
// its namespaces, uid range, cgroups, supervisor and launcher; only the
// request's container is left to build when Sandbox::Assign gives it one.
//
// One thread keeps `size` warm sandboxes ready: it makes another once no
// sandbox has been taken for a moment (kQuietBeforeRefill), so that the
// spawn does not take the cores a create in flight needs. A warm sandbox costs what an idle sandbox
// does (its supervisor and launcher; about 0.8 MiB here) and is never shared: each is assigned
// once, as one sandbox, and deleted like any other.
//
// Thread safety: thread-safe.
#ifndef RUNSC_SANDBOX_WARM_POOL_H_
#define RUNSC_SANDBOX_WARM_POOL_H_

#include <deque>
#include <memory>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "sandbox/sandbox.h"

namespace runsc::sandbox {

class WarmPool final {
 public:
  // `options` as Sandbox::CreateWarm takes them; `size` > 0.
  WarmPool(SandboxOptions options, int size);
  // Stops making them, and destroys those not taken.
  ~WarmPool();
  WarmPool(const WarmPool&) = delete;
  WarmPool& operator=(const WarmPool&) = delete;

  // A live warm sandbox, or null if none is ready (the caller then makes a
  // cold one). Warm sandboxes that died meanwhile are destroyed, not given.
  std::unique_ptr<Sandbox> Take();
  // Gives back one Take gave that is still warm (an assignment that failed
  // before it touched the sandbox), to be taken next.
  void Return(std::unique_ptr<Sandbox> box);
  // Waits until `n` are ready or `timeout` passes; whether they are.
  bool AwaitReady(int n, absl::Duration timeout);
  int ready() const;

 private:
  void Fill();

  const SandboxOptions options_;
  const int size_;
  mutable absl::Mutex mu_;
  std::deque<std::unique_ptr<Sandbox>> ready_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time last_take_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  std::thread filler_;
};

}  // namespace runsc::sandbox

#endif  // RUNSC_SANDBOX_WARM_POOL_H_
