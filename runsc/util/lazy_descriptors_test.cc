#include "runsc/util/lazy_descriptors.h"

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "google/protobuf/descriptor.h"
#include "grpc/health/v1/health.pb.h"
#include "gtest/gtest.h"
#include "proto/api.pb.h"
#include "proto/launcher.pb.h"
#include "proto/state.pb.h"

namespace runsc::util {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::DescriptorPool;
using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

// First (gtest runs tests in order), while this process still holds every
// file: children forked now each start from that state. In each, one thread
// has a generated class assign its descriptors (reading protobuf's database)
// while another registers the held files (adding to it), as a daemon's
// threads did at start-up: the database is not safe for that, so the two
// must not overlap.
TEST(LazyDescriptorsTest, FirstUsesOnTwoThreadsAtOnceAreSafe) {
  ASSERT_GT(HeldDescriptorCount(), 0);
  constexpr int kChildren = 2000;
  int died = 0, wrong = 0;
  for (int c = 0; c < kChildren; ++c) {
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      alarm(20);  // a deadlock fails the child rather than hanging the test
      std::atomic<int> ready{0};
      const Descriptor* by_class = nullptr;
      const Descriptor* by_pool = nullptr;
      std::thread assign([&] {
        ready.fetch_add(1);
        while (ready.load() < 2) {
        }
        // Files with few imports, each assigned while the rest (the daemon's
        // eleven) are registered beside it.
        by_class = HealthCheckResponse::descriptor();
        if (runsc::launcher::v1::LauncherEvent::descriptor() == nullptr ||
            runsc::api::v1::Sandbox::descriptor() == nullptr ||
            runsc::state::v1::SandboxRecord::descriptor() == nullptr) {
          by_class = nullptr;
        }
      });
      std::thread release([&, c] {
        ready.fetch_add(1);
        while (ready.load() < 2) {
        }
        // Each child starts the release a little later than the last,
        // across the span of the other thread's work.
        for (volatile int spin = 0; spin < (c % 100) * 200; spin = spin + 1) {
        }
        by_pool = DescriptorPool::generated_pool()->FindMessageTypeByName(
            "grpc.health.v1.HealthCheckRequest");
      });
      assign.join();
      release.join();
      _exit(by_class != nullptr && by_pool != nullptr ? 0 : 1);
    }
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    if (WIFSIGNALED(status)) ++died;
    if (WIFEXITED(status) && WEXITSTATUS(status) != 0) ++wrong;
  }
  EXPECT_EQ(died, 0) << "of " << kChildren << " (crashed, or hung until their alarm)";
  EXPECT_EQ(wrong, 0) << "of " << kChildren;
}

// The held state exists only until the first use in the process.
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
