// Root tests: real workloads from OCI bundles inside sandboxes.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sandbox/control_client.h"
#include "sandbox/sandbox.h"
#include "test/bundle_util.h"
#include "test/sandbox_test_util.h"

namespace runsc::testing {
namespace {

using ::testing::HasSubstr;

class WorkloadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    bundle_ = root_.path() + "/bundle";
    ASSERT_TRUE(MakeBusyboxRootfs(bundle_).ok());
  }
  void TearDown() override {
    boxes_.clear();
    EXPECT_EQ(system(absl::StrCat("rm -rf ", root_.path(), "/bundle ", root_.path(), "/state").c_str()), 0);
  }

  // Creates a sandbox for `spec`; the test fails if that fails.
  sandbox::Sandbox* Create(const runsc::oci::v1::Spec& spec, const std::string& id = "w") {
    auto config = ToConfig(spec, bundle_);
    EXPECT_TRUE(config.ok()) << config.status();
    if (!config.ok()) return nullptr;
    sandbox::SandboxOptions options;
    options.id = id;
    options.state_root = root_.path() + "/state";
    options.runsc_path = RunscPath();
    options.container = *config;
    auto box = sandbox::Sandbox::Create(options);
    EXPECT_TRUE(box.ok()) << box.status();
    if (!box.ok()) return nullptr;
    boxes_.push_back(std::move(*box));
    return boxes_.back().get();
  }

  runsc::oci::v1::Spec Spec(const std::vector<std::string>& args) {
    auto spec = RuncSpec(bundle_, args);
    EXPECT_TRUE(spec.ok()) << spec.status();
    return *spec;
  }

  TempStateRoot root_;
  std::string bundle_;
  std::vector<std::unique_ptr<sandbox::Sandbox>> boxes_;
};

TEST_F(WorkloadTest, RunsTheMainProcessWithOutputAndExitCode) {
  auto* box = Create(Spec({"sh", "-c", "echo hello; echo oops >&2; exit 3"}));
  ASSERT_NE(box, nullptr);
  auto result = RunInSandbox(*box);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->out, "hello\n");
  EXPECT_EQ(result->err, "oops\n");
  EXPECT_FALSE(result->status.signaled());
  EXPECT_EQ(result->status.code(), 3);
}

}  // namespace
}  // namespace runsc::testing
