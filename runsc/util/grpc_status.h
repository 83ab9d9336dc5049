// The one place where absl::Status and grpc::Status meet. Canonical codes
// carry over unchanged; messages are kept.
#ifndef RUNSC_UTIL_GRPC_STATUS_H_
#define RUNSC_UTIL_GRPC_STATUS_H_

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace runsc::util {

grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace runsc::util

#endif  // RUNSC_UTIL_GRPC_STATUS_H_
