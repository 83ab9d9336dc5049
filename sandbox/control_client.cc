#include "sandbox/control_client.h"

#include "absl/strings/str_cat.h"
#include "grpcpp/grpcpp.h"

namespace runsc::sandbox {

absl::Status FromGrpcStatus(const grpc::Status& status) {
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      status.error_message());
}

namespace {
void SetDeadline(grpc::ClientContext& context, absl::Duration timeout) {
  context.set_deadline(std::chrono::system_clock::now() +
                       absl::ToChronoMilliseconds(timeout));
}
}  // namespace

ControlClient::ControlClient(const std::string& socket_path)
    : stub_(runsc::control::v1::Control::NewStub(grpc::CreateChannel(
          absl::StrCat("unix:", socket_path),
          grpc::InsecureChannelCredentials()))) {}

absl::StatusOr<runsc::control::v1::InfoResponse> ControlClient::Info(
    absl::Duration timeout) {
  grpc::ClientContext context;
  SetDeadline(context, timeout);
  runsc::control::v1::InfoResponse response;
  grpc::Status status =
      stub_->Info(&context, runsc::control::v1::InfoRequest(), &response);
  if (!status.ok()) return FromGrpcStatus(status);
  return response;
}

absl::Status ControlClient::Shutdown(absl::Duration timeout) {
  grpc::ClientContext context;
  SetDeadline(context, timeout);
  runsc::control::v1::ShutdownResponse response;
  return FromGrpcStatus(
      stub_->Shutdown(&context, runsc::control::v1::ShutdownRequest(), &response));
}

}  // namespace runsc::sandbox
