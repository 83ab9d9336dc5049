#include "sandbox/reclaimer.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "runsc/util/log.h"

namespace runsc::sandbox {
namespace {

// The pauses before a failed teardown's second and third tries.
constexpr absl::Duration kRetryPauses[] = {absl::Milliseconds(100), absl::Seconds(1)};

}  // namespace

Reclaimer::Reclaimer(int max_pending, Finish finish)
    : max_pending_(max_pending),
      finish_(finish != nullptr ? std::move(finish) : [](Sandbox& box) { return box.Destroy(); }),
      thread_([this] { Loop(); }) {}

Reclaimer::~Reclaimer() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

std::unique_ptr<Sandbox> Reclaimer::Take(std::unique_ptr<Sandbox> box, bool container_ended) {
  {
    absl::MutexLock lock(&mu_);
    if (pending_ >= max_pending_ || stopping_) return box;
    ++pending_;
  }
  // Unlocked: a Retire writes cgroup.kill and renames a directory, and
  // another delete need not wait for that.
  absl::Status retired = box->Retire(container_ended);
  absl::MutexLock lock(&mu_);
  if (!retired.ok()) {
    --pending_;
    if (!absl::IsUnimplemented(retired)) {
      util::Log(
          util::LogLevel::kWarning, "reclaimer",
          absl::StrCat("sandbox '", box->id(), "' is destroyed in line: ", retired.message()));
    }
    return box;
  }
  queue_.push_back(std::move(box));
  return nullptr;
}

void Reclaimer::Drain() {
  absl::MutexLock lock(&mu_);
  auto idle = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return pending_ == 0; };
  mu_.Await(absl::Condition(&idle));
}

int Reclaimer::pending() const {
  absl::MutexLock lock(&mu_);
  return pending_;
}

std::unique_ptr<Sandbox> Reclaimer::Next() {
  absl::MutexLock lock(&mu_);
  auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return !queue_.empty() || (stopping_ && pending_ == 0);
  };
  mu_.Await(absl::Condition(&ready));
  if (queue_.empty()) return nullptr;  // stopping, and nothing is on its way
  std::unique_ptr<Sandbox> box = std::move(queue_.front());
  queue_.pop_front();
  return box;
}

void Reclaimer::Loop() {
  while (std::unique_ptr<Sandbox> box = Next()) {
    // A teardown that fails (a cgroup that stays busy, a directory that
    // will not go) is tried again a little later, as a second delete would
    // have tried it before deletes answered first.
    absl::Status status = finish_(*box);
    for (absl::Duration pause : kRetryPauses) {
      if (status.ok()) break;
      absl::SleepFor(pause);
      status = finish_(*box);
    }
    if (!status.ok()) {
      // Its directory stays aside, for the next daemon to finish.
      util::Log(util::LogLevel::kWarning, "reclaimer",
                absl::StrCat("sandbox '", box->id(), "' left behind: ", status.message()));
      box->LeaveBehind();
    }
    box.reset();
    absl::MutexLock lock(&mu_);
    --pending_;
  }
}

}  // namespace runsc::sandbox
