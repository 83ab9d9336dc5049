// Root end-to-end tests with a real `runsc daemon` process: the sandbox
// lifecycle, errors and load. Who may call it is in daemon_access_test.cc;
// its stop, death and restart in daemon_lifetime_test.cc.
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "boot/capped_output.h"
#include "gmock/gmock.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "proto/api.grpc.pb.h"
#include "runsc/util/huge_page_binary.h"
#include "sandbox/state_store.h"
#include "test/daemon_fixture.h"
#include "test/sandbox_test_util.h"

namespace runsc::testing {
namespace {

using ::testing::HasSubstr;

TEST_F(DaemonTest, FullLifecycleOverTheSocket) {
  api::Sandbox started = CreateStarted("e2e");
  EXPECT_EQ(started.status(), "running");
  api::RunResponse run;
  ASSERT_TRUE(Run("e2e", {"sh", "-c", "echo hi; exit 4"}, &run).ok());
  EXPECT_EQ(run.stdout(), "hi\n");
  EXPECT_EQ(run.status().code(), 4);
  auto stub = Stub();
  {
    grpc::ClientContext ctx;
    api::StatsRequest req;
    req.set_id("e2e");
    api::StatsResponse stats;
    ASSERT_TRUE(stub->Stats(&ctx, req, &stats).ok());
    EXPECT_GT(stats.memory_current_bytes(), 0u);
  }
  {
    grpc::ClientContext ctx;
    api::DeleteSandboxRequest req;
    req.set_id("e2e");
    api::DeleteSandboxResponse r;
    ASSERT_TRUE(stub->DeleteSandbox(&ctx, req, &r).ok());
  }
  grpc::ClientContext ctx;
  api::GetSandboxRequest get;
  get.set_id("e2e");
  api::Sandbox s;
  grpc::Status status = stub->GetSandbox(&ctx, get, &s);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(status.error_message(), HasSubstr("'e2e'"));
}

// RunSandbox over the socket: one call for a one-shot, and its request's
// errors name the field, the sandbox's under "sandbox.".
TEST_F(DaemonTest, RunSandboxIsOneCallForAOneShot) {
  auto stub = Stub();
  auto run_sandbox = [&stub](const api::RunSandboxRequest& req, api::RunResponse* out) {
    grpc::ClientContext ctx;
    return stub->RunSandbox(&ctx, req, out);
  };
  api::RunSandboxRequest req;
  req.mutable_sandbox()->set_id("one-call");
  for (const char* a : {"sh", "-c", "read x; echo got $x; exit 5"}) {
    req.mutable_sandbox()->mutable_host_template()->add_args(a);
  }
  req.set_stdin("it\n");
  api::RunResponse out;
  grpc::Status status = run_sandbox(req, &out);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(out.stdout(), "got it\n");
  EXPECT_EQ(out.status().code(), 5);
  EXPECT_FALSE(out.status().timed_out());
  // It is gone, and its id free again.
  status = run_sandbox(req, &out);
  ASSERT_TRUE(status.ok()) << status.error_message();

  req.mutable_sandbox()->set_ttl_seconds(-1);
  status = run_sandbox(req, &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("sandbox.ttl_seconds"));
  req.mutable_sandbox()->set_ttl_seconds(0);
  req.mutable_sandbox()->mutable_resources()->set_pids_limit(-3);
  status = run_sandbox(req, &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("sandbox.resources.pids_limit"));
  req.mutable_sandbox()->clear_resources();
  // A network mode this build does not know is not taken for loopback.
  req.mutable_sandbox()->set_network(static_cast<api::NetworkMode>(7));
  status = run_sandbox(req, &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("sandbox.network: 7"));
  req.mutable_sandbox()->clear_network();
  // Labels are bounded: the daemon keeps them, and every List sends them.
  (*req.mutable_sandbox()->mutable_labels())["big"] = std::string(64 << 10, 'x');
  status = run_sandbox(req, &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("sandbox.labels[big]"));
  req.mutable_sandbox()->clear_labels();
  for (int i = 0; i < 65; ++i)
    (*req.mutable_sandbox()->mutable_labels())[absl::StrCat("k", i)] = "v";
  status = run_sandbox(req, &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("65 labels"));
  req.mutable_sandbox()->clear_labels();
  req.set_max_output_bytes(-1);
  status = run_sandbox(req, &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("max_output_bytes"));
}

// A daemon's sandbox outlives its main process until its delete; `runsc
// state` on the daemon's root then says stopped with pid 0, as runc says of
// a stopped container, not the sandbox process's pid.
TEST_F(DaemonTest, TheCliSaysAnEndedSandboxIsStoppedWithPidZero) {
  auto stub = Stub();
  grpc::ClientContext ctx;
  api::CreateSandboxRequest req;
  req.set_id("ended");
  req.mutable_host_template()->add_args("true");
  req.set_start(true);
  api::Sandbox created;
  grpc::Status status = stub->CreateSandbox(&ctx, req, &created);
  ASSERT_TRUE(status.ok()) << status.error_message();
  grpc::ClientContext wait_ctx;
  api::WaitRequest wait;
  wait.set_id("ended");
  api::WaitResponse waited;
  ASSERT_TRUE(stub->Wait(&wait_ctx, wait, &waited).ok());
  auto [code, out] = RunShell(absl::StrCat(RunscPath(), " --root ", state_, " state ended 2>&1"));
  EXPECT_EQ(code, 0) << out;
  EXPECT_THAT(out, HasSubstr("\"status\": \"stopped\""));
  EXPECT_THAT(out, HasSubstr("\"pid\": 0,"));
}

TEST_F(DaemonTest, CreateWithStartAnswersARunningSandbox) {
  auto stub = Stub();
  grpc::ClientContext ctx;
  api::CreateSandboxRequest req;
  req.set_id("quick");
  req.mutable_host_template();
  req.set_start(true);
  api::Sandbox created;
  grpc::Status status = stub->CreateSandbox(&ctx, req, &created);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(created.status(), "running");
  EXPECT_GT(created.main_pid(), 1);
  api::RunResponse run;
  ASSERT_TRUE(Run("quick", {"sh", "-c", "echo up"}, &run).ok());
  EXPECT_EQ(run.stdout(), "up\n");
  // A main process that cannot start fails the call, naming it.
  grpc::ClientContext ctx2;
  req.set_id("broken");
  req.mutable_host_template()->add_args("no-such-binary");
  status = stub->CreateSandbox(&ctx2, req, &created);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(),
              HasSubstr("exec: \"no-such-binary\": executable file not found in $PATH"));
}

TEST_F(DaemonTest, BadRequestsGetTheRightCodes) {
  auto stub = Stub();
  {
    grpc::ClientContext ctx;
    api::RunRequest req;
    api::RunResponse r;
    grpc::Status s = stub->Run(&ctx, req, &r);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(s.error_message(), HasSubstr("id:"));
  }
  {
    grpc::ClientContext ctx;
    api::CreateSandboxRequest req;
    req.set_ttl_seconds(-1);
    api::Sandbox r;
    grpc::Status s = stub->CreateSandbox(&ctx, req, &r);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(s.error_message(), HasSubstr("ttl_seconds"));
  }
  {
    // Named as the request spells it, not as the spec it becomes.
    grpc::ClientContext ctx;
    api::CreateSandboxRequest req;
    req.mutable_host_template()->add_args("");
    api::Sandbox r;
    grpc::Status s = stub->CreateSandbox(&ctx, req, &r);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(s.error_message(), HasSubstr("host_template.args[0]: must not be empty"));
  }
  for (double ttl : {1e-10, 1e12}) {
    // One would round to no TTL at all, the other be clamped to 2262.
    grpc::ClientContext ctx;
    api::CreateSandboxRequest req;
    req.set_ttl_seconds(ttl);
    api::Sandbox r;
    grpc::Status s = stub->CreateSandbox(&ctx, req, &r);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << ttl;
    EXPECT_THAT(s.error_message(), HasSubstr("ttl_seconds: " + absl::StrCat(ttl) +
                                             " is neither 0 (never) nor between 0.001 and"));
  }
  {
    grpc::ClientContext ctx;
    api::CreateSandboxRequest req;
    req.set_id("x");
    req.mutable_resources()->set_pids_limit(-3);
    api::Sandbox r;
    grpc::Status s = stub->CreateSandbox(&ctx, req, &r);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(s.error_message(), HasSubstr("resources.pids_limit"));
  }
  {
    // Outside the kernel's ranges: refused by field, not by a cgroup file's
    // failed write (cpu_shares 1 used to wrap round in the v2 weight).
    for (auto [field, set] :
         std::vector<std::pair<std::string, std::function<void(api::Resources*)>>>{
             {"resources.cpu_shares", [](api::Resources* r) { r->set_cpu_shares(1); }},
             {"resources.cpu_shares", [](api::Resources* r) { r->set_cpu_shares(262145); }},
             {"resources.cpu_period_us", [](api::Resources* r) { r->set_cpu_period_us(999); }},
             {"resources.cpu_period_us", [](api::Resources* r) { r->set_cpu_period_us(2000000); }},
             {"resources.pids_limit", [](api::Resources* r) { r->set_pids_limit(4194305); }},
             {"resources.cpu_quota_us",
              [](api::Resources* r) { r->set_cpu_quota_us(int64_t{1} << 44); }},
             {"resources.memory_swap_bytes",
              [](api::Resources* r) { r->set_memory_swap_bytes(64 << 20); }},
             // A launcher starts in the container's cgroup on the daemon's
             // memory: at 4 KiB its start was OOM-killed, and the daemon
             // with it (every process sharing that memory).
             {"resources.memory_limit_bytes",
              [](api::Resources* r) { r->set_memory_limit_bytes(4096); }},
         }) {
      grpc::ClientContext ctx;
      api::CreateSandboxRequest req;
      req.set_id("x");
      req.mutable_host_template();
      set(req.mutable_resources());
      api::Sandbox r;
      grpc::Status s = stub->CreateSandbox(&ctx, req, &r);
      EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << field;
      EXPECT_THAT(s.error_message(), HasSubstr(field + ": "));
    }
  }
  {
    CreateStarted("busy");
    api::RunResponse r;
    api::RunRequest req;
    grpc::Status s = Run("busy", {}, &r);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(s.error_message(), HasSubstr("process.args"));
  }
  {
    // An output cap the answer could never carry: refused before the run,
    // rather than buffered (the daemon's memory) and then not sent.
    grpc::ClientContext ctx;
    api::RunRequest req;
    req.set_id("busy");
    req.mutable_process()->add_args("true");
    req.set_max_output_bytes(int64_t{1} << 40);
    api::RunResponse r;
    grpc::Status s = stub->Run(&ctx, req, &r);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(s.error_message(), HasSubstr("max_output_bytes: 1099511627776 is over"));
    grpc::ClientContext ctx2;
    req.set_max_output_bytes(4 << 20);  // within the default 16 MiB
    s = stub->Run(&ctx2, req, &r);
    EXPECT_TRUE(s.ok()) << s.error_message();
  }
  {
    // A NUL cut the C string the kernel read: `ls\0x` ran ls, a copy of
    // `/etc/passwd\0zz` copied /etc/passwd.
    for (auto [field, set] :
         std::vector<std::pair<std::string, std::function<void(api::ProcessSpec*)>>>{
             {"process.args[1]: ",
              [](api::ProcessSpec* p) { p->add_args(std::string("a\0b", 3)); }},
             {"process.env[0]: ",
              [](api::ProcessSpec* p) { p->add_env(std::string("A=1\0B", 5)); }},
             {"process.cwd: ",
              [](api::ProcessSpec* p) { p->set_cwd(std::string("/tmp\0/etc", 9)); }},
         }) {
      grpc::ClientContext ctx;
      api::RunRequest req;
      req.set_id("busy");
      req.mutable_process()->add_args("echo");
      set(req.mutable_process());
      api::RunResponse r;
      grpc::Status s = stub->Run(&ctx, req, &r);
      EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << field;
      EXPECT_THAT(s.error_message(), HasSubstr(field + "must not contain a NUL byte"));
    }
    grpc::ClientContext ctx;
    api::CopyOutRequest req;
    req.set_id("busy");
    req.set_path(std::string("/etc/passwd\0zz", 14));
    api::CopyOutResponse piece;
    auto reader = stub->CopyOut(&ctx, req);
    while (reader->Read(&piece)) {
    }
    grpc::Status s = reader->Finish();
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(s.error_message(), HasSubstr("path: must not contain a NUL byte"));
  }
  {
    // Arguments over what a sandbox reads of its configuration: refused
    // before a sandbox is spawned for nothing (INTERNAL, from its start).
    grpc::ClientContext ctx;
    api::CreateSandboxRequest req;
    req.set_id("big");
    req.mutable_host_template()->add_args("echo");
    req.mutable_host_template()->add_args(std::string(2 << 20, 'x'));
    api::Sandbox r;
    grpc::Status s = stub->CreateSandbox(&ctx, req, &r);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(s.error_message(), HasSubstr("over the 1048576 a sandbox takes"));
  }
  {
    // A grace period that would hold the sandbox, and the daemon's stop,
    // for years.
    grpc::ClientContext ctx;
    api::DeleteSandboxRequest req;
    req.set_id("busy");
    req.set_grace_seconds(1e9);
    api::DeleteSandboxResponse r;
    grpc::Status s = stub->DeleteSandbox(&ctx, req, &r);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(s.error_message(), HasSubstr("grace_seconds: 1e+09 is over the limit of 600"));
  }
  {
    // One that would round to no grace at all: an instant kill.
    grpc::ClientContext ctx;
    api::DeleteSandboxRequest req;
    req.set_id("busy");
    req.set_grace_seconds(1e-12);
    api::DeleteSandboxResponse r;
    grpc::Status s = stub->DeleteSandbox(&ctx, req, &r);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(s.error_message(), HasSubstr("grace_seconds: 1e-12 is below 0.001"));
  }
  {
    // Oversized request: the default limit is 16 MiB.
    grpc::ClientContext ctx;
    api::RunRequest req;
    req.set_id("busy");
    req.mutable_process()->add_args("true");
    req.set_stdin(std::string(17 << 20, 'x'));
    api::RunResponse r;
    grpc::Status s = stub->Run(&ctx, req, &r);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  }
  {
    // Waits for the main process of no sandbox, or of one not started.
    grpc::ClientContext ctx;
    api::WaitRequest req;
    req.set_id("ghost");
    api::WaitResponse r;
    grpc::Status s = stub->Wait(&ctx, req, &r);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
    EXPECT_THAT(s.error_message(), HasSubstr("ghost"));
    CreateUnstarted("unstarted");
    grpc::ClientContext wait_ctx;
    req.set_id("unstarted");
    s = stub->Wait(&wait_ctx, req, &r);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
    EXPECT_THAT(s.error_message(), HasSubstr("'unstarted' has not been started"));
  }
}

TEST_F(DaemonTest, ReflectionListsTheServices) {
  // A generic client, as grpcurl or a reflection-based tool would be: the
  // request is ServerReflectionRequest{list_services: ""} (field 7).
  grpc::GenericStub stub(Channel());
  grpc::ClientContext ctx;
  grpc::CompletionQueue cq;
  auto call = stub.PrepareCall(&ctx, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
                               &cq);
  void* tag;
  bool ok;
  int n = 0;
  auto step = [&] {
    EXPECT_TRUE(cq.Next(&tag, &ok));
    return ok;
  };
  call->StartCall(reinterpret_cast<void*>(++n));
  ASSERT_TRUE(step());
  const std::string request("\x3a\x00", 2);
  grpc::Slice slice(request);
  grpc::ByteBuffer out(&slice, 1);
  call->Write(out, reinterpret_cast<void*>(++n));
  ASSERT_TRUE(step());
  grpc::ByteBuffer in;
  call->Read(&in, reinterpret_cast<void*>(++n));
  ASSERT_TRUE(step());
  std::vector<grpc::Slice> slices;
  ASSERT_TRUE(in.Dump(&slices).ok());
  std::string response;
  for (const auto& s : slices) response.append(reinterpret_cast<const char*>(s.begin()), s.size());
  EXPECT_THAT(response, HasSubstr("runsc.api.v1.Sandboxes"));
  EXPECT_THAT(response, HasSubstr("grpc.health.v1.Health"));
  call->WritesDone(reinterpret_cast<void*>(++n));
  step();
  grpc::Status status;
  call->Finish(&status, reinterpret_cast<void*>(++n));
  step();
  EXPECT_TRUE(status.ok()) << status.error_message();
}

// The soft RLIMIT_NOFILE of `pid`, from /proc/<pid>/limits.
std::string SoftFdLimit(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/limits"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("Max open files", 0) == 0) {
      std::istringstream fields(line.substr(sizeof("Max open files") - 1));
      std::string soft;
      fields >> soft;
      return soft;
    }
  }
  return "?";
}

