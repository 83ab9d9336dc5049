// Root tests of the reclaimer (sandbox/reclaimer.h) and Sandbox::Retire: a
// retired sandbox runs nothing more and frees its id at once, the rest of
// its teardown follows, and what a daemon that died left aside, the next
// one reclaims.
#include "sandbox/reclaimer.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runsc/util/file_util.h"
#include "runsc/util/unique_fd.h"
#include "sandbox/host_template.h"
#include "sandbox/sandbox.h"
#include "sandbox/state_store.h"
#include "sandbox/uid_range.h"
#include "specutils/spec_json.h"
#include "test/sandbox_test_util.h"

namespace runsc::testing {
namespace {

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

// Whether `pid` can no longer run user code as /proc shows it now: gone, a
// zombie, exiting (PF_EXITING), or with SIGKILL pending. `state` gets its
// state letter.
bool EndingNow(pid_t pid, std::string* state) {
  const std::string stat = ReadFile(absl::StrCat("/proc/", pid, "/stat"));
  if (stat.empty()) return true;
  // After "pid (comm) ": state, then 5 numbers, then the flags.
  std::vector<std::string> f = absl::StrSplit(stat.substr(stat.rfind(')') + 2), ' ');
  if (f.size() < 7) return true;
  *state = f[0];
  if (f[0] == "Z" || f[0] == "X") return true;
  uint64_t flags = 0;
  if (absl::SimpleAtoi(f[6], &flags) && (flags & 0x4) != 0) return true;  // PF_EXITING
  std::map<std::string, std::string> status =
      ParseStatus(ReadFile(absl::StrCat("/proc/", pid, "/status")));
  for (const char* key : {"SigPnd", "ShdPnd"}) {
    uint64_t pending = 0;
    if (absl::SimpleHexAtoi(status[key], &pending) && (pending & (1ull << (SIGKILL - 1))) != 0) {
      return true;
    }
  }
  return false;
}

// Those of `pids` that can still run user code. A killed task that has
// taken its SIGKILL off the pending set but not yet marked itself exiting
// is in the kernel, between the two, and shows neither; it is runnable (R)
// then, if preempted there (with a hundred dying tasks on two CPUs, some
// are), and marks itself exiting as soon as it runs. So every pid is looked
// at once first, and a runnable one is then given 20 ms to show it; a
// sleeping one that shows neither was never killed.
std::vector<pid_t> StillRunning(const std::vector<pid_t>& pids) {
  std::vector<pid_t> running, runnable;
  for (pid_t pid : pids) {
    std::string state;
    if (EndingNow(pid, &state)) continue;
    (state == "R" ? runnable : running).push_back(pid);
  }
  const absl::Time until = absl::Now() + absl::Milliseconds(20);
  while (!runnable.empty() && absl::Now() < until) {
    absl::SleepFor(absl::Microseconds(200));
    std::string state;
    runnable.erase(std::remove_if(runnable.begin(), runnable.end(),
                                  [&state](pid_t pid) { return EndingNow(pid, &state); }),
                   runnable.end());
  }
  running.insert(running.end(), runnable.begin(), runnable.end());
  return running;
}

// `pid` and every process below it.
std::vector<pid_t> Tree(pid_t pid) {
  std::vector<pid_t> out = {pid};
  for (size_t i = 0; i < out.size(); ++i) {
    for (const std::string& tid : ListDir(absl::StrCat("/proc/", out[i], "/task"))) {
      for (absl::string_view child :
           absl::StrSplit(ReadFile(absl::StrCat("/proc/", out[i], "/task/", tid, "/children")), ' ',
                          absl::SkipWhitespace())) {
        pid_t c = 0;
        if (absl::SimpleAtoi(child, &c)) out.push_back(c);
      }
    }
  }
  return out;
}

class ReclaimerTest : public ::testing::Test {
 protected:
  // A host-template sandbox whose main process sleeps.
  std::unique_ptr<sandbox::Sandbox> NewSandbox(const std::string& id, bool container = true,
                                               const std::vector<std::string>& args = {"sleep",
                                                                                       "1000"}) {
    sandbox::SandboxOptions options;
    options.id = id;
    options.state_root = root_.path();
    options.runsc_path = RunscPath();
    if (container) {
      sandbox::HostTemplateOptions tmpl;
      tmpl.args = args;
      auto config = sandbox::HostTemplate(tmpl);
      EXPECT_TRUE(config.ok()) << config.status();
      options.container = *config;
      options.start_main = true;
    }
    auto box = sandbox::Sandbox::Create(options);
    EXPECT_TRUE(box.ok()) << box.status();
    return box.ok() ? std::move(*box) : nullptr;
  }

