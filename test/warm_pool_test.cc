// Root tests of the daemon's warm pool (sandbox/warm_pool.h): a warm
// sandbox becomes the sandbox a create asks for, with nothing of another
// sandbox's, and none outlives the daemon that made it.
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "sandbox/cgroup.h"
#include "sandbox/host_template.h"
#include "sandbox/manager.h"
#include "sandbox/sandbox.h"
#include "sandbox/state_store.h"
#include "sandbox/uid_range.h"
#include "specutils/oci_spec.h"
#include "test/bundle_util.h"
#include "test/manager_fixture.h"
#include "test/sandbox_test_util.h"

namespace runsc::testing {
namespace {

using ::testing::HasSubstr;

constexpr int kWarm = 2;

// What a warm sandbox left in the state root: its record, by directory.
struct Warm {
  std::string dir;
  runsc::state::v1::SandboxRecord record;
};

class WarmPoolTest : public ManagerFixture {
 protected:
  std::unique_ptr<sandbox::SandboxManager> NewManager(int warm) {
    sandbox::ManagerOptions options;
    options.warm_sandboxes = warm;
    return ManagerFixture::NewManager(options);
  }

  // A manager with one warm sandbox ready, and that sandbox (an empty dir
  // if there is none).
  Warm StartWithOneWarm() {
    manager_ = NewManager(1);
    std::vector<Warm> warm = manager_ != nullptr ? WarmOnDisk() : std::vector<Warm>();
    EXPECT_EQ(warm.size(), 1u);
    return warm.size() == 1 ? warm[0] : Warm();
  }

  std::vector<Warm> WarmOnDisk() const {
    std::vector<Warm> warm;
    for (const std::string& name : ListDir(state())) {
      if (!absl::StartsWith(name, sandbox::kWarmPrefix)) continue;
      Warm w{state() + "/" + name, {}};
      auto record = sandbox::LoadRecord(w.dir);
      EXPECT_TRUE(record.ok()) << record.status();
      if (record.ok()) w.record = *record;
      warm.push_back(w);
    }
    return warm;
  }

  std::string RunIn(const std::string& id, const std::vector<std::string>& args) {
    sandbox::RunRequest run;
    run.id = id;
    run.process = Process(args);
    auto result = manager_->Run(run);
    EXPECT_TRUE(result.ok()) << result.status();
    if (!result.ok()) return "";
    EXPECT_EQ(result->status.code(), 0) << result->err;
    return result->out;
  }

