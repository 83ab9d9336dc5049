// Root tests of resource limits: the sandbox's cgroup (v2 where the unified
// hierarchy has the controller, v1 otherwise; this machine is hybrid).
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sandbox/control_client.h"
#include "test/workload_fixture.h"

namespace runsc::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;

using CgroupTest = WorkloadFixture;

TEST_F(CgroupTest, MemoryHogIsOomKilledAndReportedAsSuch) {
  auto spec = Spec({"probe", "hog", "512"});
  auto* memory = spec.mutable_linux()->mutable_resources()->mutable_memory();
  memory->set_limit(32 << 20);
  memory->set_swap(32 << 20);  // memory+swap: no swap to escape into
  auto* box = Create(spec);
  ASSERT_NE(box, nullptr);
  auto pid = StartDetached(*box);
  ASSERT_TRUE(pid.ok()) << pid.status();
  auto status = box->WaitProcess(*pid);
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_TRUE(status->signaled());
  EXPECT_EQ(status->signal(), SIGKILL);
  EXPECT_TRUE(status->oom_killed());
  auto stats = box->Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_GE(stats->oom_kills, 1u);
}

TEST_F(CgroupTest, ForkBombStopsAtPidsMax) {
  auto spec = Spec({"probe", "forkbomb"});
  spec.mutable_linux()->mutable_resources()->mutable_pids()->set_limit(32);
  ProcessResult r = RunMain(spec);
  // The supervisor, the launcher and the probe count too.
  ASSERT_THAT(r.out, MatchesRegex("refused after [0-9]+: EAGAIN\n")) << r.err;
  int made = 0;
  ASSERT_TRUE(absl::SimpleAtoi(r.out.substr(14, r.out.find(':') - 14), &made));
  EXPECT_LT(made, 32);
  // The probe killed its own process group once refused.
  EXPECT_TRUE(r.status.signaled());
}

TEST_F(CgroupTest, SandboxIsInItsCgroupAndStatsAreReported) {
  auto spec = Spec({"sh", "-c", "i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; sleep 1000"});
  spec.mutable_linux()->mutable_resources()->mutable_cpu()->set_quota(50000);
  spec.mutable_linux()->mutable_resources()->mutable_cpu()->set_period(100000);
  auto* box = Create(spec);
  ASSERT_NE(box, nullptr);
  ASSERT_TRUE(StartDetached(*box).ok());
  std::vector<std::string> paths = box->CgroupPaths();
  ASSERT_FALSE(paths.empty());
  // The sandbox process itself is in every hierarchy's directory.
  for (const std::string& dir : paths) {
    std::string procs = ReadFile(dir + "/cgroup.procs");
    EXPECT_THAT(procs, HasSubstr(absl::StrCat(box->pid(), "\n"))) << dir;
  }
  bool quota_seen = false;
  for (const std::string& dir : paths) {
    if (ReadFile(dir + "/cpu.cfs_quota_us") == "50000\n") quota_seen = true;
    if (absl::StartsWith(ReadFile(dir + "/cpu.max"), "50000 100000")) quota_seen = true;
  }
  EXPECT_TRUE(quota_seen) << "cpu quota not applied";
  absl::SleepFor(absl::Milliseconds(200));
  auto stats = box->Stats();
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_GT(stats->cpu_usage_ns, 0u);
  EXPECT_GT(stats->memory_current, 0u);
  EXPECT_GE(stats->memory_peak, stats->memory_current);
  EXPECT_GE(stats->pids_current, 3u);  // supervisor, launcher, shell
  EXPECT_EQ(stats->oom_kills, 0u);
}

TEST_F(CgroupTest, DestroyRemovesTheCgroups) {
  auto* box = Create(Spec({"sleep", "1000"}));
  ASSERT_NE(box, nullptr);
  ASSERT_TRUE(StartDetached(*box).ok());
  std::vector<std::string> paths = box->CgroupPaths();
  ASSERT_FALSE(paths.empty());
  boxes_.clear();
  for (const std::string& dir : paths) {
    struct stat st;
    EXPECT_NE(stat(dir.c_str(), &st), 0) << dir << " left behind";
  }
}

}  // namespace
}  // namespace runsc::testing
