#include "boot/control_service.h"

#include <unistd.h>

#include <utility>

#include "runsc/util/version.h"

namespace runsc::boot {

ControlService::ControlService(std::string sandbox_id,
                               std::function<void()> request_shutdown)
    : sandbox_id_(std::move(sandbox_id)),
      request_shutdown_(std::move(request_shutdown)) {}

// A unary reactor that finishes at once with `status`, marks the call done
// once the reply has been sent, and then runs `after` (if any).
class ControlService::Reactor final : public grpc::ServerUnaryReactor {
 public:
  Reactor(ControlService* service, grpc::Status status,
          std::function<void()> after = nullptr)
      : service_(service), after_(std::move(after)) {
    Finish(std::move(status));
  }
  void OnDone() override {
    service_->CallDone();
    if (after_) after_();
    delete this;
  }

 private:
  ControlService* const service_;
  const std::function<void()> after_;
};

void ControlService::CallStarted() {
  absl::MutexLock lock(&mu_);
  ++inflight_;
}

void ControlService::CallDone() {
  absl::MutexLock lock(&mu_);
  --inflight_;
}

bool ControlService::WaitUntilIdle(absl::Time deadline) {
  absl::MutexLock lock(&mu_);
  auto idle = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return inflight_ == 0; };
  return mu_.AwaitWithDeadline(absl::Condition(&idle), deadline);
}

grpc::ServerUnaryReactor* ControlService::Info(
    grpc::CallbackServerContext*, const runsc::control::v1::InfoRequest*,
    runsc::control::v1::InfoResponse* response) {
  CallStarted();
  response->set_sandbox_id(sandbox_id_);
  response->set_pid(getpid());
  response->set_uid(getuid());
  response->set_gid(getgid());
  response->set_version(util::kVersion);
  response->set_uptime_seconds(absl::ToDoubleSeconds(absl::Now() - started_));
  return new Reactor(this, grpc::Status::OK);
}

grpc::ServerUnaryReactor* ControlService::Shutdown(
    grpc::CallbackServerContext*, const runsc::control::v1::ShutdownRequest*,
    runsc::control::v1::ShutdownResponse*) {
  CallStarted();
  // Stop only after the reply has left, or the client would see the call
  // cancelled.
  return new Reactor(this, grpc::Status::OK, request_shutdown_);
}

}  // namespace runsc::boot
