// Root tests: a sandbox outlives the process that created it. Another
// process (a restarted daemon, a later CLI command) re-attaches by id from
// its record; a dead sandbox's leftovers are reclaimed.
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runsc/util/file_util.h"
#include "sandbox/control_client.h"
#include "sandbox/manager.h"
#include "sandbox/state_store.h"
#include "specutils/spec_json.h"
#include "test/sandbox_test_util.h"
#include "test/workload_fixture.h"

namespace runsc::testing {
namespace {

using ::testing::HasSubstr;

class ReattachTest : public WorkloadFixture {
 protected:
  std::string State() { return root_.path() + "/state"; }

  // Creates a sandbox running `sleep 1000`, then lets go of it as a daemon
  // that stops would. Returns what a re-attacher needs to check against.
  struct Detached {
    pid_t pid;
    std::vector<std::string> cgroups;
    uint32_t slot;
  };
  Detached CreateAndDetach(const std::string& id) {
    return CreateAndDetach(id, Spec({"sleep", "1000"}));
  }
  Detached CreateAndDetach(const std::string& id, const runsc::oci::v1::Spec& spec) {
    auto* box = Create(spec, id);
    EXPECT_NE(box, nullptr);
    if (box == nullptr) return {};
    EXPECT_TRUE(StartDetached(*box).ok());
    Detached d{box->pid(), box->CgroupPaths(), box->uid_range().slot};
    box->Detach();
    boxes_.clear();
    return d;
  }

  static bool Exists(const std::string& path) {
    struct stat st;
    return stat(path.c_str(), &st) == 0;
  }
};

TEST_F(ReattachTest, AttachByIdAndKeepUsingTheSandbox) {
  Detached d = CreateAndDetach("survivor");
  ASSERT_GT(d.pid, 0);
  EXPECT_EQ(kill(d.pid, 0), 0) << "Detach must not kill the sandbox";
  auto ids = sandbox::Sandbox::ListIds(State());
  ASSERT_TRUE(ids.ok());
  EXPECT_THAT(*ids, ::testing::ElementsAre("survivor"));

  auto box = sandbox::Sandbox::Attach(State(), "survivor");
  ASSERT_TRUE(box.ok()) << box.status();
  EXPECT_EQ((*box)->pid(), d.pid);
  auto r = RunInSandbox(**box, &ToConfig(Spec({"echo", "still here"}), bundle_)->process());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->out, "still here\n");
  auto stats = (*box)->Stats();
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_GE(stats->pids_current, 2u);  // the launcher and the main process