  // The base host uid of the workload range in the user namespace of
  // host process `pid` (the line that maps container uid 100000 up).
  static uint32_t WorkloadBase(pid_t pid) {
    for (absl::string_view line :
         absl::StrSplit(ReadFile(absl::StrCat("/proc/", pid, "/uid_map")), '\n')) {
      std::vector<absl::string_view> f = absl::StrSplit(line, ' ', absl::SkipEmpty());
      uint32_t inside, outside;
      if (f.size() == 3 && absl::SimpleAtoi(f[0], &inside) && inside == 100000 &&
          absl::SimpleAtoi(f[1], &outside)) {
        return outside;
      }
    }
    return 0;
  }
};

TEST_F(WarmPoolTest, AWarmSandboxBecomesTheSandboxACreateAsksFor) {
  manager_ = NewManager(kWarm);
  ASSERT_NE(manager_, nullptr);
  std::vector<Warm> before = WarmOnDisk();
  ASSERT_EQ(before.size(), static_cast<size_t>(kWarm));
  std::map<int, Warm> by_pid;
  for (const Warm& w : before) by_pid[w.record.pid()] = w;

  sandbox::CreateRequest create;
  create.id = "hot";
  create.labels = {{"team", "a"}};
  auto view = manager_->CreateSandbox(create);
  ASSERT_TRUE(view.ok()) << view.status();
  ASSERT_EQ(by_pid.count(view->pid), 1u) << "a cold sandbox was made though warm ones were ready";
  const Warm& taken = by_pid[view->pid];
  EXPECT_EQ(view->status, "created");
  auto started = manager_->StartSandbox("hot");
  ASSERT_TRUE(started.ok()) << started.status();

  // It is the requested sandbox: its id, its state directory, its record.
  EXPECT_EQ(RunIn("hot", {"hostname"}), "hot\n");
  // Its supervisor, spawned before the request, knows it by that id.
  EXPECT_THAT(ReadFile(state() + "/hot/sandbox.log"), HasSubstr("sandbox hot serving"));
  struct stat st;
  EXPECT_NE(stat(taken.dir.c_str(), &st), 0) << "the warm directory is still there";
  auto record = sandbox::LoadRecord(state() + "/hot");
  ASSERT_TRUE(record.ok()) << record.status();
  EXPECT_EQ(record->id(), "hot");
  EXPECT_EQ(record->pid(), view->pid);
  EXPECT_EQ(record->labels().at("team"), "a");
  EXPECT_EQ(record->range_base(), taken.record.range_base());
  EXPECT_TRUE(record->has_container());
  EXPECT_EQ(manager_->GetSandbox("hot")->status, "running");
  // Its workloads run in its own range, as the sandbox's uid map says.
  EXPECT_EQ(WorkloadBase(view->pid), taken.record.range_base());
  EXPECT_EQ(RunIn("hot", {"id", "-u"}), "0\n");
  // Nothing of the warm sandbox's reaches a workload: no socket to the
  // daemon, no mount tree, only its stdio (and ls's own directory fd), and
  // the launcher's fds are not its to read.
  EXPECT_EQ(RunIn("hot", {"ls", "/proc/self/fd"}), "0\n1\n2\n3\n");
  sandbox::RunRequest peek;
  peek.id = "hot";
  peek.process = Process({"ls", "/proc/1/fd"});
  auto peeked = manager_->Run(peek);
  ASSERT_TRUE(peeked.ok()) << peeked.status();
  EXPECT_NE(peeked->status.code(), 0);
  EXPECT_EQ(peeked->out, "");

  // The pool makes another in its place.
  EXPECT_TRUE(manager_->warm_pool()->AwaitReady(kWarm, absl::Seconds(30)));
  std::vector<Warm> after = WarmOnDisk();
  ASSERT_EQ(after.size(), static_cast<size_t>(kWarm));
  for (const Warm& w : after) EXPECT_NE(w.record.pid(), view->pid);

  ASSERT_TRUE(manager_->DeleteSandbox("hot").ok());
  EXPECT_NE(stat((state() + "/hot").c_str(), &st), 0);
  manager_->AwaitReclaimed();  // the teardown that may follow the delete
  EXPECT_EQ(waitpid(view->pid, nullptr, WNOHANG), -1) << "the sandbox was not reaped";
  for (const std::string& path : taken.record.cgroup_paths()) {
    EXPECT_NE(stat(path.c_str(), &st), 0) << path << " outlived the sandbox";
  }
}

// Two sandboxes made from the pool share no host uid: each has the range
// its warm sandbox was given, and the ranges do not overlap.
TEST_F(WarmPoolTest, SandboxesFromThePoolShareNoHostIds) {
  manager_ = NewManager(kWarm);
  ASSERT_NE(manager_, nullptr);
  const std::string bundle = root_.path() + "/bundle";
  ASSERT_TRUE(MakeBusyboxRootfs(bundle).ok());
  auto spec = RuncSpec(bundle, {"sleep", "1000"});
  ASSERT_TRUE(spec.ok()) << spec.status();
  std::string json;
  ASSERT_TRUE(google::protobuf::util::MessageToJsonString(*spec, &json).ok());
  std::ofstream(bundle + "/config.json") << json;

  std::set<int> warm_pids;
  for (const Warm& w : WarmOnDisk()) warm_pids.insert(w.record.pid());
  uint32_t bases[2];
  for (int i = 0; i < 2; ++i) {
    sandbox::CreateRequest create;
    create.id = absl::StrCat("b", i);
    create.bundle = bundle;
    create.start = true;
    auto view = manager_->CreateSandbox(create);
    ASSERT_TRUE(view.ok()) << view.status();
    EXPECT_EQ(warm_pids.count(view->pid), 1u) << create.id << " was not made warm";
    EXPECT_EQ(view->status, "running");
    bases[i] = WorkloadBase(view->pid);
    EXPECT_GE(bases[i], 1u << 30) << "not a range of the allocator's";
    // The bundle's files are the container's, idmapped into its range.
    EXPECT_EQ(RunIn(create.id, {"stat", "-c", "%u", "/bin/busybox"}), "0\n");
    EXPECT_EQ(RunIn(create.id, {"hostname"}), "runc\n");  // the spec's
  }
  EXPECT_TRUE(bases[0] + 65536 <= bases[1] || bases[1] + 65536 <= bases[0])
      << bases[0] << " and " << bases[1] << " overlap";
}

// What a warm sandbox cannot be fixed at its spawn gets a cold one, and the
// warm ones stay for the next create.
TEST_F(WarmPoolTest, ACreateAWarmSandboxCannotTakeIsMadeCold) {
  manager_ = NewManager(kWarm);
  ASSERT_NE(manager_, nullptr);
  std::set<int> warm_pids;
  for (const Warm& w : WarmOnDisk()) warm_pids.insert(w.record.pid());
  sandbox::CreateRequest create;
  create.id = "cold";
  create.network_none = true;  // loopback down: set at the spawn
  auto view = manager_->CreateSandbox(create);
  ASSERT_TRUE(view.ok()) << view.status();
  EXPECT_EQ(warm_pids.count(view->pid), 0u);
  EXPECT_EQ(manager_->warm_pool()->ready(), kWarm);
}

// A hard limit over the daemon's is raised at a spawn (a workload can only
// lower its own): a warm sandbox, spawned with the daemon's, cannot take
// such a container, which then goes cold rather than fail at its start.
TEST(WarmAssignableTest, ARlimitOverTheDaemonsHardLimitIsMadeCold) {
  struct rlimit nofile;
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &nofile), 0);
  ASSERT_NE(nofile.rlim_max, RLIM_INFINITY);
  sandbox::SandboxOptions options;
  options.report_main_exit = true;
  sandbox::HostTemplateOptions tmpl;
  tmpl.args = {"true"};
  auto config = sandbox::HostTemplate(tmpl);
  ASSERT_TRUE(config.ok()) << config.status();
  options.container = *config;
  auto* limit = options.container->mutable_process()->add_rlimits();
  limit->set_resource(RLIMIT_NOFILE);
  limit->set_hard(nofile.rlim_max);
  limit->set_soft(nofile.rlim_max);
  EXPECT_TRUE(sandbox::Sandbox::CheckAssignable(options).ok());
  limit->set_hard(nofile.rlim_max + 1);
  absl::Status over = sandbox::Sandbox::CheckAssignable(options);
  EXPECT_TRUE(absl::IsFailedPrecondition(over)) << over;
  EXPECT_THAT(std::string(over.message()), HasSubstr("over the daemon's hard limit"));
}