TEST_F(DaemonTest, TheDaemonRaisesItsFdLimitAndSandboxesGetTheOneItFound) {
  // A few fds per sandbox: 1000 sandboxes need more than a soft limit of
  // 1024. The workloads must not see the raised limit.
  StopDaemon(SIGTERM);
  struct rlimit mine;
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &mine), 0);
  ASSERT_GT(mine.rlim_max, 2000u) << "the hard limit is too low to tell the two apart";
  struct rlimit lowered = {1000, mine.rlim_max};
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &lowered), 0);
  StartDaemon();
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &mine), 0);
  EXPECT_EQ(SoftFdLimit(daemon_), std::to_string(mine.rlim_max));
  api::Sandbox box = CreateStarted("limits");
  // The supervisor raises its own (it holds a connection for each run or
  // exec under way); the launcher and the workloads keep the daemon's.
  EXPECT_EQ(SoftFdLimit(box.pid()), std::to_string(mine.rlim_max));
  // (The host template's workloads get the RLIMIT_NOFILE its spec sets.)
  const std::string launcher =
      ReadFile(absl::StrCat("/proc/", box.pid(), "/task/", box.pid(), "/children"));
  ASSERT_FALSE(launcher.empty());
  EXPECT_EQ(SoftFdLimit(std::stoi(launcher)), "1000");
}