  ASSERT_TRUE((*box)->Destroy().ok());
  // It was our child all along: reaping it proves it exited.
  EXPECT_EQ(waitpid(d.pid, nullptr, 0), d.pid);
  for (const std::string& cg : d.cgroups) EXPECT_FALSE(Exists(cg)) << cg;
  EXPECT_FALSE(Exists(absl::StrCat("/run/runsc/ranges/", d.slot)));
  EXPECT_TRUE(ListDir(State()).empty());
}

TEST_F(ReattachTest, ARecordSavedByAnotherHolderIsSeen) {
  // The daemon and a CLI command on the same state root each hold a Sandbox
  // for one sandbox; the record one saves, the other reads.
  Detached d = CreateAndDetach("shared");
  ASSERT_GT(d.pid, 0);
  auto first = sandbox::Sandbox::Attach(State(), "shared");
  auto second = sandbox::Sandbox::Attach(State(), "shared");
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ((*first)->Record().labels().count("by"), 0u);
  runsc::state::v1::SandboxRecord record = (*second)->Record();
  (*record.mutable_labels())["by"] = "second";
  ASSERT_TRUE((*second)->SaveRecord(record).ok());
  EXPECT_EQ((*first)->Record().labels().at("by"), "second");
  EXPECT_TRUE((*first)->RecordOnDisk());
  (*second)->Detach();
  ASSERT_TRUE((*first)->Destroy().ok());
  EXPECT_FALSE((*first)->RecordOnDisk());
  EXPECT_EQ(waitpid(d.pid, nullptr, 0), d.pid);
}

// A CLI command on the same state root deletes a sandbox that the daemon
// holds too, and a new sandbox takes its id and, by the spec's cgroupsPath,
// its cgroups. The daemon's delete then ends only what was its own: it
// neither kills the new sandbox through the shared cgroups nor removes its
// state directory.
TEST_F(ReattachTest, AnEarlierHoldersDeleteLeavesTheSandboxThatTookTheIdSinceAlone) {
  runsc::oci::v1::Spec spec = Spec({"sleep", "1000"});
  spec.mutable_linux()->set_cgroups_path("/runsc-reattach-test/taken");
  Detached old = CreateAndDetach("taken", spec);
  ASSERT_GT(old.pid, 0);
  auto daemons = sandbox::Sandbox::Attach(State(), "taken");
  auto clis = sandbox::Sandbox::Attach(State(), "taken");
  ASSERT_TRUE(daemons.ok() && clis.ok());
  ASSERT_TRUE((*clis)->Destroy().ok());
  EXPECT_EQ(waitpid(old.pid, nullptr, 0), old.pid);

  Detached now = CreateAndDetach("taken", spec);
  ASSERT_GT(now.pid, 0);
  ASSERT_EQ(now.cgroups, old.cgroups);
  absl::Cleanup end_it = [&] {
    auto box = sandbox::Sandbox::Attach(State(), "taken");
    if (box.ok()) (void)(*box)->Destroy();
    waitpid(now.pid, nullptr, 0);
    // The spec's parent cgroup, which a runtime leaves (runc does too).
    for (const std::string& cg : now.cgroups) rmdir(cg.substr(0, cg.rfind('/')).c_str());
  };

  absl::Status retired = (*daemons)->Retire();
  EXPECT_TRUE(absl::IsFailedPrecondition(retired)) << retired;
  EXPECT_THAT(retired.message(), HasSubstr("no record"));
  ASSERT_TRUE((*daemons)->Destroy().ok());

  // Still running, not a zombie that our waitpid has yet to reap.
  EXPECT_THAT(util::ProcStatusField(now.pid, "State"), ::testing::StartsWith("S"))
      << "the new sandbox was killed";
  auto record = sandbox::LoadRecord(State() + "/taken");
  ASSERT_TRUE(record.ok()) << record.status();
  EXPECT_EQ(record->pid(), now.pid);
  for (const std::string& cg : now.cgroups) EXPECT_TRUE(Exists(cg)) << cg;
  auto box = sandbox::Sandbox::Attach(State(), "taken");
  ASSERT_TRUE(box.ok()) << box.status();
  auto r = RunInSandbox(**box, &ToConfig(Spec({"echo", "whole"}), bundle_)->process());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->out, "whole\n");
}

// A sandbox made by a build that saved its record as JSON is listed and
// re-attached as any other, and its next save leaves this build's record
// alone in its directory.
TEST_F(ReattachTest, ASandboxWithAnEarlierBuildsRecordIsFoundAndItsRecordReplaced) {
  Detached d = CreateAndDetach("older");
  ASSERT_GT(d.pid, 0);
  const std::string dir = State() + "/older";
  auto saved = sandbox::LoadRecord(dir);
  ASSERT_TRUE(saved.ok()) << saved.status();
  // As such a build leaves it: the record and its prepared file as JSON.
  for (const char* name : {sandbox::kLegacyStateFileName, sandbox::kLegacyNextStateFileName}) {
    std::ofstream(dir + "/" + name) << specutils::SpecJson(*saved);
  }
  for (const char* name : {sandbox::kStateFileName, sandbox::kNextStateFileName}) {
    (void)unlink((dir + "/" + name).c_str());
  }
  ASSERT_FALSE(Exists(sandbox::RecordPath(dir)));

  auto ids = sandbox::Sandbox::ListIds(State());
  ASSERT_TRUE(ids.ok()) << ids.status();
  EXPECT_THAT(*ids, ::testing::ElementsAre("older"));
  auto box = sandbox::Sandbox::Attach(State(), "older");
  ASSERT_TRUE(box.ok()) << box.status();
  EXPECT_EQ((*box)->pid(), d.pid);
  EXPECT_TRUE((*box)->RecordOnDisk());
  runsc::state::v1::SandboxRecord record = (*box)->Record();
  EXPECT_EQ(record.container().process().args(0), "sleep");
  (*record.mutable_labels())["by"] = "this build";
  ASSERT_TRUE((*box)->SaveRecord(record).ok());
  EXPECT_FALSE(Exists(dir + "/" + sandbox::kLegacyStateFileName));
  EXPECT_FALSE(Exists(dir + "/" + sandbox::kLegacyNextStateFileName));
  EXPECT_EQ(sandbox::LoadRecord(dir)->labels().at("by"), "this build");

  ASSERT_TRUE((*box)->Destroy().ok());
  EXPECT_EQ(waitpid(d.pid, nullptr, 0), d.pid);
  EXPECT_TRUE(ListDir(State()).empty());
}