  // What a sandbox holds on the host, to see it go.
  struct Held {
    std::vector<pid_t> pids;
    std::vector<std::string> cgroups;
    std::string range_file;
    std::string aside;  // its state directory once retired
  };
  Held HeldBy(const sandbox::Sandbox& box) {
    Held held;
    held.pids = Tree(box.pid());
    held.cgroups = box.CgroupPaths();
    held.range_file = absl::StrCat(sandbox::SandboxOptions().ranges_dir, "/", box.uid_range().slot);
    held.aside = absl::StrCat(root_.path(), "/", sandbox::kRetiredPrefix, box.uid_range().slot);
    EXPECT_GE(held.pids.size(), 3u) << "sandbox process, launcher, main process";
    EXPECT_FALSE(held.cgroups.empty());
    EXPECT_TRUE(Exists(held.range_file)) << held.range_file;
    return held;
  }

  void ExpectGone(const Held& held) {
    for (pid_t pid : held.pids) {
      EXPECT_FALSE(Exists(absl::StrCat("/proc/", pid))) << "process " << pid;
    }
    for (const std::string& dir : held.cgroups) EXPECT_FALSE(Exists(dir)) << dir;
    EXPECT_FALSE(Exists(held.range_file)) << held.range_file;
    EXPECT_FALSE(Exists(held.aside)) << held.aside;
  }

  // The processes of the sandbox's unified container leaf, which has
  // cgroup.kill (empty without one).
  static std::vector<pid_t> ContainerLeafProcs(const std::vector<std::string>& cgroups) {
    std::vector<pid_t> pids;
    for (const std::string& dir : cgroups) {
      if (!Exists(dir + "/cgroup.kill")) continue;
      for (absl::string_view line :
           absl::StrSplit(ReadFile(dir + "/container/cgroup.procs"), '\n', absl::SkipEmpty())) {
        pid_t pid = 0;
        if (absl::SimpleAtoi(line, &pid)) pids.push_back(pid);
      }
    }
    return pids;
  }

  // A reclaimer's finish that destroys a sandbox once `go` is notified.
  static sandbox::Reclaimer::Finish HeldUntil(absl::Notification* go) {
    return [go](sandbox::Sandbox& box) {
      go->WaitForNotification();
      return box.Destroy();
    };
  }

