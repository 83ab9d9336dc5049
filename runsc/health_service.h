// grpc.health.v1.Health for the daemon, compiled from Debian's grpc-proto so
// reflection can describe it. Check answers SERVING for "" and for
// "runsc.api.v1.Sandboxes", NOT_FOUND for any other service.
#ifndef RUNSC_RUNSC_HEALTH_SERVICE_H_
#define RUNSC_RUNSC_HEALTH_SERVICE_H_

#include "grpc/health/v1/health.grpc.pb.h"

namespace runsc::cli {

class HealthService final : public grpc::health::v1::Health::Service {
 public:
  grpc::Status Check(grpc::ServerContext* context,
                     const grpc::health::v1::HealthCheckRequest* request,
                     grpc::health::v1::HealthCheckResponse* response) override;
};

}  // namespace runsc::cli

#endif  // RUNSC_RUNSC_HEALTH_SERVICE_H_