TEST_F(ReattachTest, DeadSandboxIsRefusedThenReclaimed) {
  Detached d = CreateAndDetach("dead");
  ASSERT_GT(d.pid, 0);
  ASSERT_EQ(kill(d.pid, SIGKILL), 0);
  ASSERT_EQ(waitpid(d.pid, nullptr, 0), d.pid);

  auto box = sandbox::Sandbox::Attach(State(), "dead");
  ASSERT_FALSE(box.ok());
  EXPECT_EQ(box.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(box.status().message()), HasSubstr("'dead' is not running"));

  ASSERT_TRUE(sandbox::Sandbox::Reclaim(State(), "dead").ok());
  for (const std::string& cg : d.cgroups) EXPECT_FALSE(Exists(cg)) << cg;
  EXPECT_FALSE(Exists(absl::StrCat("/run/runsc/ranges/", d.slot)));
  EXPECT_TRUE(ListDir(State()).empty());
}

// A daemon that dies in the middle of a create leaves a sandbox that never
// reported ready: test/interrupted_create is such a creator, whose sandbox
// never boots, killed once its sandbox process runs. The next daemon's start
// kills that process, removes its cgroups, range and directory, and the id
// can be created again.
TEST_F(ReattachTest, ACreateCutShortByItsDaemonsDeathIsReclaimedAtTheNextStart) {
  const std::string id = "cut-short";
  const std::string dir = absl::StrCat(State(), "/", id);
  ASSERT_EQ(mkdir(State().c_str(), 0711), 0);
  std::ofstream(bundle_ + "/config.json") << specutils::SpecJson(Spec({"true"}));
  const pid_t creator = fork();
  ASSERT_GE(creator, 0);
  if (creator == 0) {
    execl("test/interrupted_create", "interrupted_create", State().c_str(), id.c_str(),
          bundle_.c_str(), nullptr);
    _exit(127);
  }
  // Its record first (pid 0: the create has not finished), then a process
  // in the sandbox's cgroups: the sandbox, booting.
  std::vector<pid_t> booting;
  // Should an assertion end the test early, neither the creator nor its
  // sandbox outlives it.
  pid_t creator_left = creator;
  bool reclaimed = false;
  absl::Cleanup leave_nothing = [&] {
    if (creator_left > 0) {
      kill(creator_left, SIGKILL);
      waitpid(creator_left, nullptr, 0);
    }
    if (!reclaimed) {
      for (pid_t pid : booting) kill(pid, SIGKILL);
      (void)sandbox::Sandbox::Reclaim(State(), id);
    }
  };
  runsc::state::v1::SandboxRecord record;
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (booting.empty() && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(20));
    absl::StatusOr<runsc::state::v1::SandboxRecord> loaded = sandbox::LoadRecord(dir);
    if (!loaded.ok()) continue;
    record = *loaded;
    for (const std::string& cg : record.cgroup_paths()) {
      for (const char* leaf : {"/supervisor", "/container", ""}) {
        std::ifstream procs(absl::StrCat(cg, leaf, "/cgroup.procs"));
        for (pid_t pid; procs >> pid;) booting.push_back(pid);
      }
    }
  }
  ASSERT_FALSE(booting.empty()) << "the creator's sandbox never ran";
  EXPECT_EQ(record.pid(), 0);
  // Meanwhile the CLI sees it as OCI's "creating", and a delete without
  // --force leaves it to its creator.
  const std::string cli = absl::StrCat(RunscPath(), " --root ", State(), " ");
  auto [state_code, state] = RunShell(cli + "state " + id + " 2>&1");
  EXPECT_EQ(state_code, 0) << state;
  EXPECT_THAT(state, HasSubstr("\"status\": \"creating\""));
  auto [delete_code, refused] = RunShell(cli + "delete " + id + " 2>&1");
  EXPECT_NE(delete_code, 0);
  EXPECT_THAT(refused, HasSubstr("has not finished its create"));
  EXPECT_TRUE(Exists(dir));
  // So does a daemon that starts meanwhile on the same root (podman's
  // runtime root is the daemon's by default): the create holds its lock.
  {
    sandbox::ManagerOptions options;
    options.state_root = State();
    options.runsc_path = RunscPath();
    auto manager = sandbox::SandboxManager::Create(options);
    ASSERT_TRUE(manager.ok()) << manager.status();
  }
  EXPECT_TRUE(Exists(dir)) << "a daemon's start reclaimed a create in progress";
  for (pid_t pid : booting) EXPECT_EQ(kill(pid, 0), 0) << "a daemon's start killed pid " << pid;
  ASSERT_EQ(kill(creator, SIGKILL), 0);
  ASSERT_EQ(waitpid(creator, nullptr, 0), creator);
  creator_left = 0;
  ASSERT_TRUE(Exists(dir));

  sandbox::ManagerOptions options;
  options.state_root = State();
  options.runsc_path = RunscPath();
  auto manager = sandbox::SandboxManager::Create(options);
  ASSERT_TRUE(manager.ok()) << manager.status();
  reclaimed = true;
  EXPECT_FALSE(Exists(dir));
  for (const std::string& cg : record.cgroup_paths()) EXPECT_FALSE(Exists(cg)) << cg;
  EXPECT_FALSE(Exists(absl::StrCat(record.ranges_dir(), "/", record.range_slot())));
  for (pid_t pid : booting) {
    // Reparented to init, which reaps it: gone within a moment.
    EXPECT_TRUE(ProcessGoneWithin(pid, 5000))
        << "pid " << pid << " of the cut-short sandbox still runs";
  }
  EXPECT_NE(Create(Spec({"true"}), id), nullptr) << "the id stayed taken";
}

