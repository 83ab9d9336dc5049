// Root tests of resource limits: the sandbox's cgroup (v2 where the unified
// hierarchy has the controller, v1 otherwise; this machine is hybrid).
#include "sandbox/cgroup.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runsc/util/unique_fd.h"
#include "sandbox/control_client.h"
#include "test/bundle_util.h"
#include "test/workload_fixture.h"

namespace runsc::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;

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
  // The supervisor is outside the limit, so it is never the victim, even
  // when the cgroup runs out again before the first victim's memory is
  // freed: the sandbox still answers.
  sandbox::ControlClient client(box->control_socket_path());
  auto info = client.Info();
  EXPECT_TRUE(info.ok()) << info.status();
}

TEST_F(CgroupTest, ForkBombStopsAtPidsMax) {
  auto spec = Spec({"probe", "forkbomb"});
  spec.mutable_linux()->mutable_resources()->mutable_pids()->set_limit(32);
  ProcessResult r = RunMain(spec);
  // The launcher and the probe count too (the supervisor is outside).
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
  // In every hierarchy the sandbox process is outside the container leaf:
  // in the supervisor leaf on v2, in the sandbox's directory on v1 (which
  // has no supervisor leaf). The container leaf holds the rest (launcher
  // and workload).
  auto layout = sandbox::CgroupLayout::Discover();
  ASSERT_TRUE(layout.ok()) << layout.status();
  for (const std::string& dir : paths) {
    const bool v2 = !layout->unified.empty() && absl::StartsWith(dir, layout->unified + "/");
    std::string supervisor = ReadFile(dir + (v2 ? "/supervisor" : "") + "/cgroup.procs");
    EXPECT_EQ(supervisor, absl::StrCat(box->pid(), "\n")) << dir;
    struct stat st;
    EXPECT_EQ(stat((dir + "/supervisor").c_str(), &st) == 0, v2) << dir;
    std::string container = ReadFile(dir + "/container/cgroup.procs");
    EXPECT_EQ(std::count(container.begin(), container.end(), '\n'), 2) << dir << ": " << container;
    EXPECT_THAT(container, Not(HasSubstr(absl::StrCat(box->pid(), "\n"))));
  }
  // The limits are the container leaf's.
  bool quota_seen = false;
  for (const std::string& dir : paths) {
    if (ReadFile(dir + "/container/cpu.cfs_quota_us") == "50000\n") quota_seen = true;
    if (absl::StartsWith(ReadFile(dir + "/container/cpu.max"), "50000 100000")) quota_seen = true;
  }
  EXPECT_TRUE(quota_seen) << "cpu quota not applied";
  absl::SleepFor(absl::Milliseconds(200));
  auto stats = box->Stats();
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_GT(stats->cpu_usage_ns, 0u);
  EXPECT_GT(stats->memory_current, 0u);
  EXPECT_GE(stats->memory_peak, stats->memory_current);
  EXPECT_GE(stats->pids_current, 2u);  // launcher, shell
  EXPECT_EQ(stats->oom_kills, 0u);
}

// Runtime mode (runsc run and create, for podman and containerd): the
// sandbox process is the container's in the v1 hierarchies conmon and the
// shim watch (memory, cpu), from before it runs, and its launcher is born
// there; it stays out of pids (its threads would count) and of the freezer
// (a paused container's sandbox still answers), and out of the v2 container
// leaf. The launcher and the workload are in the container leaf everywhere.
TEST_F(CgroupTest, ARuntimeModeSandboxJoinsOnlyTheContainersAccountingHierarchies) {
  util::UniqueFd null_rw(open("/dev/null", O_RDWR | O_CLOEXEC));
  ASSERT_TRUE(null_rw);
  auto box = TryCreate(Spec({"sleep", "1000"}), "w", [&](sandbox::SandboxOptions& o) {
    o.exit_with_main = true;
    o.start_main = true;
    o.main_fds = {null_rw.get(), null_rw.get(), null_rw.get()};
  });
  ASSERT_TRUE(box.ok()) << box.status();
  const std::string pid = absl::StrCat((*box)->pid(), "\n");
  auto layout = sandbox::CgroupLayout::Discover();
  ASSERT_TRUE(layout.ok()) << layout.status();
  for (const auto& [controller, mount] : layout->v1) {
    const std::string dir = absl::StrCat(mount, "/runsc/w.", (*box)->uid_range().slot);
    struct stat st;
    if (stat(dir.c_str(), &st) != 0) continue;  // a controller v2 holds
    const bool joins = controller != "freezer" && controller != "pids";
    const std::string container = ReadFile(dir + "/container/cgroup.procs");
    EXPECT_EQ(absl::StrContains(container, pid), joins) << dir << ": " << container;
    EXPECT_EQ(absl::StrContains(ReadFile(dir + "/cgroup.procs"), pid), !joins) << dir;
    // The launcher and the main process, wherever the sandbox process is.
    EXPECT_EQ(std::count(container.begin(), container.end(), '\n'), joins ? 3 : 2)
        << dir << ": " << container;
  }
  if (!layout->unified.empty()) {
    const std::string dir = absl::StrCat(layout->unified, "/runsc/w.", (*box)->uid_range().slot);
    EXPECT_EQ(ReadFile(dir + "/supervisor/cgroup.procs"), pid);
    EXPECT_THAT(ReadFile(dir + "/container/cgroup.procs"), Not(HasSubstr(pid)));
  }
}

// A container's processes have a cgroup namespace rooted at the container's
// cgroup (the launcher enters it before its exec, once it is there): each
// sees its cgroup as "/" in every hierarchy, and nothing of the host's
// tree. An exec'd process is the launcher's child too.
TEST_F(CgroupTest, AContainerSeesItsOwnCgroupAsTheRoot) {
  auto* box = Create(Spec({"sleep", "1000"}));
  ASSERT_NE(box, nullptr);
  ASSERT_TRUE(StartDetached(*box).ok());
  auto config = ToConfig(Spec({"cat", "/proc/self/cgroup"}), bundle_);
  ASSERT_TRUE(config.ok()) << config.status();
  auto r = RunInSandbox(*box, &config->process());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status.code(), 0) << r->err;
  int lines = 0;
  for (absl::string_view line : absl::StrSplit(r->out, '\n', absl::SkipEmpty())) {
    EXPECT_TRUE(absl::EndsWith(line, ":/")) << line;
    ++lines;
  }
  EXPECT_GE(lines, 2) << r->out;
  EXPECT_THAT(r->out, Not(HasSubstr("runsc")));
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
