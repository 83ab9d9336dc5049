#include "runsc/util/lazy_descriptors.h"

#include <string>
#include <thread>
#include <vector>

#include "google/protobuf/descriptor.h"
#include "grpc/health/v1/health.pb.h"
#include "gtest/gtest.h"

namespace runsc::util {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::DescriptorPool;
using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

// One test: the held state exists only until the first use in the process.
TEST(LazyDescriptorsTest, HeldUntilFirstDescriptorThenAllThere) {
  // health.proto and protobuf's own descriptor.proto registered from their
  // static initialisers; both are held.
  const int held = HeldDescriptorCount();
  EXPECT_GE(held, 2);

  // Parsing and serialising, all a supervisor does, needs no descriptor.
  HealthCheckRequest request;
  request.set_service("runsc.Control");
  std::string wire;
  ASSERT_TRUE(request.SerializeToString(&wire));
  HealthCheckRequest parsed;
  ASSERT_TRUE(parsed.ParseFromString(wire));
  EXPECT_EQ(parsed.service(), "runsc.Control");
  EXPECT_EQ(HeldDescriptorCount(), held);

  // A generated class's descriptor registers its own file (and imports,
  // which health.proto has none of): descriptor.proto stays held.
  const Descriptor* request_type = HealthCheckRequest::descriptor();
  ASSERT_NE(request_type, nullptr);
  EXPECT_EQ(request_type->full_name(), "grpc.health.v1.HealthCheckRequest");
  EXPECT_EQ(HeldDescriptorCount(), held - 1);
  EXPECT_NE(parsed.GetReflection(), nullptr);
  EXPECT_EQ(HeldDescriptorCount(), held - 1);

  // Then uses race, through the generated classes and through the pool
  // (whose first use registers the rest); each must see every file.
  constexpr int kThreads = 8;
  std::vector<const Descriptor*> found(kThreads, nullptr);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([i, &found] {
      found[i] = i % 2 == 0 ? HealthCheckResponse::descriptor()
                            : DescriptorPool::generated_pool()->FindMessageTypeByName(
                                  "grpc.health.v1.HealthCheckRequest");
    });
  }
  for (std::thread& t : threads) t.join();
  for (int i = 0; i < kThreads; ++i) {
    ASSERT_NE(found[i], nullptr) << "thread " << i;
    EXPECT_EQ(found[i]->full_name(), i % 2 == 0 ? "grpc.health.v1.HealthCheckResponse"
                                                 : "grpc.health.v1.HealthCheckRequest");
  }
  EXPECT_EQ(HeldDescriptorCount(), 0);

  // The pool's generated classes and its descriptors agree, and reflection
  // works on them.
  EXPECT_EQ(found[1], HealthCheckRequest::descriptor());
  EXPECT_NE(DescriptorPool::generated_pool()->FindFileByName("google/protobuf/descriptor.proto"),
            nullptr);
  EXPECT_NE(parsed.DebugString().find("runsc.Control"), std::string::npos);
  RegisterHeldDescriptors();  // a second release is a no-op
  EXPECT_EQ(HeldDescriptorCount(), 0);
}

}  // namespace
}  // namespace runsc::util
