#include "sandbox/container_setup.h"

#include <sched.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace runsc::sandbox {
namespace {

using ::testing::HasSubstr;

TEST(OpenJoinedNamespacesTest, NoPathsJoinNothing) {
  runsc::boot::v1::ContainerConfig container;
  runsc::boot::v1::BootConfig config;
  absl::StatusOr<JoinedNamespaces> joined = OpenJoinedNamespaces(container, &config);
  ASSERT_TRUE(joined.ok()) << joined.status();
  EXPECT_TRUE(joined->List().empty());
  EXPECT_FALSE(config.network_joined() || config.ipc_joined() || config.uts_joined());
}

TEST(OpenJoinedNamespacesTest, EachPathIsOpenedAndMarkedJoined) {
  runsc::boot::v1::ContainerConfig container;
  container.set_network_ns_path("/proc/self/ns/net");
  container.set_uts_ns_path("/proc/self/ns/uts");
  runsc::boot::v1::BootConfig config;
  absl::StatusOr<JoinedNamespaces> joined = OpenJoinedNamespaces(container, &config);
  ASSERT_TRUE(joined.ok()) << joined.status();
  ASSERT_EQ(joined->List().size(), 2u);
  EXPECT_EQ(joined->List()[0].first, joined->net.get());
  EXPECT_EQ(joined->List()[0].second, CLONE_NEWNET);
  EXPECT_EQ(joined->List()[1].second, CLONE_NEWUTS);
  EXPECT_TRUE(config.network_joined());
  EXPECT_FALSE(config.ipc_joined());
  EXPECT_TRUE(config.uts_joined());
}

TEST(OpenJoinedNamespacesTest, ErrorsNameTheEntry) {
  {
    // A namespace of another kind.
    runsc::boot::v1::ContainerConfig container;
    container.set_ipc_ns_path("/proc/self/ns/net");
    runsc::boot::v1::BootConfig config;
    absl::StatusOr<JoinedNamespaces> joined = OpenJoinedNamespaces(container, &config);
    EXPECT_EQ(joined.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(joined.status().message(), HasSubstr("linux.namespaces (ipc)"));
    EXPECT_FALSE(config.ipc_joined());
  }
  {
    // Not a namespace at all.
    runsc::boot::v1::ContainerConfig container;
    container.set_network_ns_path("/proc/self/status");
    runsc::boot::v1::BootConfig config;
    absl::StatusOr<JoinedNamespaces> joined = OpenJoinedNamespaces(container, &config);
    EXPECT_EQ(joined.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(joined.status().message(), HasSubstr("linux.namespaces (network)"));
  }
  {
    runsc::boot::v1::ContainerConfig container;
    container.set_uts_ns_path("/nonexistent/ns/uts");
    runsc::boot::v1::BootConfig config;
    absl::StatusOr<JoinedNamespaces> joined = OpenJoinedNamespaces(container, &config);
    EXPECT_FALSE(joined.ok());
    EXPECT_THAT(joined.status().message(), HasSubstr("linux.namespaces (uts)"));
    EXPECT_THAT(joined.status().message(), HasSubstr("/nonexistent/ns/uts"));
  }
}

}  // namespace
}  // namespace runsc::sandbox
