// Root tests of SandboxManager, the daemon's core, in process.
#include "sandbox/manager.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "runsc/util/file_util.h"
#include "runsc/util/unique_fd.h"
#include "sandbox/cgroup.h"
#include "sandbox/sandbox.h"
#include "sandbox/state_store.h"
#include "sandbox/tar.h"
#include "specutils/oci_spec.h"
#include "test/bundle_util.h"
#include "test/manager_fixture.h"
#include "test/sandbox_test_util.h"

namespace runsc::testing {
namespace {

using ::testing::HasSubstr;

TEST_F(ManagerTest, TemplateLifecycleRunAndDelete) {
  sandbox::CreateRequest create;
  create.id = "life";
  create.labels = {{"team", "a"}};
  auto view = manager_->CreateSandbox(create);
  ASSERT_TRUE(view.ok()) << view.status();
  EXPECT_EQ(view->status, "created");
  auto started = manager_->StartSandbox("life");
  ASSERT_TRUE(started.ok()) << started.status();
  EXPECT_EQ(started->status, "running");
  EXPECT_GT(started->main_pid, 1);

  sandbox::RunRequest run;
  run.id = "life";
  run.process = Process({"sh", "-c", "cat; echo out; echo err >&2; exit 7"});
  run.stdin_data = "in\n";
  auto result = manager_->Run(run);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->out, "in\nout\n");
  EXPECT_EQ(result->err, "err\n");
  EXPECT_EQ(result->status.code(), 7);
  EXPECT_FALSE(result->timed_out);

  const pid_t pid = view->pid;
  ASSERT_TRUE(manager_->DeleteSandbox("life").ok());
  EXPECT_EQ(manager_->GetSandbox("life").status().code(), absl::StatusCode::kNotFound);
  // The id is free at once; the teardown follows (test/reclaimer_test.cc).
  create.template_args = {"true"};
  ASSERT_TRUE(manager_->CreateSandbox(create).ok());
  ASSERT_TRUE(manager_->DeleteSandbox("life").ok());
  manager_->AwaitReclaimed();
  EXPECT_EQ(waitpid(pid, nullptr, WNOHANG), -1) << "the sandbox was not reaped";
  EXPECT_TRUE(ListDir(state()).empty());

  // An id may hold '+', a hostname may not: the template's is the id with '-'.
  create.id = "job+1";
  create.template_args = {"sleep", "infinity"};
  absl::StatusOr<sandbox::SandboxView> plus = manager_->CreateSandbox(create);
  ASSERT_TRUE(plus.ok()) << plus.status();
  ASSERT_TRUE(manager_->StartSandbox("job+1").ok());
  run.id = "job+1";
  run.process = Process({"sh", "-c", "hostname; cat /etc/hostname"});
  run.stdin_data.clear();
  result = manager_->Run(run);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->out, "job-1\njob-1\n");
  ASSERT_TRUE(manager_->DeleteSandbox("job+1").ok());
}

// A Wait for the main process waits on the exit watch the manager keeps:
// it ends with the exit, with a deadline, or with the sandbox's delete,
// never later.
TEST_F(ManagerTest, AWaitForTheMainProcessEndsWithItsExitItsDeadlineOrTheDelete) {
  sandbox::CreateRequest create;
  create.id = "w";
  create.start = true;
  create.template_args = {"sleep", "1000"};
  auto view = manager_->CreateSandbox(create);
  ASSERT_TRUE(view.ok()) << view.status();
  const absl::Time before = absl::Now();
  auto early = manager_->Wait("w", view->main_pid, absl::Milliseconds(300));
  EXPECT_EQ(early.status().code(), absl::StatusCode::kDeadlineExceeded) << early.status();
  EXPECT_LT(absl::Now() - before, absl::Seconds(5));
  absl::StatusOr<runsc::control::v1::ExitStatus> waited;
  std::thread waiter([&] { waited = manager_->Wait("w", view->main_pid, absl::Seconds(60)); });
  absl::SleepFor(absl::Milliseconds(200));
  const absl::Time deleted = absl::Now();
  ASSERT_TRUE(manager_->DeleteSandbox("w", absl::Seconds(5)).ok());
  waiter.join();
  EXPECT_LT(absl::Now() - deleted, absl::Seconds(10));
  // The delete's SIGTERM ended it: an exit, or no sandbox left to ask.
  if (waited.ok()) {
    EXPECT_TRUE(waited->signaled());
    EXPECT_EQ(waited->signal(), SIGTERM);
  } else {
    EXPECT_EQ(waited.status().code(), absl::StatusCode::kNotFound) << waited.status();
  }
}

