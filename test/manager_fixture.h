// The in-process daemon core for root tests: a SandboxManager on a state
// root of the test's own, emptied after each test.
#ifndef RUNSC_TEST_MANAGER_FIXTURE_H_
#define RUNSC_TEST_MANAGER_FIXTURE_H_

#include <stdlib.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
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

// The manager as the daemon makes it (TTLs looked at every 50 ms), with a
// helper for sandboxes whose main process sleeps.
class ManagerTest : public ManagerFixture {
 protected:
  void SetUp() override { manager_ = NewManager(); }

  std::unique_ptr<sandbox::SandboxManager> NewManager(int max = 64) {
    sandbox::ManagerOptions options;
    options.max_sandboxes = max;
    options.ttl_check_interval = absl::Milliseconds(50);
    return ManagerFixture::NewManager(options);
  }

  // Creates and starts a host-template sandbox whose main process sleeps
  // (ignoring SIGTERM if `stubborn`); returns the main process's pid, or 0.
  int StartSleeper(const std::string& id, bool stubborn,
                   absl::Duration ttl = absl::ZeroDuration()) {
    sandbox::CreateRequest create;
    create.id = id;
    create.ttl = ttl;
    create.template_args = {"sh", "-c",
                            stubborn ? "trap '' TERM; exec sleep 1000" : "exec sleep 1000"};
    absl::StatusOr<sandbox::SandboxView> view = manager_->CreateSandbox(create);
    EXPECT_TRUE(view.ok()) << view.status();
    if (!view.ok()) return 0;
    absl::StatusOr<sandbox::SandboxView> started = manager_->StartSandbox(id);
    EXPECT_TRUE(started.ok()) << started.status();
    if (!started.ok()) return 0;
    // Started is not yet trapped: a TERM before the shell's trap would end
    // it. The list shows sleep once the shell has exec'd it, after the trap.
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (absl::Now() < deadline) {
      absl::StatusOr<runsc::control::v1::ListProcessesResponse> ps = manager_->ListProcesses(id);
      if (!ps.ok()) break;
      for (const auto& p : ps->processes()) {
        if (p.pid() == started->main_pid && p.args_size() > 0 && p.args(0) == "sleep") {
          return started->main_pid;
        }
      }
      absl::SleepFor(absl::Milliseconds(2));
    }
    ADD_FAILURE() << "the main process of " << id << " never exec'd its sleep";
    return 0;
  }

  // The next event that is not "started" (which the worker may publish
  // after a subscription made right after the start).
  static absl::StatusOr<sandbox::SandboxEvent> NextAfterStart(
      sandbox::EventBus::Subscription& events, absl::Duration timeout) {
    absl::StatusOr<sandbox::SandboxEvent> event = events.Next(timeout);
    if (event.ok() && event->type == "started") event = events.Next(timeout);
    return event;
  }
};

}  // namespace runsc::testing

#endif  // RUNSC_TEST_MANAGER_FIXTURE_H_