TEST_F(DaemonTest, RunReturnsWhenTheProcessEndsThoughADescendantKeepsTheOutputOpen) {
  CreateStarted("holder");
  api::RunResponse run;
  const absl::Time begin = absl::Now();
  // The shell exits at once; its background child holds stdout for 100 s.
  ASSERT_TRUE(Run("holder", {"sh", "-c", "echo first; sleep 100 & exit 3"}, &run, 30).ok());
  const absl::Duration took = absl::Now() - begin;
  EXPECT_EQ(run.stdout(), "first\n");
  EXPECT_EQ(run.status().code(), 3);
  EXPECT_FALSE(run.status().timed_out());
  EXPECT_LT(took, absl::Seconds(5)) << "Run waited for the descendant";
}

// Runs `runsc do` through the test's daemon; returns exit code and output.
std::pair<int, std::string> RunscDo(const std::string& socket, const std::string& args) {
  return RunShell(RunscPath() + " do --socket " + socket + " -- " + args + " 2>&1");
}

TEST_F(DaemonTest, DoRunsAOneShotCommandWithItsExitCode) {
  auto [code, out] = RunscDo(socket_, "sh -c 'echo one-shot; exit 6'");
  EXPECT_EQ(code, 6);
  EXPECT_EQ(out, "one-shot\n");
  auto [killed, ignored] = RunscDo(socket_, "sh -c 'kill -9 $$'");
  EXPECT_EQ(killed, 137);
  // Nothing is left behind.
  auto stub = Stub();
  grpc::ClientContext ctx;
  api::ListSandboxesResponse list;
  ASSERT_TRUE(stub->ListSandboxes(&ctx, {}, &list).ok());
  EXPECT_EQ(list.sandboxes_size(), 0);
}