TEST_F(ManagerTest, CreateWithStartRunsTheMainProcessInTheSameCall) {
  std::unique_ptr<sandbox::EventBus::Subscription> events = manager_->events().Subscribe("now");
  sandbox::CreateRequest create;
  create.id = "now";
  create.start = true;
  create.template_args = {"sh", "-c", "echo to-console; echo err >&2; exit 3"};
  auto view = manager_->CreateSandbox(create);
  ASSERT_TRUE(view.ok()) << view.status();
  EXPECT_EQ(view->status, "running");
  ASSERT_GT(view->main_pid, 1);
  auto status = manager_->Wait("now", view->main_pid, absl::Seconds(30));
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(status->code(), 3);
  // The sandbox reported the exit on its sync socket: nobody dialled it,
  // so its control plane never started gRPC's threads.
  EXPECT_EQ(ListDir(absl::StrCat("/proc/", view->pid, "/task")).size(), 1u);
  // Its output went where StartSandbox sends it.
  EXPECT_EQ(ReadFile(root_.path() + "/state/now/console.log"), "to-console\nerr\n");
  // Its events are a started sandbox's, in order.
  for (const char* want : {"created", "started", "exited"}) {
    absl::StatusOr<sandbox::SandboxEvent> event = events->Next(absl::Seconds(10));
    ASSERT_TRUE(event.ok()) << want << ": " << event.status();
    EXPECT_EQ(event->type, want);
  }
  // Started once: StartSandbox has nothing left to start.
  EXPECT_EQ(manager_->StartSandbox("now").status().code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(manager_->DeleteSandbox("now").ok());

  // A main process that cannot start fails the create, and leaves nothing.
  create.id = "never";
  create.template_args = {"no-such-binary"};
  auto failed = manager_->CreateSandbox(create);
  ASSERT_FALSE(failed.ok());
  EXPECT_THAT(std::string(failed.status().message()),
              HasSubstr("exec: \"no-such-binary\": executable file not found in $PATH"));
  EXPECT_EQ(manager_->GetSandbox("never").status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(ListDir(root_.path() + "/state").empty());
}

TEST_F(ManagerTest, CopyInToAnIdmappedRootfsBelongsToTheContainersRoot) {
  const std::string bundle = root_.path() + "/bundle";
  ASSERT_TRUE(MakeBusyboxRootfs(bundle).ok());
  auto spec = RuncSpec(bundle, {"sleep", "1000"});
  ASSERT_TRUE(spec.ok()) << spec.status();
  spec->mutable_root()->set_readonly(false);  // runc's default is read-only
  std::string json;
  ASSERT_TRUE(google::protobuf::util::MessageToJsonString(*spec, &json).ok());
  std::ofstream(bundle + "/config.json") << json;
  sandbox::CreateRequest create;
  create.id = "cp";
  create.bundle = bundle;
  ASSERT_TRUE(manager_->CreateSandbox(create).ok());
  ASSERT_TRUE(manager_->StartSandbox("cp").ok());

  auto files = manager_->OpenFiles("cp");
  ASSERT_TRUE(files.ok()) << files.status();
  auto extraction = (*files)->CopyIn("/root");
  ASSERT_TRUE(extraction.ok()) << extraction.status();
  std::string tar;
  sandbox::TarWriter writer([&tar](absl::string_view piece) {
    tar.append(piece.data(), piece.size());
    return absl::OkStatus();
  });
  sandbox::TarEntry entry;
  entry.path = "copied";
  entry.mode = 0640;
  entry.size = 3;
  ASSERT_TRUE(writer.WriteHeader(entry).ok());
  ASSERT_TRUE(writer.WriteData("hi\n").ok());
  ASSERT_TRUE(writer.Finish().ok());
  absl::Status fed = (*extraction)->Feed(tar);
  ASSERT_TRUE(fed.ok()) << fed;
  auto summary = (*extraction)->Finish();
  ASSERT_TRUE(summary.ok()) << summary.status();
  EXPECT_EQ(summary->entries, 1u);

  sandbox::RunRequest run;
  run.id = "cp";
  run.process = Process({"sh", "-c", "stat -c '%u %g %a' /root/copied; cat /root/copied"});
  auto result = manager_->Run(run);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->out, "0 0 640\nhi\n") << result->err;

  // Out again: the container's ids in the header.
  std::string out;
  ASSERT_TRUE((*files)
                  ->CopyOut("/etc/passwd",
                            [&out](absl::string_view piece) {
                              out.append(piece.data(), piece.size());
                              return absl::OkStatus();
                            })
                  .ok());
  struct One : sandbox::TarReader::Handler {
    sandbox::TarEntry entry;
    std::string data;
    absl::Status OnEntry(const sandbox::TarEntry& e) override {
      entry = e;
      return absl::OkStatus();
    }
    absl::Status OnData(absl::string_view d) override {
      data.append(d.data(), d.size());
      return absl::OkStatus();
    }
    absl::Status OnEntryEnd() override { return absl::OkStatus(); }
  } one;
  sandbox::TarReader reader(&one);
  ASSERT_TRUE(reader.Feed(out).ok());
  ASSERT_TRUE(reader.Finish().ok());
  EXPECT_EQ(one.entry.path, "passwd");
  EXPECT_EQ(one.entry.uid, 0u);
  EXPECT_THAT(one.data, HasSubstr("root:"));
}

TEST_F(ManagerTest, RunCapsOutputAndTimesOut) {
  sandbox::CreateRequest create;
  create.id = "caps";
  ASSERT_TRUE(manager_->CreateSandbox(create).ok());
  ASSERT_TRUE(manager_->StartSandbox("caps").ok());
  sandbox::RunRequest run;
  run.id = "caps";
  run.process = Process({"sh", "-c", "head -c 100000 /dev/zero"});
  run.max_output = 1000;
  auto big = manager_->Run(run);
  ASSERT_TRUE(big.ok()) << big.status();
  EXPECT_EQ(big->out.size(), 1000u);
  EXPECT_TRUE(big->out_truncated);
  run.process = Process({"sh", "-c", "echo before; exec sleep 100"});
  run.timeout = absl::Seconds(1);
  auto slow = manager_->Run(run);
  ASSERT_TRUE(slow.ok()) << slow.status();
  EXPECT_TRUE(slow->timed_out);
  EXPECT_EQ(slow->status.signal(), SIGKILL);
  EXPECT_EQ(slow->out, "before\n") << "what it wrote before the kill is kept";
}

// RunSandbox: a sandbox made for one run, its main process's output
// captured, killed at the timeout, and gone afterwards however it ended.
TEST_F(ManagerTest, RunSandboxRunsTheMainProcessToItsEndAndLeavesNothing) {
  sandbox::CreateRequest create;
  create.id = "once";
  create.template_args = {"sh", "-c", "cat; echo out; echo err >&2; exit 3"};
  auto result = manager_->RunSandbox(create, "in\n", 1 << 20, absl::Seconds(30));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->out, "in\nout\n");
  EXPECT_EQ(result->err, "err\n");
  EXPECT_EQ(result->status.code(), 3);
  EXPECT_FALSE(result->timed_out);
  EXPECT_EQ(manager_->GetSandbox("once").status().code(), absl::StatusCode::kNotFound);

  // The cap, and the timeout: what came before the kill is kept.
  create.template_args = {"sh", "-c", "head -c 5000 /dev/zero; exec sleep 100"};
  // (The timeout counts from before the create: 2 s leaves a loaded host
  // time to start the process and let it write before the kill.)
  result = manager_->RunSandbox(create, "", 100, absl::Seconds(2));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->out.size(), 100u);
  EXPECT_TRUE(result->out_truncated);
  EXPECT_TRUE(result->timed_out);
  EXPECT_EQ(result->status.signal(), SIGKILL);
  EXPECT_EQ(manager_->GetSandbox("once").status().code(), absl::StatusCode::kNotFound);

  // A main process that cannot start fails the call, and leaves nothing.
  create.template_args = {"no-such-binary"};
  result = manager_->RunSandbox(create, "", 100, absl::Seconds(30));
  EXPECT_FALSE(result.ok());
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("no-such-binary"));
  // While it runs it has a TTL of its own, past the run's end, for the
  // case where no delete comes (the daemon died during the run).
  create.template_args = {"sleep", "1"};
  std::thread run([&] {
    auto slept = manager_->RunSandbox(create, "", 100, absl::Seconds(30));
    EXPECT_TRUE(slept.ok()) << slept.status();
  });
  absl::Time expires = absl::InfiniteFuture();
  for (absl::Time until = absl::Now() + absl::Seconds(10);
       expires == absl::InfiniteFuture() && absl::Now() < until;) {
    for (const sandbox::SandboxView& view : manager_->ListSandboxes({})) expires = view.expires;
    absl::SleepFor(absl::Milliseconds(10));
  }
  run.join();
  EXPECT_GT(expires, absl::Now() + absl::Seconds(30));
  EXPECT_LT(expires, absl::Now() + absl::Minutes(5));
  // A TTL of the caller's makes no sense for it.
  create.template_args = {"true"};
  create.ttl = absl::Seconds(5);
  result = manager_->RunSandbox(create, "", 100, absl::Seconds(30));
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("sandbox.ttl_seconds"));

  EXPECT_TRUE(manager_->ListSandboxes({}).empty());
  manager_->AwaitReclaimed();
  EXPECT_TRUE(ListDir(state()).empty());
}