// A stopped container of the runtime CLI keeps its state, and its exit
// status, until its `runsc delete`, as runc's does: a daemon that starts on
// the same root leaves it.
TEST_F(ReattachTest, ADaemonsStartLeavesAStoppedContainerOfTheCliToItsDelete) {
  ASSERT_EQ(mkdir(State().c_str(), 0711), 0);
  std::ofstream(bundle_ + "/config.json") << specutils::SpecJson(Spec({"sh", "-c", "exit 3"}));
  const std::string cli = absl::StrCat(RunscPath(), " --root ", State(), " ");
  // Its stdio becomes the container's: not the pipe RunShell reads to EOF.
  const std::string out = State() + "/cli-one.out";
  auto [create_code, created] =
      RunShell(cli + "create --bundle " + bundle_ + " cli-one </dev/null >" + out + " 2>&1");
  ASSERT_EQ(create_code, 0) << ReadFile(out);
  auto [start_code, started] = RunShell(cli + "start cli-one 2>&1");
  ASSERT_EQ(start_code, 0) << started;
  std::string state;
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  do {
    state = RunShell(cli + "state cli-one 2>&1").second;
  } while (!absl::StrContains(state, "\"stopped\"") && absl::Now() < deadline &&
           (absl::SleepFor(absl::Milliseconds(20)), true));
  ASSERT_THAT(state, HasSubstr("\"status\": \"stopped\""));

  sandbox::ManagerOptions options;
  options.state_root = State();
  options.runsc_path = RunscPath();
  auto manager = sandbox::SandboxManager::Create(options);
  ASSERT_TRUE(manager.ok()) << manager.status();
  EXPECT_TRUE(Exists(State() + "/cli-one")) << "the daemon's start reclaimed it";
  auto [state_code, after] = RunShell(cli + "state cli-one 2>&1");
  EXPECT_EQ(state_code, 0) << after;
  EXPECT_THAT(after, HasSubstr("\"status\": \"stopped\""));
  auto [delete_code, deleted] = RunShell(cli + "delete cli-one 2>&1");
  EXPECT_EQ(delete_code, 0) << deleted;
  EXPECT_FALSE(Exists(State() + "/cli-one"));
}

// Forks a process at host pid `want` (free, in our PID namespace), which
// forks one child of its own and waits; returns its pid, or -1.
pid_t ForkAtPid(pid_t want) {
  for (int attempt = 0; attempt < 20; ++attempt) {
    {
      std::ofstream last("/proc/sys/kernel/ns_last_pid");
      last << (want - 1);
    }
    const pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
      // Only async-signal-safe calls: the test process has threads.
      if (getpid() != want) _exit(1);
      if (fork() == 0) {
        for (;;) pause();
      }
      for (;;) pause();
    }
    if (pid == want) return pid;
    waitpid(pid, nullptr, 0);
  }
  return -1;
}