// A create that fails in a warm sandbox fails as a cold one would, and the
// warm sandbox it spent leaves nothing behind.
TEST_F(WarmPoolTest, AnAssignmentThatFailsLeavesNothing) {
  const Warm warm = StartWithOneWarm();
  ASSERT_FALSE(warm.dir.empty());
  sandbox::CreateRequest create;
  create.id = "never";
  create.start = true;
  create.template_args = {"no-such-binary"};
  auto failed = manager_->CreateSandbox(create);
  ASSERT_FALSE(failed.ok());
  EXPECT_THAT(std::string(failed.status().message()),
              HasSubstr("exec: \"no-such-binary\": executable file not found in $PATH"));
  EXPECT_EQ(manager_->GetSandbox("never").status().code(), absl::StatusCode::kNotFound);
  struct stat st;
  EXPECT_NE(stat((state() + "/never").c_str(), &st), 0);
  EXPECT_NE(stat(warm.dir.c_str(), &st), 0);
  EXPECT_EQ(kill(warm.record.pid(), 0), -1) << "the spent warm sandbox still runs";
  for (const std::string& path : warm.record.cgroup_paths()) {
    EXPECT_NE(stat(path.c_str(), &st), 0) << path;
  }
  EXPECT_NE(
      stat(absl::StrCat(warm.record.ranges_dir(), "/", warm.record.range_slot()).c_str(), &st), 0)
      << "its uid range is still taken";
  // A state directory of that name that is not the daemon's (a CLI
  // sandbox's on the same root) is refused, and left as it was.
  ASSERT_TRUE(manager_->warm_pool()->AwaitReady(1, absl::Seconds(30)));
  ASSERT_EQ(mkdir((state() + "/clash").c_str(), 0700), 0);
  std::ofstream(state() + "/clash/mine") << "kept";
  sandbox::CreateRequest clash;
  clash.id = "clash";
  EXPECT_EQ(manager_->CreateSandbox(clash).status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(ReadFile(state() + "/clash/mine"), "kept");
  // The warm sandbox was not spent on it.
  EXPECT_EQ(manager_->warm_pool()->ready(), 1);
  ASSERT_EQ(system(absl::StrCat("rm -rf ", state(), "/clash").c_str()), 0);
}

// A container that does not fit the launcher's one packet (a cold launcher
// reads its config from a memfd) is made cold, and the warm sandbox stays.
TEST_F(WarmPoolTest, AContainerTooBigForTheAssignmentIsMadeCold) {
  const Warm warm = StartWithOneWarm();
  ASSERT_FALSE(warm.dir.empty());
  sandbox::CreateRequest create;
  create.id = "big";
  create.template_args = {"sh", "-c", "exec sleep 1000 # " + std::string(48 * 1024, 'x')};
  auto view = manager_->CreateSandbox(create);
  ASSERT_TRUE(view.ok()) << view.status();
  EXPECT_NE(view->pid, warm.record.pid()) << "the warm sandbox took it";
  EXPECT_EQ(manager_->warm_pool()->ready(), 1);
  ASSERT_TRUE(manager_->StartSandbox("big").ok());
  EXPECT_EQ(RunIn("big", {"hostname"}), "big\n");
}

// The first record of a warm sandbox of `range`: its id and range.
runsc::state::v1::SandboxRecord WarmRecord(const sandbox::UidRange& range) {
  runsc::state::v1::SandboxRecord record;
  record.set_id(absl::StrCat(sandbox::kWarmPrefix, range.slot));
  record.set_range_slot(range.slot);
  record.set_range_base(range.host_base);
  record.set_range_token(range.token);
  record.set_ranges_dir("/run/runsc/ranges");
  return record;
}

// What a daemon that died while making a warm sandbox left before its
// spawn (a record with its range and cgroups, no process) is reclaimed.
TEST_F(WarmPoolTest, AWarmSandboxCutShortBeforeItsSpawnLeavesNothing) {
  sandbox::UidRangeAllocator ranges("/run/runsc/ranges");
  auto range = ranges.Allocate(".warm-");
  ASSERT_TRUE(range.ok()) << range.status();
  auto cgroup = sandbox::Cgroup::Create(absl::StrCat("runsc/warm.", range->slot), {});
  ASSERT_TRUE(cgroup.ok()) << cgroup.status();
  const std::string dir = absl::StrCat(state(), "/", sandbox::kWarmPrefix, range->slot);
  ASSERT_EQ(system(absl::StrCat("mkdir -p ", dir).c_str()), 0);
  runsc::state::v1::SandboxRecord record = WarmRecord(*range);
  record.clear_range_token();  // as a build before tokens recorded it
  const std::vector<std::string> paths = (*cgroup)->Paths();
  for (const std::string& path : paths) record.add_cgroup_paths(path);
  ASSERT_TRUE(sandbox::SaveRecord(dir, record).ok());
  // (The object outlives the check; its own removal finds nothing left.)

  manager_ = NewManager(0);
  ASSERT_NE(manager_, nullptr);
  struct stat st;
  EXPECT_NE(stat(dir.c_str(), &st), 0) << "its state was left";
  for (const std::string& path : paths) EXPECT_NE(stat(path.c_str(), &st), 0) << path;
  EXPECT_NE(stat(absl::StrCat("/run/runsc/ranges/", range->slot).c_str(), &st), 0)
      << "its uid range is still taken";
}

// One that died between its first record (its range alone) and the one
// naming its cgroups: they leaked, with nothing that named them. They are
// named by its slot, still its own, and go too.
TEST_F(WarmPoolTest, AWarmSandboxCutShortBeforeItsCgroupsWereRecordedLeavesNothing) {
  sandbox::UidRangeAllocator ranges("/run/runsc/ranges");
  auto range = ranges.Allocate(".warm-");
  ASSERT_TRUE(range.ok()) << range.status();
  const std::string dir = absl::StrCat(state(), "/", sandbox::kWarmPrefix, range->slot);
  ASSERT_EQ(system(absl::StrCat("mkdir -p ", dir).c_str()), 0);
  runsc::state::v1::SandboxRecord record = WarmRecord(*range);
  ASSERT_TRUE(sandbox::SaveRecord(dir, record).ok());
  auto cgroup = sandbox::Cgroup::Create(absl::StrCat("runsc/warm.", range->slot), {});
  ASSERT_TRUE(cgroup.ok()) << cgroup.status();
  const std::vector<std::string> paths = (*cgroup)->Paths();
  (*cgroup)->Release();  // the daemon died here

  manager_ = NewManager(0);
  ASSERT_NE(manager_, nullptr);
  struct stat st;
  EXPECT_NE(stat(dir.c_str(), &st), 0) << "its state was left";
  for (const std::string& path : paths) EXPECT_NE(stat(path.c_str(), &st), 0) << path;
  EXPECT_NE(stat(absl::StrCat("/run/runsc/ranges/", range->slot).c_str(), &st), 0)
      << "its uid range is still taken";
}

// Warm sandboxes are nobody's: a daemon that stops takes them with it, and
// one that starts removes what a daemon that died left, killing those still
// alive.
TEST_F(WarmPoolTest, NoWarmSandboxOutlivesItsDaemon) {
  manager_ = NewManager(kWarm);
  ASSERT_NE(manager_, nullptr);
  std::vector<Warm> warm = WarmOnDisk();
  ASSERT_EQ(warm.size(), static_cast<size_t>(kWarm));
  manager_.reset();
  struct stat st;
  for (const Warm& w : warm) {
    EXPECT_NE(stat(w.dir.c_str(), &st), 0) << w.dir;
    EXPECT_EQ(kill(w.record.pid(), 0), -1) << w.record.pid();
    for (const std::string& path : w.record.cgroup_paths()) {
      EXPECT_NE(stat(path.c_str(), &st), 0) << path;
    }
  }

  // What a killed daemon leaves: one warm sandbox still alive (its daemon's
  // end of the launcher's socket is still open), and one whose socket has
  // closed, which ends it.
  sandbox::SandboxOptions options;
  options.state_root = state();
  options.runsc_path = RunscPath();
  auto alive = sandbox::Sandbox::CreateWarm(options);
  ASSERT_TRUE(alive.ok()) << alive.status();
  auto gone = sandbox::Sandbox::CreateWarm(options);
  ASSERT_TRUE(gone.ok()) << gone.status();
  const std::string alive_dir = (*alive)->state_dir();
  const std::string gone_dir = (*gone)->state_dir();
  const pid_t alive_pid = (*alive)->pid();
  const pid_t gone_pid = (*gone)->pid();
  (*alive)->Detach();
  (*gone)->Detach();
  gone->reset();
  manager_ = NewManager(0);
  ASSERT_NE(manager_, nullptr);
  EXPECT_NE(stat(alive_dir.c_str(), &st), 0) << "a live orphan was left";
  EXPECT_NE(stat(gone_dir.c_str(), &st), 0) << "a dead orphan's state was left";
  EXPECT_EQ(waitpid(alive_pid, nullptr, WNOHANG), alive_pid) << "it was not killed";
  EXPECT_EQ(waitpid(gone_pid, nullptr, 0), gone_pid);
  EXPECT_TRUE(manager_->ListSandboxes({}).empty());
}

}  // namespace
}  // namespace runsc::testing