TEST_F(ManagerTest, ErrorsUseTheCanonicalCodesAndNameTheObject) {
  for (const auto& status :
       {manager_->GetSandbox("ghost").status(), manager_->StartSandbox("ghost").status(),
        manager_->DeleteSandbox("ghost"), manager_->Stats("ghost").status(),
        manager_->Signal("ghost", 2, SIGTERM, false),
        manager_->ListProcesses("ghost").status()}) {
    EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
    EXPECT_THAT(std::string(status.message()), HasSubstr("'ghost'"));
  }
  sandbox::CreateRequest create;
  create.id = "one";
  ASSERT_TRUE(manager_->CreateSandbox(create).ok());
  EXPECT_EQ(manager_->CreateSandbox(create).status().code(), absl::StatusCode::kAlreadyExists);
  ASSERT_TRUE(manager_->StartSandbox("one").ok());
  EXPECT_EQ(manager_->StartSandbox("one").status().code(),
            absl::StatusCode::kFailedPrecondition);
  // A process's ids must be the container's: one its user namespace does
  // not map is refused up front, naming the field, not at its setresuid.
  specutils::ProcessOverrides ids;
  ids.args = {"id"};
  ids.uid = 100000;
  absl::Status unmapped = manager_->ExecProcess("one", ids).status();
  EXPECT_EQ(unmapped.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(unmapped.message()),
              HasSubstr("process.uid: 100000 is not an id of the container's (0-65535)"));
  ids.uid.reset();
  ids.additional_gids = {5, 70000};
  EXPECT_THAT(std::string(manager_->ExecProcess("one", ids).status().message()),
              HasSubstr("process.additional_gids[1]: 70000 is not an id"));
  sandbox::CreateRequest bad;
  bad.id = "bad id!";
  EXPECT_EQ(manager_->CreateSandbox(bad).status().code(), absl::StatusCode::kInvalidArgument);
  bad.id = "relbundle";
  bad.bundle = "relative/path";
  auto rel = manager_->CreateSandbox(bad).status();
  EXPECT_EQ(rel.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(rel.message()), HasSubstr("bundle:"));
  bad.bundle = "/nonexistent/bundle";
  EXPECT_EQ(manager_->CreateSandbox(bad).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(ManagerTest, TheApiRefusesHostIdsNamespacesCgroupsAndDevicesOfTheCallersChoosing) {
  const std::string bundle = root_.path() + "/bundle";
  ASSERT_TRUE(MakeBusyboxRootfs(bundle).ok());
  auto spec = RuncSpec(bundle, {"true"});
  ASSERT_TRUE(spec.ok()) << spec.status();
  auto refused = [&](const runsc::oci::v1::Spec& s, const std::string& field) {
    std::string json;
    ASSERT_TRUE(google::protobuf::util::MessageToJsonString(s, &json).ok());
    std::ofstream(bundle + "/config.json") << json;
    sandbox::CreateRequest create;
    create.id = "chooser";
    create.bundle = bundle;
    absl::Status status = manager_->CreateSandbox(create).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied) << status;
    EXPECT_THAT(std::string(status.message()), HasSubstr(field + ": ")) << status;
  };
  auto mapped = *spec;
  for (auto* list : {mapped.mutable_linux()->mutable_uid_mappings(),
                     mapped.mutable_linux()->mutable_gid_mappings()}) {
    auto* m = list->Add();
    m->set_host_id(1000);
    m->set_size(1);
  }
  refused(mapped, "linux.uidMappings");
  auto joined = *spec;
  for (auto& ns : *joined.mutable_linux()->mutable_namespaces()) {
    if (ns.type() == "network") ns.set_path("/proc/self/ns/net");
  }
  refused(joined, "linux.namespaces");
  // No network namespace listed: the runtime's own, the daemon's.
  auto unlisted = *spec;
  auto* listed = unlisted.mutable_linux()->mutable_namespaces();
  listed->erase(std::remove_if(listed->begin(), listed->end(),
                               [](const auto& ns) { return ns.type() == "network"; }),
                listed->end());
  refused(unlisted, "linux.namespaces");
  auto placed = *spec;
  placed.mutable_linux()->set_cgroups_path("/elsewhere/x");
  refused(placed, "linux.cgroupsPath");
  auto device = *spec;
  auto* d = device.mutable_linux()->add_devices();
  d->set_path("/dev/full");
  d->set_type("c");
  d->set_major(1);
  d->set_minor(7);
  auto* allowed = device.mutable_linux()->mutable_resources()->add_devices();
  allowed->set_allow(true);
  allowed->set_access("rwm");
  refused(device, "linux.devices");
  EXPECT_TRUE(ListDir(root_.path() + "/state").empty());
}

// A request's limits go over the bundle's: each it sets, and the bundle's
// others stay. A memory limit alone used to replace them all, and the
// bundle's pids limit was gone.
TEST_F(ManagerTest, ARequestsLimitsGoOverTheBundlesOthersStay) {
  const std::string bundle = root_.path() + "/bundle";
  ASSERT_TRUE(MakeBusyboxRootfs(bundle).ok());
  auto spec = RuncSpec(bundle, {"sleep", "1000"});
  ASSERT_TRUE(spec.ok()) << spec.status();
  spec->mutable_linux()->mutable_resources()->mutable_pids()->set_limit(20);
  spec->mutable_linux()->mutable_resources()->mutable_memory()->set_limit(256 << 20);
  std::string json;
  ASSERT_TRUE(google::protobuf::util::MessageToJsonString(*spec, &json).ok());
  std::ofstream(bundle + "/config.json") << json;
  sandbox::CreateRequest create;
  create.id = "merged";
  create.bundle = bundle;
  create.resources.emplace().set_memory_max(64 << 20);
  ASSERT_TRUE(manager_->CreateSandbox(create).ok());
  auto record = sandbox::LoadRecord(root_.path() + "/state/merged");
  ASSERT_TRUE(record.ok()) << record.status();
  std::string pids, memory;
  for (const std::string& dir : record->cgroup_paths()) {
    const std::string leaf = dir + "/" + sandbox::Cgroup::kContainerLeaf;
    pids += util::ReadFileOrEmpty(leaf + "/pids.max");
    memory += util::ReadFileOrEmpty(leaf + "/memory.max") +
              util::ReadFileOrEmpty(leaf + "/memory.limit_in_bytes");
  }
  EXPECT_EQ(pids, "20\n");
  EXPECT_EQ(memory, absl::StrCat(64 << 20, "\n"));
}

TEST_F(ManagerTest, LiveSandboxLimitIsResourceExhausted) {
  manager_.reset();  // one manager a state root
  manager_ = NewManager(/*max=*/1);
  sandbox::CreateRequest create;
  create.id = "first";
  ASSERT_TRUE(manager_->CreateSandbox(create).ok());
  create.id = "second";
  auto second = manager_->CreateSandbox(create);
  EXPECT_EQ(second.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(second.status().message()), HasSubstr("limit is 1"));
}

TEST_F(ManagerTest, LabelSelectorFilters) {
  for (const auto& [id, team] : {std::pair<std::string, std::string>{"l1", "a"}, {"l2", "b"},
                                 {"l3", "a"}}) {
    sandbox::CreateRequest create;
    create.id = id;
    create.labels = {{"team", team}};
    ASSERT_TRUE(manager_->CreateSandbox(create).ok());
  }
  auto a = manager_->ListSandboxes({{"team", "a"}});
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0].id, "l1");
  EXPECT_EQ(a[1].id, "l3");
  EXPECT_EQ(manager_->ListSandboxes({}).size(), 3u);
  EXPECT_TRUE(manager_->ListSandboxes({{"team", "c"}}).empty());
}

