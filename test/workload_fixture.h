// A gtest fixture for root tests that run workloads from a busybox bundle
// (with the probe at /bin/probe) in real sandboxes.
#ifndef RUNSC_TEST_WORKLOAD_FIXTURE_H_
#define RUNSC_TEST_WORKLOAD_FIXTURE_H_

#include <stdlib.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "sandbox/sandbox.h"
#include "test/bundle_util.h"
#include "test/sandbox_test_util.h"

namespace runsc::testing {

class WorkloadFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    bundle_ = root_.path() + "/bundle";
    ASSERT_TRUE(MakeBusyboxRootfs(bundle_, {"test/probe"}).ok());
  }
  void TearDown() override {
    boxes_.clear();
    EXPECT_EQ(system(absl::StrCat("rm -rf ", root_.path(), "/bundle ", root_.path(),
                                  "/state ", root_.path(), "/shared").c_str()),
              0);
  }

  // `adjust`, if given, changes the options before the create.
  absl::StatusOr<sandbox::Sandbox*> TryCreate(
      const runsc::oci::v1::Spec& spec, const std::string& id = "w",
      const std::function<void(sandbox::SandboxOptions&)>& adjust = nullptr) {
    auto config = ToConfig(spec, bundle_);
    if (!config.ok()) return config.status();
    sandbox::SandboxOptions options;
    options.id = id;
    options.state_root = root_.path() + "/state";
    options.runsc_path = RunscPath();
    options.container = *config;
    if (adjust) adjust(options);
    auto box = sandbox::Sandbox::Create(options);
    if (!box.ok()) return box.status();
    boxes_.push_back(std::move(*box));
    return boxes_.back().get();
  }

  sandbox::Sandbox* Create(const runsc::oci::v1::Spec& spec, const std::string& id = "w") {
    auto box = TryCreate(spec, id);
    EXPECT_TRUE(box.ok()) << box.status();
    return box.ok() ? *box : nullptr;
  }

  runsc::oci::v1::Spec Spec(const std::vector<std::string>& args) {
    auto spec = RuncSpec(bundle_, args);
    EXPECT_TRUE(spec.ok()) << spec.status();
    return *spec;
  }

  // Runs `args` as the main process of a fresh sandbox; returns its result.
  ProcessResult RunMain(const runsc::oci::v1::Spec& spec, const std::string& input = "") {
    sandbox::Sandbox* box = Create(spec, absl::StrCat("run", counter_++));
    if (box == nullptr) return {};
    auto result = RunInSandbox(*box, nullptr, input);
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? *result : ProcessResult{};
  }
  ProcessResult RunMain(const std::vector<std::string>& args) { return RunMain(Spec(args)); }

  TempStateRoot root_;
  std::string bundle_;
  std::vector<std::unique_ptr<sandbox::Sandbox>> boxes_;
  int counter_ = 0;
};

}  // namespace runsc::testing

#endif  // RUNSC_TEST_WORKLOAD_FIXTURE_H_