// A --socket path longer than a unix socket address holds is bound, and
// reached by runsc do, through its directory.
TEST_F(DaemonTest, ADaemonServesOnASocketPathLongerThanSunPath) {
  std::string dir = root_.path() + "/a-socket-directory-with-a-long-name";
  while (dir.size() < 120) dir += "/deeper";
  const std::string socket = dir + "/runsc.sock";  // the daemon makes `dir`
  const std::string state = root_.path() + "/long-socket-state";
  ASSERT_EQ(RunShell("mkdir -p " + dir.substr(0, dir.rfind('/'))).first, 0);
  const pid_t daemon = fork();
  if (daemon == 0) {
    execl(RunscPath().c_str(), "runsc", "--root", state.c_str(), "daemon", "--socket",
          socket.c_str(), nullptr);
    _exit(127);
  }
  ASSERT_GT(daemon, 0);
  absl::Cleanup stop = [daemon] {
    kill(daemon, SIGTERM);
    waitpid(daemon, nullptr, 0);
  };
  auto [code, out] = RunscDo(socket, "echo reached");
  EXPECT_EQ(code, 0) << out;
  EXPECT_EQ(out, "reached\n");
}

TEST_F(DaemonTest, DoWithoutADaemonSaysWhatToDo) {
  auto [code, out] = RunscDo(root_.path() + "/nothing.sock", "true");
  EXPECT_EQ(code, 125);
  EXPECT_THAT(out, HasSubstr("cannot reach the runsc daemon"));
  EXPECT_THAT(out, HasSubstr("runsc daemon"));
}