// The status, signals and a graceful delete never dial the sandbox (its
// control plane would start gRPC's threads): the status comes from the
// host's /proc, the signals go over the stdio socket, and the delete waits
// for the exit the sandbox reports on its sync socket.
TEST_F(ManagerTest, StatusSignalsAListAndAGracefulDeleteDoNotDialTheSandbox) {
  const int main_pid = StartSleeper("quiet", /*stubborn=*/false);
  ASSERT_NE(main_pid, 0);
  auto view = manager_->GetSandbox("quiet");
  ASSERT_TRUE(view.ok()) << view.status();
  EXPECT_EQ(view->status, "running");
  const std::string tasks = absl::StrCat("/proc/", view->pid, "/task");
  const size_t threads = ListDir(tasks).size();
  ASSERT_GT(threads, 0u);
  ASSERT_EQ(manager_->ListSandboxes({}).size(), 1u);
  EXPECT_EQ(manager_->ListSandboxes({})[0].status, "running");
  EXPECT_TRUE(manager_->Signal("quiet", main_pid, SIGCONT, false).ok());
  absl::Status unknown = manager_->Signal("quiet", main_pid + 1000, SIGKILL, false);
  EXPECT_EQ(unknown.code(), absl::StatusCode::kNotFound) << unknown;
  EXPECT_THAT(std::string(unknown.message()), HasSubstr("no process"));
  EXPECT_EQ(manager_->Signal("quiet", main_pid, 99, false).code(),
            absl::StatusCode::kInvalidArgument);
  absl::StatusOr<runsc::control::v1::ListProcessesResponse> ps = manager_->ListProcesses("quiet");
  ASSERT_TRUE(ps.ok()) << ps.status();
  ASSERT_EQ(ps->processes_size(), 1);
  EXPECT_EQ(ps->processes(0).pid(), main_pid);
  EXPECT_TRUE(ps->processes(0).main());
  // A wait for a process other than the main one, which the main process's
  // watch does not see, asked of the sandbox; the exec's own exit
  // connection closed first, as a detached exec's is.
  int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
  ASSERT_GE(devnull, 0);
  absl::StatusOr<sandbox::StartedExec> exec =
      manager_->Exec("quiet", Process({"sh", "-c", "exit 6"}), {devnull, devnull, devnull},
                     /*kill_on_hangup=*/false);
  close(devnull);
  ASSERT_TRUE(exec.ok()) << exec.status();
  exec->exit_conn.reset();
  absl::StatusOr<runsc::control::v1::ExitStatus> other =
      manager_->Wait("quiet", exec->pid, absl::Seconds(30));
  ASSERT_TRUE(other.ok()) << other.status();
  EXPECT_EQ(other->code(), 6);
  EXPECT_EQ(manager_->Wait("quiet", 4242, absl::Seconds(5)).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(ListDir(tasks).size(), threads) << "a call dialled the sandbox";
  // The delete's SIGTERM ends `sleep` at once: no grace period to sit out.
  const absl::Time t = absl::Now();
  EXPECT_TRUE(manager_->DeleteSandbox("quiet", absl::Seconds(20)).ok());
  EXPECT_LT(absl::Now() - t, absl::Seconds(10)) << "the SIGTERM did not reach the process";
}

// A start whose record cannot be saved (a full state root): the process
// runs all the same, so the call, the status, Signal and Wait know it. It
// was an error, with the process running unknown: "created" for good, and
// every later start refused.
TEST_F(ManagerTest, AStartWhoseRecordCannotBeSavedStillKnowsItsProcess) {
  manager_.reset();
  ASSERT_EQ(mount("runsc-test", state().c_str(), "tmpfs", 0, "size=16m"), 0) << strerror(errno);
  absl::Cleanup unmount = [this] {
    // Deleted here too where an assertion ended the test early: a manager
    // leaves its sandboxes running when it goes.
    if (manager_ != nullptr) (void)manager_->DeleteSandbox("full", absl::ZeroDuration());
    manager_.reset();
    EXPECT_EQ(umount2(state().c_str(), MNT_DETACH), 0) << strerror(errno);
  };
  manager_ = NewManager();
  ASSERT_NE(manager_, nullptr);
  sandbox::CreateRequest create;
  create.id = "full";
  create.template_args = {"sleep", "1000"};
  ASSERT_TRUE(manager_->CreateSandbox(create).ok());
  // Every block taken; a new, empty file (the console log) still fits.
  ASSERT_TRUE(FillFileSystem(state() + "/fill"));
  absl::StatusOr<sandbox::SandboxView> started = manager_->StartSandbox("full");
  ASSERT_TRUE(started.ok()) << started.status();
  ASSERT_GT(started->main_pid, 0);
  absl::StatusOr<sandbox::SandboxView> view = manager_->GetSandbox("full");
  ASSERT_TRUE(view.ok()) << view.status();
  EXPECT_EQ(view->status, "running");
  EXPECT_EQ(view->main_pid, started->main_pid);
  ASSERT_TRUE(manager_->Signal("full", 0, SIGKILL, false).ok());
  absl::StatusOr<runsc::control::v1::ExitStatus> ended =
      manager_->Wait("full", started->main_pid, absl::Seconds(30));
  ASSERT_TRUE(ended.ok()) << ended.status();
  EXPECT_EQ(ended->signal(), SIGKILL);
  // Room again: the record is saved, so that a restart finds it started.
  ASSERT_EQ(unlink((state() + "/fill").c_str()), 0);
  int saved_main = 0;
  for (const absl::Time until = absl::Now() + absl::Seconds(10);
       saved_main == 0 && absl::Now() < until; absl::SleepFor(absl::Milliseconds(50))) {
    absl::StatusOr<runsc::state::v1::SandboxRecord> record = sandbox::LoadRecord(state() + "/full");
    if (record.ok()) saved_main = record->main_pid();
  }
  EXPECT_EQ(saved_main, started->main_pid) << "the record never caught up";
  EXPECT_TRUE(manager_->DeleteSandbox("full", absl::ZeroDuration()).ok());
}

// Every way a main process ends reaches Wait and the events, in order: one
// started by a separate call, one stopped by the delete, and one that
// outlived a restart of the daemon (which then asks its sandbox).
TEST_F(ManagerTest, TheMainProcessesExitIsSeenHoweverItStartedAndEnded) {
  std::unique_ptr<sandbox::EventBus::Subscription> later = manager_->events().Subscribe("later");
  sandbox::CreateRequest create;
  create.id = "later";
  create.template_args = {"sh", "-c", "exit 4"};
  ASSERT_TRUE(manager_->CreateSandbox(create).ok());
  auto started = manager_->StartSandbox("later");
  ASSERT_TRUE(started.ok()) << started.status();
  auto status = manager_->Wait("later", started->main_pid, absl::Seconds(30));
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(status->code(), 4);
  for (const char* want : {"created", "started", "exited"}) {
    absl::StatusOr<sandbox::SandboxEvent> event = later->Next(absl::Seconds(10));
    ASSERT_TRUE(event.ok()) << want << ": " << event.status();
    EXPECT_EQ(event->type, want);
  }

  std::unique_ptr<sandbox::EventBus::Subscription> stopped =
      manager_->events().Subscribe("stopped");
  create.id = "stopped";
  create.start = true;
  create.template_args = {"sleep", "1000"};
  ASSERT_TRUE(manager_->CreateSandbox(create).ok());
  ASSERT_TRUE(manager_->DeleteSandbox("stopped", absl::Seconds(5)).ok());
  for (const char* want : {"created", "started", "exited", "deleted"}) {
    absl::StatusOr<sandbox::SandboxEvent> event = stopped->Next(absl::Seconds(10));
    ASSERT_TRUE(event.ok()) << want << ": " << event.status();
    EXPECT_EQ(event->type, want);
    if (event->type == "exited") {
      EXPECT_TRUE(event->exit.signaled());
      EXPECT_EQ(event->exit.signal(), SIGTERM);
    }
  }

  create.id = "kept";
  auto kept = manager_->CreateSandbox(create);
  ASSERT_TRUE(kept.ok()) << kept.status();
  const std::string kept_tasks = absl::StrCat("/proc/", kept->pid, "/task");
  const size_t kept_threads = ListDir(kept_tasks).size();
  // Subscriptions end before their bus does.
  later.reset();
  stopped.reset();
  manager_.reset();  // the daemon stops: the sandbox's report has no reader
  manager_ = NewManager();
  ASSERT_NE(manager_, nullptr);
  // The new daemon watches the re-attached sandbox's main process through
  // a wait on its stdio socket: no dial, so none of gRPC's threads there.
  EXPECT_EQ(ListDir(kept_tasks).size(), kept_threads) << "the re-attach dialled the sandbox";
  std::unique_ptr<sandbox::EventBus::Subscription> events = manager_->events().Subscribe("kept");
  ASSERT_TRUE(manager_->Signal("kept", kept->main_pid, SIGKILL, /*all=*/false).ok());
  // (A call to the launcher gives the supervisor its reader thread.)
  const size_t signalled_threads = ListDir(kept_tasks).size();
  status = manager_->Wait("kept", kept->main_pid, absl::Seconds(30));
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_TRUE(status->signaled());
  EXPECT_EQ(status->signal(), SIGKILL);
  absl::StatusOr<sandbox::SandboxEvent> event = events->Next(absl::Seconds(10));
  ASSERT_TRUE(event.ok()) << event.status();
  EXPECT_EQ(event->type, "exited");
  EXPECT_TRUE(event->exit.signaled());
  EXPECT_EQ(ListDir(kept_tasks).size(), signalled_threads) << "the watch dialled the sandbox";
}

TEST_F(ManagerTest, RestartLosesNoRunningSandboxAndReclaimsDeadOnes) {
  sandbox::CreateRequest create;
  create.id = "keeper";
  create.labels = {{"k", "v"}};
  ASSERT_TRUE(manager_->CreateSandbox(create).ok());
  ASSERT_TRUE(manager_->StartSandbox("keeper").ok());
  create.id = "ended";
  create.template_args = {"true"};
  ASSERT_TRUE(manager_->CreateSandbox(create).ok());
  absl::StatusOr<sandbox::SandboxView> ended = manager_->StartSandbox("ended");
  ASSERT_TRUE(ended.ok()) << ended.status();
  ASSERT_TRUE(manager_->Wait("ended", ended->main_pid, absl::Seconds(30)).ok());
  create.template_args = {"sleep", "infinity"};
  create.id = "late";
  ASSERT_TRUE(manager_->CreateSandbox(create).ok());
  create.id = "doomed";
  auto doomed = manager_->CreateSandbox(create);
  ASSERT_TRUE(doomed.ok()) << doomed.status();
  manager_.reset();  // the daemon stops; sandboxes keep running
  // One cannot be attached at the restart (its record unreadable, as a
  // short fd table or memory would make it), though it runs.
  const std::string record = root_.path() + "/state/late/" + sandbox::kStateFileName;
  ASSERT_EQ(rename(record.c_str(), (record + ".aside").c_str()), 0);
  ASSERT_TRUE(util::WriteFileAtomically(record, "not a record", 0600).ok());
  ASSERT_EQ(kill(doomed->pid, SIGKILL), 0);  // one dies while no daemon runs
  waitpid(doomed->pid, nullptr, 0);

  manager_ = NewManager();
  ASSERT_NE(manager_, nullptr);
  auto views = manager_->ListSandboxes({});
  ASSERT_EQ(views.size(), 2u);
  std::sort(views.begin(), views.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  EXPECT_EQ(views[1].id, "keeper");
  EXPECT_EQ(views[1].status, "running");
  EXPECT_EQ(views[1].labels.at("k"), "v");
  EXPECT_EQ(views[0].id, "ended");
  EXPECT_EQ(views[0].status, "stopped");
  // Its main process ended before the restart: a signal to it says so.
  absl::Status signalled = manager_->Signal("ended", 0, SIGTERM, /*all=*/false);
  EXPECT_THAT(std::string(signalled.message()),
              HasSubstr(absl::StrCat("pid ", ended->main_pid, " is no longer running")));
  ASSERT_TRUE(manager_->DeleteSandbox("ended").ok());
  // The one not attached keeps its id, and is attached once it can be.
  create.id = "late";
  EXPECT_EQ(manager_->CreateSandbox(create).status().code(), absl::StatusCode::kAlreadyExists);
  ASSERT_EQ(rename((record + ".aside").c_str(), record.c_str()), 0);
  absl::StatusOr<sandbox::SandboxView> late = manager_->GetSandbox("late");
  for (int i = 0; i < 100 && !late.ok(); ++i) {
    absl::SleepFor(absl::Milliseconds(50));
    late = manager_->GetSandbox("late");
  }
  ASSERT_TRUE(late.ok()) << late.status();
  EXPECT_EQ(late->status, "created");
  ASSERT_TRUE(manager_->DeleteSandbox("late").ok());
  sandbox::RunRequest run;
  run.id = "keeper";
  run.process = Process({"echo", "recovered"});
  auto result = manager_->Run(run);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->out, "recovered\n");
  EXPECT_EQ(ListDir(root_.path() + "/state"), std::vector<std::string>{"keeper"});
}

}  // namespace
}  // namespace runsc::testing
