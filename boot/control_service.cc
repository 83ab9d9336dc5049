#include "boot/control_service.h"

#include <unistd.h>

#include <utility>

#include "runsc/util/version.h"

namespace runsc::boot {

ControlService::ControlService(std::string sandbox_id,
                               std::function<void()> request_shutdown)
    : sandbox_id_(std::move(sandbox_id)),
      request_shutdown_(std::move(request_shutdown)) {}

grpc::Status ControlService::Info(grpc::ServerContext*,
                                  const runsc::control::v1::InfoRequest*,
                                  runsc::control::v1::InfoResponse* response) {
  response->set_sandbox_id(sandbox_id_);
  response->set_pid(getpid());
  response->set_uid(getuid());
  response->set_gid(getgid());
  response->set_version(util::kVersion);
  response->set_uptime_seconds(absl::ToDoubleSeconds(absl::Now() - started_));
  return grpc::Status::OK;
}

grpc::Status ControlService::Shutdown(
    grpc::ServerContext*, const runsc::control::v1::ShutdownRequest*,
    runsc::control::v1::ShutdownResponse*) {
  request_shutdown_();
  return grpc::Status::OK;
}

}  // namespace runsc::boot