TEST_F(DaemonTest, TwentyClientsTimesAHundredRunsWithoutAnError) {
  CreateStarted("busy");
  std::atomic<int> failures{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < 20; ++c) {
    clients.emplace_back([this, c, &failures] {
      auto stub = Stub();  // each client its own channel
      for (int i = 0; i < 100; ++i) {
        grpc::ClientContext ctx;
        api::RunRequest req;
        req.set_id("busy");
        req.mutable_process()->add_args("echo");
        req.mutable_process()->add_args(absl::StrCat(c, "-", i));
        api::RunResponse r;
        grpc::Status s = stub->Run(&ctx, req, &r);
        if (!s.ok() || r.stdout() != absl::StrCat(c, "-", i, "\n") || r.status().code() != 0) {
          ++failures;
        }
      }
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST_F(DaemonTest, FiveHundredCreateDeleteCyclesLeaveNothingBehind) {
  const std::vector<std::string> mounts_before = HostMountPoints();
  auto stub = Stub();
  // This copy's own ids: copies of the test may run side by side.
  const std::string prefix = absl::StrCat("cycle", getpid(), "-");
  for (int i = 0; i < 500; ++i) {
    const std::string id = absl::StrCat(prefix, i);
    grpc::ClientContext c1;
    api::CreateSandboxRequest create;
    create.set_id(id);
    create.mutable_host_template();
    api::Sandbox created;
    grpc::Status s = stub->CreateSandbox(&c1, create, &created);
    ASSERT_TRUE(s.ok()) << i << ": " << s.error_message();
    s = Delete(id);
    ASSERT_TRUE(s.ok()) << i << ": " << s.error_message();
  }
  // The last deletes' teardowns may still be under way
  // (sandbox/reclaimer.h): they end within moments, the range last.
  auto our_ranges = [&prefix] {
    int n = 0;
    for (const std::string& slot : ListDir("/run/runsc/ranges")) {
      n += absl::StrContains(ReadFile("/run/runsc/ranges/" + slot), prefix);
    }
    return n;
  };
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while ((!SandboxStateDirs().empty() || our_ranges() > 0) && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  EXPECT_TRUE(SandboxStateDirs().empty()) << "state left behind";
  EXPECT_EQ(our_ranges(), 0);
  EXPECT_EQ(HostMountPoints(), mounts_before);
  for (const char* hierarchy : {"memory", "pids", "cpu", "unified"}) {
    for (const std::string& dir : ListDir(absl::StrCat("/sys/fs/cgroup/", hierarchy, "/runsc"))) {
      EXPECT_FALSE(absl::StartsWith(dir, prefix)) << hierarchy << "/runsc/" << dir;
    }
  }
  // No process of ours outlived its sandbox: the daemon has no children left.
  EXPECT_EQ(ReadFile(absl::StrCat("/proc/", daemon_, "/task/", daemon_, "/children")), "");
}

// `--warm-sandboxes N`: the daemon keeps N sandboxes spawned ahead, serves
// creates from them, and takes them with it when it stops; a bad count is
// refused before anything starts.
TEST_F(DaemonTest, WarmSandboxesServeCreatesAndEndWithTheDaemon) {
  StopDaemon(SIGTERM);
  StartDaemon(nullptr, {"--warm-sandboxes", "2"});
  auto warm_pids = [this] {
    std::vector<int> pids;
    for (const std::string& name : ListDir(state_)) {
      if (!absl::StartsWith(name, ".warm-")) continue;
      // The record has its pid once the warm sandbox is up.
      auto record = sandbox::LoadRecord(absl::StrCat(state_, "/", name));
      if (record.ok() && record->pid() != 0) pids.push_back(record->pid());
    }
    return pids;
  };
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (warm_pids().size() < 2 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(20));
  const std::vector<int> before = warm_pids();
  ASSERT_EQ(before.size(), 2u) << "the pool did not fill";

  api::Sandbox created = CreateStarted("from-the-pool");
  EXPECT_THAT(before, ::testing::Contains(created.pid()));
  api::RunResponse out;
  ASSERT_TRUE(Run("from-the-pool", {"hostname"}, &out).ok());
  EXPECT_EQ(out.stdout(), "from-the-pool\n");

  EXPECT_EQ(StopDaemon(SIGTERM), 0);
  for (const std::string& name : ListDir(state_)) {
    EXPECT_FALSE(absl::StartsWith(name, ".warm-")) << name << " outlived the daemon";
  }
  for (int pid : before) {
    if (pid != created.pid()) {
      EXPECT_NE(kill(pid, 0), 0) << "warm sandbox " << pid << " runs on";
    }
  }
  EXPECT_EQ(kill(created.pid(), 0), 0) << "the created sandbox should outlive the daemon";
  StartDaemon();  // re-attaches it; TearDown deletes it

  EXPECT_THAT(RefusedFlags("--warm-sandboxes -1"), HasSubstr("--warm-sandboxes: '-1'"));
}

// Sum of a /proc/<pid>/smaps field over every mapping, in kB.
long SmapsTotal(pid_t pid, const std::string& field) {
  std::ifstream smaps(absl::StrCat("/proc/", pid, "/smaps"));
  long total = 0;
  for (std::string line; std::getline(smaps, line);) {
    if (line.rfind(field + ":", 0) == 0) total += atol(line.c_str() + field.size() + 1);
  }
  return total;
}

// With --binary-on-huge-pages=on the sandboxes run a copy of the binary from
// a tmpfs of huge pages: the sandbox process's code is mapped by 2 MiB
// pages. Where the root mount is shared the tmpfs is in the daemon's own
// mount namespace, which the host's mount table never shows; elsewhere it
// is the host's, at ROOT/.binary: one however often a daemon dies, none
// once the daemon has stopped.
TEST_F(DaemonTest, TheBinaryOnHugePagesIsWhatSandboxesRunAndGoesWithTheDaemon) {
  const std::string modes = ReadFile("/sys/kernel/mm/transparent_hugepage/shmem_enabled");
  if (modes.empty() || modes.find("[deny]") != std::string::npos) {
    GTEST_SKIP() << "this kernel gives tmpfs no huge pages (transparent_hugepage absent or deny)";
  }
  const bool own_namespace = util::RootMountIsShared();
  auto host_mounts = [this] {
    std::istringstream mounts(ReadFile("/proc/self/mountinfo"));
    int n = 0;
    for (std::string line; std::getline(mounts, line);) {
      n += line.find(" " + state_ + "/.binary ") != std::string::npos;
    }
    return n;
  };
  StopDaemon(SIGTERM);
  StartDaemon(nullptr, {"--binary-on-huge-pages=on"});
  api::Sandbox box = CreateStarted("huge");
  ASSERT_GT(box.pid(), 0);
  EXPECT_GE(SmapsTotal(box.pid(), "ShmemPmdMapped"), 2048)
      << "the sandbox process's code is not on huge pages";
  api::RunResponse run;
  ASSERT_TRUE(Run("huge", {"echo", "runs"}, &run).ok());
  EXPECT_EQ(run.stdout(), "runs\n");
  EXPECT_EQ(host_mounts(), own_namespace ? 0 : 1);
  // A daemon that dies leaves its mount to the next, which replaces it.
  StopDaemon(SIGKILL);
  StartDaemon(nullptr, {"--binary-on-huge-pages=on"});
  EXPECT_EQ(host_mounts(), own_namespace ? 0 : 1);
  ASSERT_TRUE(Run("huge", {"echo", "still runs"}, &run).ok());
  EXPECT_EQ(run.stdout(), "still runs\n");
  StopDaemon(SIGTERM);
  EXPECT_EQ(host_mounts(), 0) << "the daemon left its tmpfs mounted";
  EXPECT_NE(access((state_ + "/.binary").c_str(), F_OK), 0) << "the daemon left its mount point";
  EXPECT_EQ(kill(box.pid(), 0), 0) << "the sandbox lost its binary with the mount";
  StartDaemon();

  EXPECT_THAT(RefusedFlags("--binary-on-huge-pages=maybe"),
              HasSubstr("--binary-on-huge-pages: 'maybe' is not auto, on or off"));
}

// `--console-log-limit N`: a main process's stdout and stderr leave at most
// N bytes in its console log, then one line saying so
// (test/console_log_test.cc has the rest); a bad count is refused.
TEST_F(DaemonTest, TheConsoleLogLimitCapsWhatAMainProcessLeavesInTheLog) {
  StopDaemon(SIGTERM);
  StartDaemon(nullptr, {"--console-log-limit", "1000"});
  grpc::ClientContext ctx;
  api::CreateSandboxRequest req;
  req.set_id("chatty");
  for (const char* arg : {"sh", "-c", "yes | head -c 5000; exec sleep 1000"}) {
    req.mutable_host_template()->add_args(arg);
  }
  req.set_start(true);
  api::Sandbox created;
  grpc::Status status = Stub()->CreateSandbox(&ctx, req, &created);
  ASSERT_TRUE(status.ok()) << status.error_message();
  std::string want;
  for (int i = 0; i < 500; ++i) want += "y\n";
  want += boot::CappedOutputNotice(1000);
  const std::string log = state_ + "/chatty/console.log";
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (ReadFile(log).size() < want.size() && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_EQ(ReadFile(log), want);

  EXPECT_THAT(RefusedFlags("--console-log-limit -1"),
              HasSubstr("--console-log-limit: '-1' is not a number of bytes"));
  EXPECT_THAT(RefusedFlags("--console-log-limit 8MiB"),
              HasSubstr("--console-log-limit: '8MiB' is not a number of bytes"));
}

TEST_F(DaemonTest, ADeleteFreesTheIdAtOnceAndReclaimAheadZeroWaitsForEverything) {
  auto remove = [this](const std::string& id) {
    grpc::ClientContext ctx;
    api::DeleteSandboxRequest del;
    del.set_id(id);
    del.set_grace_seconds(0.001);
    api::DeleteSandboxResponse r;
    return Stub()->DeleteSandbox(&ctx, del, &r);
  };
  CreateStarted("again");
  ASSERT_TRUE(remove("again").ok());
  // The same id at once, before the first one's teardown is over.
  const api::Sandbox second = CreateStarted("again");
  ASSERT_GT(second.pid(), 0);
  ASSERT_TRUE(remove("again").ok());
  EXPECT_EQ(StopDaemon(SIGTERM), 0);
  EXPECT_TRUE(ListDir(state_).empty()) << "the stop left a teardown unfinished";

  StartDaemon(nullptr, {"--reclaim-ahead", "0"});
  const api::Sandbox waited = CreateStarted("waited");
  ASSERT_GT(waited.pid(), 0);
  ASSERT_TRUE(remove("waited").ok());
  EXPECT_TRUE(SandboxStateDirs().empty());
  EXPECT_NE(kill(waited.pid(), 0), 0) << "the sandbox process was not reaped";

  EXPECT_THAT(RefusedFlags("--reclaim-ahead -1"),
              HasSubstr("--reclaim-ahead: '-1' is not a number from 0 to 1024"));
}

}  // namespace
}  // namespace runsc::testing