  TempStateRoot root_;
};

TEST_F(ReclaimerTest, ARetiredSandboxRunsNothingMoreFreesItsIdAtOnceAndGoesLater) {
  absl::Notification go;
  sandbox::Reclaimer reclaimer(4, HeldUntil(&go));
  std::unique_ptr<sandbox::Sandbox> box = NewSandbox("gone");
  ASSERT_NE(box, nullptr);
  const Held held = HeldBy(*box);

  ASSERT_EQ(reclaimer.Take(std::move(box)), nullptr);
  EXPECT_EQ(reclaimer.pending(), 1);
  // Every process has been killed, none reaped yet.
  EXPECT_THAT(StillRunning(held.pids), ::testing::IsEmpty());
  EXPECT_FALSE(Exists(root_.path() + "/gone"));
  EXPECT_TRUE(Exists(held.aside + "/" + sandbox::kStateFileName)) << held.aside;
  EXPECT_EQ(ListDir(root_.path()).size(), 1u);
  EXPECT_TRUE(sandbox::Sandbox::ListIds(root_.path())->empty());
  // Its id is free: a new sandbox takes it, with cgroups and a range of its
  // own.
  std::unique_ptr<sandbox::Sandbox> again = NewSandbox("gone");
  ASSERT_NE(again, nullptr);
  EXPECT_NE(again->uid_range().slot,
            std::stoul(held.range_file.substr(held.range_file.rfind('/') + 1)));

  go.Notify();
  reclaimer.Drain();
  EXPECT_EQ(reclaimer.pending(), 0);
  ExpectGone(held);
  EXPECT_EQ(ListDir(root_.path()), std::vector<std::string>{"gone"});
  EXPECT_TRUE(again->Destroy().ok());
}

// A workload that forks as fast as it can does not outrun the kill: once
// Take returns, every process in the container's cgroup is ending, the
// ones born while the kill was under way included.
TEST_F(ReclaimerTest, AWorkloadThatKeepsForkingCannotOutrunTheKill) {
  absl::Notification go;
  sandbox::Reclaimer reclaimer(4, HeldUntil(&go));
  std::unique_ptr<sandbox::Sandbox> box =
      NewSandbox("forker", true, {"sh", "-c", "while :; do sleep 1000 & done"});
  ASSERT_NE(box, nullptr);
  const std::vector<std::string> cgroups = box->CgroupPaths();
  const absl::Time until = absl::Now() + absl::Seconds(10);
  while (ContainerLeafProcs(cgroups).size() < 50 && absl::Now() < until) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  if (ContainerLeafProcs(cgroups).empty()) GTEST_SKIP() << "no unified cgroup with cgroup.kill";
  ASSERT_GE(ContainerLeafProcs(cgroups).size(), 50u) << "the workload did not fork";

  ASSERT_EQ(reclaimer.Take(std::move(box)), nullptr);
  const std::vector<pid_t> after = ContainerLeafProcs(cgroups);
  EXPECT_THAT(StillRunning(after), ::testing::IsEmpty());
  go.Notify();
  reclaimer.Drain();
  for (pid_t pid : after) EXPECT_FALSE(Exists(absl::StrCat("/proc/", pid))) << "process " << pid;
  for (const std::string& dir : cgroups) EXPECT_FALSE(Exists(dir)) << dir;
}

TEST_F(ReclaimerTest, PastItsBoundOrWithoutAContainerASandboxIsHandedBackUntouched) {
  absl::Notification go;
  sandbox::Reclaimer reclaimer(1, HeldUntil(&go));
  std::unique_ptr<sandbox::Sandbox> first = NewSandbox("first");
  std::unique_ptr<sandbox::Sandbox> second = NewSandbox("second");
  std::unique_ptr<sandbox::Sandbox> bare = NewSandbox("bare", /*container=*/false);
  ASSERT_TRUE(first != nullptr && second != nullptr && bare != nullptr);
  const Held held = HeldBy(*first);
  ASSERT_EQ(reclaimer.Take(std::move(first)), nullptr);

  second = reclaimer.Take(std::move(second));
  ASSERT_NE(second, nullptr);
  EXPECT_EQ(StillRunning({second->pid()}), std::vector<pid_t>{second->pid()});
  EXPECT_TRUE(Exists(root_.path() + "/second/" + sandbox::kStateFileName));
  go.Notify();
  reclaimer.Drain();
  ExpectGone(held);

  // No cgroup to kill it by: it stays whole, for a Destroy in line.
  bare = reclaimer.Take(std::move(bare));
  ASSERT_NE(bare, nullptr);
  EXPECT_EQ(StillRunning({bare->pid()}), std::vector<pid_t>{bare->pid()});
  EXPECT_EQ(reclaimer.pending(), 0);
  EXPECT_TRUE(second->Destroy().ok());
  EXPECT_TRUE(bare->Destroy().ok());
  EXPECT_TRUE(ListDir(root_.path()).empty());
}

TEST_F(ReclaimerTest, AFailedTeardownIsTriedAgain) {
  int tries = 0;
  sandbox::Reclaimer reclaimer(4, [&tries](sandbox::Sandbox& box) {
    if (++tries == 1) return absl::UnavailableError("busy, this once");
    return box.Destroy();
  });
  std::unique_ptr<sandbox::Sandbox> box = NewSandbox("stubborn");
  ASSERT_NE(box, nullptr);
  const Held held = HeldBy(*box);
  ASSERT_EQ(reclaimer.Take(std::move(box)), nullptr);
  reclaimer.Drain();
  EXPECT_EQ(tries, 2);
  ExpectGone(held);
  EXPECT_TRUE(ListDir(root_.path()).empty());
}

// A teardown that fails each time leaves the sandbox's state, cgroups and
// range aside for the next daemon, but not its process: that is reaped
// (it was closed unreaped, a zombie for the rest of the daemon's life).
TEST_F(ReclaimerTest, ATeardownThatKeepsFailingLeavesItsStateButNoZombie) {
  sandbox::Reclaimer reclaimer(
      4, [](sandbox::Sandbox&) { return absl::UnavailableError("busy for good"); });
  std::unique_ptr<sandbox::Sandbox> box = NewSandbox("left");
  ASSERT_NE(box, nullptr);
  const Held held = HeldBy(*box);
  ASSERT_EQ(reclaimer.Take(std::move(box)), nullptr);
  reclaimer.Drain();
  EXPECT_TRUE(Exists(held.aside)) << "its state was not left for the next daemon";
  EXPECT_TRUE(ProcessGoneWithin(held.pids[0], 5000))
      << "the sandbox process " << held.pids[0] << " was left a zombie";
  (void)waitpid(held.pids[0], nullptr, WNOHANG);  // the old way's zombie, for the cleanup
  sandbox::Sandbox::ReclaimAside(root_.path());
  ExpectGone(held);
  EXPECT_TRUE(ListDir(root_.path()).empty());
}

TEST_F(ReclaimerTest, WhatADaemonThatDiedLeftAsideTheNextOneReclaims) {
  // This daemon "dies" before any teardown: nothing is reaped or removed.
  sandbox::Reclaimer reclaimer(4, [](sandbox::Sandbox& box) {
    box.Detach();
    return absl::OkStatus();
  });
  std::vector<Held> held;
  for (const char* id : {"orphan", "older-orphan"}) {
    std::unique_ptr<sandbox::Sandbox> box = NewSandbox(id);
    ASSERT_NE(box, nullptr);
    held.push_back(HeldBy(*box));
    ASSERT_EQ(reclaimer.Take(std::move(box)), nullptr);
  }
  reclaimer.Drain();
  for (const Held& h : held) {
    ASSERT_TRUE(Exists(h.aside));
    ASSERT_TRUE(Exists(h.range_file));
  }
  // A save that died half way left its temporary file too.
  std::ofstream(held[0].aside + "/" + util::AtomicWriteTempPrefix(sandbox::kStateFileName) +
                "12345")
      << "{";
  // And one of an earlier build's, which saved JSON.
  std::ofstream(held[0].aside + "/" + util::AtomicWriteTempPrefix(sandbox::kLegacyStateFileName) +
                "12345")
      << "{";
  // The second as such a build left it: its record and its prepared file
  // as JSON, and no binary record.
  auto record = sandbox::LoadRecord(held[1].aside);
  ASSERT_TRUE(record.ok()) << record.status();
  for (const char* name : {sandbox::kLegacyStateFileName, sandbox::kLegacyNextStateFileName}) {
    std::ofstream(held[1].aside + "/" + name) << specutils::SpecJson(*record);
  }
  for (const char* name : {sandbox::kStateFileName, sandbox::kNextStateFileName}) {
    (void)unlink((held[1].aside + "/" + name).c_str());
  }
  ASSERT_FALSE(Exists(sandbox::RecordPath(held[1].aside)));

  sandbox::Sandbox::ReclaimAside(root_.path());
  // The rest went without the reap, which is not the next daemon's: the
  // sandbox process, a zombie child of this test, is reaped here as init
  // reaps that of a daemon that died.
  for (const Held& h : held) {
    EXPECT_EQ(waitpid(h.pids[0], nullptr, 0), h.pids[0]);
    ExpectGone(h);
  }
  EXPECT_TRUE(ListDir(root_.path()).empty());
}

// A create makes its directory under a temporary name, locked, and renames
// it into place: one that died in between left it empty under that name.
// The next daemon removes it, unless a create (the CLI's) holds it still.
TEST_F(ReclaimerTest, ACreatesDirectoryLeftUnderItsTemporaryNameGoesUnlessHeld) {
  const std::string dead = absl::StrCat(root_.path(), "/", sandbox::kCreatingPrefix, "a-x1Yz2Q");
  const std::string live = absl::StrCat(root_.path(), "/", sandbox::kCreatingPrefix, "b-P3q4Rs");
  for (const std::string& dir : {dead, live}) ASSERT_EQ(mkdir(dir.c_str(), 0700), 0) << dir;
  // A young one may be a create between its mkdtemp and its lock: kept.
  sandbox::Sandbox::ReclaimAside(root_.path());
  EXPECT_TRUE(Exists(dead));
  // Old enough (the age asked for here, rather than a minute's wait).
  util::UniqueFd held(open(live.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  ASSERT_TRUE(held);
  ASSERT_EQ(flock(held.get(), LOCK_EX | LOCK_NB), 0);

  sandbox::Sandbox::ReclaimAside(root_.path(), absl::ZeroDuration());
  EXPECT_FALSE(Exists(dead));
  EXPECT_TRUE(Exists(live));
  // Neither is a sandbox to list.
  EXPECT_TRUE(sandbox::Sandbox::ListIds(root_.path())->empty());
  held.reset();
  sandbox::Sandbox::ReclaimAside(root_.path(), absl::ZeroDuration());
  EXPECT_TRUE(ListDir(root_.path()).empty());
}

}  // namespace
}  // namespace runsc::testing
