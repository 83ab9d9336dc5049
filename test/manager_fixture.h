// The in-process daemon core for root tests: a SandboxManager on a state
// root of the test's own, emptied after each test.
#ifndef RUNSC_TEST_MANAGER_FIXTURE_H_
#define RUNSC_TEST_MANAGER_FIXTURE_H_

#include <stdlib.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "proto/oci.pb.h"
#include "sandbox/manager.h"
#include "specutils/oci_spec.h"
#include "test/sandbox_test_util.h"

namespace runsc::testing {

class ManagerFixture : public ::testing::Test {
 protected:
  void TearDown() override {
    if (manager_ != nullptr) {
      for (const auto& view : manager_->ListSandboxes({})) {
        EXPECT_TRUE(manager_->DeleteSandbox(view.id, absl::ZeroDuration()).ok());
      }
    }
    manager_.reset();
    EXPECT_EQ(system(absl::StrCat("rm -rf ", root_.path(), "/*").c_str()), 0);
  }

  std::string state() const { return root_.path() + "/state"; }

  // A manager on state(); `options` gives the rest. With a warm pool, once
  // the pool is full.
  std::unique_ptr<sandbox::SandboxManager> NewManager(sandbox::ManagerOptions options) {
    options.state_root = state();
    options.runsc_path = RunscPath();
    auto manager = sandbox::SandboxManager::Create(options);
    EXPECT_TRUE(manager.ok()) << manager.status();
    if (!manager.ok()) return nullptr;
    if (options.warm_sandboxes > 0) {
      EXPECT_TRUE((*manager)->warm_pool()->AwaitReady(options.warm_sandboxes, absl::Seconds(30)))
          << "the pool did not fill";
    }
    return std::move(*manager);
  }

  // `args` with PATH and cwd /, as a workload's process.
  runsc::boot::v1::ProcessConfig Process(const std::vector<std::string>& args) {
    runsc::oci::v1::Process p;
    for (const auto& a : args) p.add_args(a);
    p.add_env("PATH=/usr/bin:/bin");
    p.set_cwd("/");
    auto config = specutils::ToProcessConfig(p, false, {}, "process");
    EXPECT_TRUE(config.ok()) << config.status();
    return *config;
  }

  TempStateRoot root_;
  std::unique_ptr<sandbox::SandboxManager> manager_;
};

}  // namespace runsc::testing

#endif  // RUNSC_TEST_MANAGER_FIXTURE_H_
