#include "runsc/util/server_plugins.h"

#include <memory>
#include <string>

#include "grpcpp/impl/server_builder_plugin.h"
#include "grpcpp/server_builder.h"
#include "gtest/gtest.h"

namespace runsc::util {
namespace {

class CountedPlugin final : public grpc::ServerBuilderPlugin {
 public:
  std::string name() override { return "counted"; }
  void InitServer(grpc::ServerInitializer* /*si*/) override {}
  void Finish(grpc::ServerInitializer* /*si*/) override {}
  void ChangeArguments(const std::string& /*name*/, void* /*value*/) override {}
};

int g_early_built = 0;
int g_late_built = 0;

std::unique_ptr<grpc::ServerBuilderPlugin> MakeEarly() {
  ++g_early_built;
  return std::make_unique<CountedPlugin>();
}

std::unique_ptr<grpc::ServerBuilderPlugin> MakeLate() {
  ++g_late_built;
  return std::make_unique<CountedPlugin>();
}

// Registered before main, from a static initialiser, the way gRPC's
// reflection plugin registers itself.
const bool kEarlyRegistered = [] {
  grpc::ServerBuilder::InternalAddPluginFactory(&MakeEarly);
  return true;
}();

// One test: the registration is process-wide, so the steps must run in order.
TEST(ServerPluginsTest, HeldBackUntilTheProcessAsks) {
  ASSERT_TRUE(kEarlyRegistered);
  EXPECT_EQ(HeldServerPluginCount(), 1);
  { grpc::ServerBuilder builder; }
  EXPECT_EQ(g_early_built, 0) << "a builder made a plugin that was held back";

  RegisterHeldServerPlugins();
  EXPECT_EQ(HeldServerPluginCount(), 0);
  { grpc::ServerBuilder builder; }
  EXPECT_EQ(g_early_built, 1);

  // Once released, registrations go straight to gRPC.
  grpc::ServerBuilder::InternalAddPluginFactory(&MakeLate);
  EXPECT_EQ(HeldServerPluginCount(), 0);
  { grpc::ServerBuilder builder; }
  EXPECT_EQ(g_early_built, 2);
  EXPECT_EQ(g_late_built, 1);

  RegisterHeldServerPlugins();  // a second call registers nothing twice
  { grpc::ServerBuilder builder; }
  EXPECT_EQ(g_early_built, 3);
  EXPECT_EQ(g_late_built, 2);
}

}  // namespace
}  // namespace runsc::util