// A re-attached sandbox's process is not ours to reap: once it has ended
// and been reaped elsewhere, its pid may be another process's, and that
// process's child is not its launcher. A delete then kills neither.
TEST_F(ReattachTest, ADeleteAfterTheSandboxsPidWasReusedKillsNothingOfTheNewProcess) {
  Detached d = CreateAndDetach("gone");
  ASSERT_GT(d.pid, 0);
  auto box = sandbox::Sandbox::Attach(State(), "gone");
  ASSERT_TRUE(box.ok()) << box.status();
  // It ends, and we reap it, as init would for a daemon that re-attached.
  ASSERT_EQ(kill(d.pid, SIGKILL), 0);
  ASSERT_EQ(waitpid(d.pid, nullptr, 0), d.pid);
  const pid_t other = ForkAtPid(d.pid);
  ASSERT_EQ(other, d.pid) << "could not get pid " << d.pid << " again";
  absl::Cleanup end_other = [other] {
    kill(-other, SIGKILL);
    kill(other, SIGKILL);
    waitpid(other, nullptr, 0);
  };
  std::string children;
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (children.empty() && absl::Now() < deadline) {
    children = ReadFile(absl::StrCat("/proc/", other, "/task/", other, "/children"));
  }
  pid_t child = 0;
  ASSERT_TRUE(absl::SimpleAtoi(absl::StripAsciiWhitespace(children), &child)) << children;
  absl::Cleanup end_child = [child] { kill(child, SIGKILL); };

  EXPECT_EQ((*box)->LauncherPid().status().code(), absl::StatusCode::kFailedPrecondition);
  (void)(*box)->Destroy();
  // Its parent does not reap it: killed, it would be a zombie.
  auto state_of = [](pid_t pid) {
    const std::string stat = ReadFile(absl::StrCat("/proc/", pid, "/stat"));
    const size_t close = stat.rfind(')');
    return close == std::string::npos || close + 2 >= stat.size() ? '?' : stat[close + 2];
  };
  absl::SleepFor(absl::Milliseconds(100));
  EXPECT_EQ(state_of(child), 'S') << "the delete killed the child of the process that took the pid";
  EXPECT_EQ(state_of(other), 'S');
}

TEST_F(ReattachTest, ReclaimRefusesALiveSandbox) {
  Detached d = CreateAndDetach("alive");
  auto status = sandbox::Sandbox::Reclaim(State(), "alive");
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  auto box = sandbox::Sandbox::Attach(State(), "alive");
  ASSERT_TRUE(box.ok()) << box.status();
  EXPECT_TRUE((*box)->Destroy().ok());
  waitpid(d.pid, nullptr, 0);
}

TEST_F(ReattachTest, UnknownIdAndReusedPidAreCaught) {
  auto unknown = sandbox::Sandbox::Attach(State(), "nobody-here");
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(unknown.status().message()), HasSubstr("'nobody-here'"));

  // A record whose pid now names another process (here: ourselves).
  Detached d = CreateAndDetach("reused");
  auto record = sandbox::LoadRecord(State() + "/reused");
  ASSERT_TRUE(record.ok()) << record.status();
  ASSERT_EQ(record->pid(), d.pid);
  record->set_pid(getpid());
  ASSERT_TRUE(sandbox::SaveRecord(State() + "/reused", *record).ok());
  auto box = sandbox::Sandbox::Attach(State(), "reused");
  EXPECT_EQ(box.status().code(), absl::StatusCode::kFailedPrecondition);
  // Our pid with the record's start time is not the sandbox: it counts as
  // gone, so Reclaim proceeds (after the real process is stopped).
  kill(d.pid, SIGKILL);
  waitpid(d.pid, nullptr, 0);
  EXPECT_TRUE(sandbox::Sandbox::Reclaim(State(), "reused").ok());
  for (const std::string& cg : d.cgroups) EXPECT_FALSE(Exists(cg)) << cg;
  EXPECT_TRUE(ListDir(State()).empty());
}

}  // namespace
}  // namespace runsc::testing
