#include "runsc/call_watch.h"

#include <utility>

#include "absl/status/statusor.h"
#include "runsc/util/thread.h"

namespace runsc::cli {

CallWatch::~CallWatch() {
  std::thread thread;
  {
    absl::MutexLock lock(&mu_);
    ending_ = true;
    thread = std::move(thread_);
  }
  if (thread.joinable()) thread.join();
}

CallWatch::Scope::Scope(CallWatch* watch, grpc::ServerContext* context,
                        sandbox::CallCanceller* cancel)
    : watch_(watch), id_(watch->Add(context, cancel)) {}

CallWatch::Scope::~Scope() { watch_->Remove(id_); }

uint64_t CallWatch::Add(grpc::ServerContext* context, sandbox::CallCanceller* cancel) {
  absl::MutexLock lock(&mu_);
  if (stopping_) cancel->Cancel();
  const uint64_t id = next_id_++;
  calls_[id] = Call{context, cancel};
  if (!thread_.joinable()) {
    // Without a thread (none to be had), the next call tries again; until
    // then a wait ends at its own deadline, not at its client's going.
    absl::StatusOr<std::thread> thread = util::StartThread("the calls' watch", [this] { Loop(); });
    if (thread.ok()) thread_ = *std::move(thread);
  }
  return id;
}

void CallWatch::Remove(uint64_t id) {
  // Under the lock: once this returns, the loop no longer looks at the
  // call's context, which its handler is about to let go.
  absl::MutexLock lock(&mu_);
  calls_.erase(id);
}

void CallWatch::Stop() {
  absl::MutexLock lock(&mu_);
  stopping_ = true;
  for (auto& [id, call] : calls_) call.cancel->Cancel();
}

bool CallWatch::stopping() const {
  absl::MutexLock lock(&mu_);
  return stopping_;
}

void CallWatch::Loop() {
  absl::MutexLock lock(&mu_);
  while (!ending_) {
    // Idle while nothing is watched; else a look every kPoll.
    auto wake = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return ending_ || !calls_.empty(); };
    mu_.Await(absl::Condition(&wake));
    auto ending = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return ending_; };
    if (mu_.AwaitWithTimeout(absl::Condition(&ending), kPoll)) break;
    for (auto& [id, call] : calls_) {
      if (call.context != nullptr && call.context->IsCancelled()) call.cancel->Cancel();
    }
  }
}

}  // namespace runsc::cli
