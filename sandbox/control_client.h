// ControlClient: the host side's client of one sandbox's Control service,
// over the sandbox's control socket. Calls have deadlines and return
// absl::Status.
//
// Thread safety: thread-safe (gRPC stubs are).
#ifndef RUNSC_SANDBOX_CONTROL_CLIENT_H_
#define RUNSC_SANDBOX_CONTROL_CLIENT_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "proto/control.grpc.pb.h"

namespace runsc::sandbox {

class ControlClient final {
 public:
  explicit ControlClient(const std::string& socket_path);

  absl::StatusOr<runsc::control::v1::InfoResponse> Info(
      absl::Duration timeout = absl::Seconds(5));
  absl::Status Shutdown(absl::Duration timeout = absl::Seconds(5));

  // Container processes. `token` names stdio handed over with
  // util::HandOffStdio on the sandbox's stdio socket.
  absl::StatusOr<int> Start(const std::string& token,
                            absl::Duration timeout = absl::Seconds(30));
  absl::StatusOr<int> Exec(const runsc::boot::v1::ProcessConfig& process,
                           const std::string& token,
                           absl::Duration timeout = absl::Seconds(30));
  absl::Status Signal(int pid, int signal, bool all = false,
                      absl::Duration timeout = absl::Seconds(5));
  absl::StatusOr<runsc::control::v1::ExitStatus> Wait(
      int pid, absl::Duration timeout = absl::Seconds(60));
  absl::StatusOr<runsc::control::v1::ListProcessesResponse> ListProcesses(
      absl::Duration timeout = absl::Seconds(5));

 private:
  std::unique_ptr<runsc::control::v1::Control::Stub> stub_;
};

}  // namespace runsc::sandbox

#endif  // RUNSC_SANDBOX_CONTROL_CLIENT_H_
