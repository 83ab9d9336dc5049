#include "runsc/util/lazy_event_engine.h"

#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <memory>

#include "absl/synchronization/notification.h"
#include "grpc/grpc.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/create_channel_posix.h"
#include "grpcpp/server_builder.h"
#include "grpcpp/server_posix.h"
#include "gtest/gtest.h"

namespace runsc::util {
namespace {

using grpc::health::v1::Health;
using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;
using namespace std::chrono_literals;

class NoteClosure final : public grpc_event_engine::experimental::EventEngine::Closure {
 public:
  void Run() override { ran.Notify(); }
  absl::Notification ran;
};

// gRPC's built-in engine needs gRPC initialised, as it always is when gRPC
// itself uses an engine; a bare engine here needs it done by hand.
class GrpcInitialised : public ::testing::Test {
 protected:
  GrpcInitialised() { grpc_init(); }
  ~GrpcInitialised() override { grpc_shutdown(); }
};

using LazyEventEngineBareTest = GrpcInitialised;

TEST_F(LazyEventEngineBareTest, StartsOnlyWhenFirstUsed) {
  LazyEventEngine engine;
  EXPECT_FALSE(engine.started());
  EXPECT_FALSE(engine.IsWorkerThread());
  EXPECT_FALSE(engine.started()) << "IsWorkerThread must not start the engine";

  absl::Notification ran;
  engine.Run([&ran] { ran.Notify(); });
  EXPECT_TRUE(engine.started());
  EXPECT_TRUE(ran.WaitForNotificationWithTimeout(absl::Seconds(10)));
}

TEST_F(LazyEventEngineBareTest, TimersRunAndCancel) {
  LazyEventEngine engine;
  NoteClosure soon;
  engine.RunAfter(1ms, &soon);
  EXPECT_TRUE(soon.ran.WaitForNotificationWithTimeout(absl::Seconds(10)));

  NoteClosure never;
  auto handle = engine.RunAfter(1h, &never);
  EXPECT_TRUE(engine.Cancel(handle));
  EXPECT_FALSE(never.ran.HasBeenNotified());

  absl::Notification invocable;
  engine.RunAfter(1ms, [&invocable] { invocable.Notify(); });
  EXPECT_TRUE(invocable.WaitForNotificationWithTimeout(absl::Seconds(10)));
}

class CallbackHealth final : public Health::CallbackService {
 public:
  grpc::ServerUnaryReactor* Check(grpc::CallbackServerContext* context,
                                  const HealthCheckRequest* request,
                                  HealthCheckResponse* response) override {
    response->set_status(request->service().empty() ? HealthCheckResponse::SERVING
                                                    : HealthCheckResponse::SERVICE_UNKNOWN);
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
};

// The premise of UseLazyEventEngine: a callback server and a client channel
// over a unix socket, as the supervisor and the CLI use them, answer calls
// without ever starting the engine gRPC put into their arguments. If a gRPC
// upgrade starts using it, this fails and the saving is gone (the calls
// still work: the engine then starts on demand).
TEST(LazyEventEngineTest, UnixSocketServerAndChannelNeverStartIt) {
  UseLazyEventEngine();
  const LazyEventEngineCounts before = GetLazyEventEngineCounts();

  int fds[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, fds), 0);
  CallbackHealth service;
  grpc::ServerBuilder builder;
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);
  grpc::AddInsecureChannelFromFd(server.get(), fds[0]);
  std::shared_ptr<grpc::Channel> channel = grpc::CreateInsecureChannelFromFd("", fds[1]);
  std::unique_ptr<Health::Stub> stub = Health::NewStub(channel);

  for (const char* name : {"", "other"}) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + 10s);
    HealthCheckRequest request;
    request.set_service(name);
    HealthCheckResponse response;
    grpc::Status status = stub->Check(&context, request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(response.status(), *name == '\0' ? HealthCheckResponse::SERVING
                                               : HealthCheckResponse::SERVICE_UNKNOWN);
  }

  const LazyEventEngineCounts after = GetLazyEventEngineCounts();
  EXPECT_GT(after.made, before.made) << "gRPC did not ask the factory for an engine";
  EXPECT_EQ(after.started, before.started) << "a call started gRPC's built-in engine";
  server->Shutdown(std::chrono::system_clock::now() + 5s);
}

}  // namespace
}  // namespace runsc::util
