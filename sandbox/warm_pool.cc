#include "sandbox/warm_pool.h"

#include <poll.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "runsc/util/log.h"

namespace runsc::sandbox {
namespace {

// Whether the sandbox process has exited (its pidfd is readable then).
bool Exited(const Sandbox& box) {
  struct pollfd p = {box.pidfd(), POLLIN, 0};
  return poll(&p, 1, 0) == 1;
}

// After a failed spawn, before the next try: a host that cannot make one
// now (cgroups, ranges, memory) is not asked again in a tight loop.
constexpr absl::Duration kRetryAfter = absl::Seconds(1);

// How long after the last Take a new one is made. A spawn beside a create
// takes the cores the create needs (on this 2-core host a warm create went
// from 3.8 to 6 ms, slower than a cold one), so the pool refills when the
// creates pause, and a steady stream of them drains it to cold creates.
constexpr absl::Duration kQuietBeforeRefill = absl::Milliseconds(10);

}  // namespace

WarmPool::WarmPool(SandboxOptions options, int size) : options_(std::move(options)), size_(size) {
  filler_ = std::thread([this] { Fill(); });
}

WarmPool::~WarmPool() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  filler_.join();
  std::deque<std::unique_ptr<Sandbox>> left;
  {
    absl::MutexLock lock(&mu_);
    left.swap(ready_);
  }
  // Each is destroyed here: killed, its cgroups, range and state removed.
}

std::unique_ptr<Sandbox> WarmPool::Take() {
  for (;;) {
    std::unique_ptr<Sandbox> box;
    {
      absl::MutexLock lock(&mu_);
      if (ready_.empty()) return nullptr;
      box = std::move(ready_.front());
      ready_.pop_front();
      last_take_ = absl::Now();
    }
    if (!Exited(*box)) return box;
    util::Log(util::LogLevel::kWarning, "warm-pool",
              absl::StrCat("warm sandbox ", box->id(), " had exited; destroying it"));
  }
}

void WarmPool::Return(std::unique_ptr<Sandbox> box) {
  {
    absl::MutexLock lock(&mu_);
    if (!stopping_ && box->warm() && static_cast<int>(ready_.size()) < size_) {
      ready_.push_front(std::move(box));
      return;
    }
  }
  // One too many (a refill came meanwhile), or the pool is stopping: it is
  // destroyed here, outside the lock.
}

bool WarmPool::AwaitReady(int n, absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto enough = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return static_cast<int>(ready_.size()) >= n;
  };
  return mu_.AwaitWithTimeout(absl::Condition(&enough), timeout);
}

int WarmPool::ready() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(ready_.size());
}

void WarmPool::Fill() {
  for (;;) {
    {
      absl::MutexLock lock(&mu_);
      auto wanted = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_ || static_cast<int>(ready_.size()) < size_;
      };
      mu_.Await(absl::Condition(&wanted));
      if (stopping_) return;
      const absl::Duration since = absl::Now() - last_take_;
      if (since < kQuietBeforeRefill) {
        mu_.AwaitWithTimeout(absl::Condition(&stopping_), kQuietBeforeRefill - since);
        continue;
      }
    }
    absl::StatusOr<std::unique_ptr<Sandbox>> box = Sandbox::CreateWarm(options_);
    std::unique_ptr<Sandbox> extra;
    {
      absl::MutexLock lock(&mu_);
      if (!box.ok()) {
        util::Log(util::LogLevel::kWarning, "warm-pool",
                  absl::StrCat("could not make a warm sandbox: ", box.status().message()));
        mu_.AwaitWithTimeout(absl::Condition(&stopping_), kRetryAfter);
        continue;
      }
      // A Return while it was made (an assignment that failed) may have
      // filled the pool already: then it is one too many.
      if (static_cast<int>(ready_.size()) < size_) {
        ready_.push_back(*std::move(box));
      } else {
        extra = *std::move(box);
      }
    }
    // Destroyed here, outside the lock: killed, its cgroups, range and
    // state removed.
  }
}

}  // namespace runsc::sandbox
