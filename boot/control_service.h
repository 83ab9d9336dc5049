// ControlService: the gRPC adapter for runsc.control.v1.Control inside the
// sandbox. It answers Info from plain state and turns Shutdown into a call of
// the shutdown callback; it owns no threads or fds.
#ifndef RUNSC_BOOT_CONTROL_SERVICE_H_
#define RUNSC_BOOT_CONTROL_SERVICE_H_

#include <functional>
#include <string>

#include "absl/time/time.h"
#include "proto/control.grpc.pb.h"

namespace runsc::boot {

class ControlService final : public runsc::control::v1::Control::Service {
 public:
  // `request_shutdown` is called (from a gRPC thread) once a Shutdown reply
  // has been produced; it must not block.
  ControlService(std::string sandbox_id, std::function<void()> request_shutdown);

  grpc::Status Info(grpc::ServerContext* context,
                    const runsc::control::v1::InfoRequest* request,
                    runsc::control::v1::InfoResponse* response) override;
  grpc::Status Shutdown(grpc::ServerContext* context,
                        const runsc::control::v1::ShutdownRequest* request,
                        runsc::control::v1::ShutdownResponse* response) override;

 private:
  const std::string sandbox_id_;
  const std::function<void()> request_shutdown_;
  const absl::Time started_ = absl::Now();
};

}  // namespace runsc::boot

#endif  // RUNSC_BOOT_CONTROL_SERVICE_H_
