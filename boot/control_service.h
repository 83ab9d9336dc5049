// ControlService: the gRPC adapter for runsc.control.v1.Control inside the
// sandbox. It answers Info from plain state and turns Shutdown into a call of
// the shutdown callback once the reply has been sent; it owns no threads or
// fds. It uses gRPC's callback API: no per-server thread pool.
#ifndef RUNSC_BOOT_CONTROL_SERVICE_H_
#define RUNSC_BOOT_CONTROL_SERVICE_H_

#include <functional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "proto/control.grpc.pb.h"

namespace runsc::boot {

class ControlService final
    : public runsc::control::v1::Control::CallbackService {
 public:
  // `request_shutdown` is called (from a gRPC thread) after a Shutdown reply
  // has been sent; it must not block.
  ControlService(std::string sandbox_id, std::function<void()> request_shutdown);

  grpc::ServerUnaryReactor* Info(
      grpc::CallbackServerContext* context,
      const runsc::control::v1::InfoRequest* request,
      runsc::control::v1::InfoResponse* response) override;
  grpc::ServerUnaryReactor* Shutdown(
      grpc::CallbackServerContext* context,
      const runsc::control::v1::ShutdownRequest* request,
      runsc::control::v1::ShutdownResponse* response) override;

  // Blocks until no call is in flight or `deadline` passes; returns whether
  // it became idle. A call is in flight from its handler's start until its
  // reply has been sent (the reactor's OnDone).
  bool WaitUntilIdle(absl::Time deadline);

 private:
  class Reactor;
  void CallStarted();
  void CallDone();

  absl::Mutex mu_;
  int inflight_ ABSL_GUARDED_BY(mu_) = 0;
  const std::string sandbox_id_;
  const std::function<void()> request_shutdown_;
  const absl::Time started_ = absl::Now();
};

}  // namespace runsc::boot

#endif  // RUNSC_BOOT_CONTROL_SERVICE_H_
