#include "runsc/health_service.h"

namespace runsc::cli {

grpc::Status HealthService::Check(grpc::ServerContext*,
                                  const grpc::health::v1::HealthCheckRequest* request,
                                  grpc::health::v1::HealthCheckResponse* response) {
  if (!request->service().empty() && request->service() != "runsc.api.v1.Sandboxes") {
    return grpc::Status(grpc::StatusCode::NOT_FOUND,
                        "service: '" + request->service() + "' is not served here");
  }
  response->set_status(grpc::health::v1::HealthCheckResponse::SERVING);
  return grpc::Status::OK;
}

}  // namespace runsc::cli
