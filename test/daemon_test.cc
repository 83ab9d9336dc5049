// Root end-to-end tests with a real `runsc daemon` process.
#include <signal.h>
#include <sys/stat.h>
#include <grp.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <atomic>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "proto/api.grpc.pb.h"
#include "sandbox/tar.h"
#include "test/sandbox_test_util.h"

namespace runsc::testing {
namespace {

namespace api = runsc::api::v1;
using ::testing::HasSubstr;

class DaemonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    socket_ = root_.path() + "/d.sock";
    state_ = root_.path() + "/state";
    StartDaemon();
  }
  void TearDown() override {
    if (daemon_ > 0) {
      // Delete what is left through the API, then stop the daemon.
      auto stub = Stub();
      grpc::ClientContext ctx;
      api::ListSandboxesResponse list;
      if (stub->ListSandboxes(&ctx, {}, &list).ok()) {
        for (const auto& s : list.sandboxes()) {
          grpc::ClientContext c;
          api::DeleteSandboxRequest del;
          del.set_id(s.id());
          del.set_grace_seconds(0.1);
          api::DeleteSandboxResponse r;
          EXPECT_TRUE(stub->DeleteSandbox(&c, del, &r).ok());
        }
      }
      StopDaemon(SIGTERM);
    }
    EXPECT_EQ(system(absl::StrCat("rm -rf ", root_.path(), "/*").c_str()), 0);
  }

  void StartDaemon(const char* group = nullptr) {
    daemon_ = fork();
    if (daemon_ == 0) {
      if (group != nullptr) {
        execl(RunscPath().c_str(), "runsc", "--root", state_.c_str(), "daemon", "--socket",
              socket_.c_str(), "--group", group, nullptr);
      } else {
        execl(RunscPath().c_str(), "runsc", "--root", state_.c_str(), "daemon", "--socket",
              socket_.c_str(), nullptr);
      }
      _exit(127);
    }
    ASSERT_GT(daemon_, 0);
    // Ready when health says SERVING.
    const absl::Time deadline = absl::Now() + absl::Seconds(20);
    while (absl::Now() < deadline) {
      auto health = grpc::health::v1::Health::NewStub(Channel());
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(200));
      grpc::health::v1::HealthCheckResponse response;
      if (health->Check(&ctx, {}, &response).ok() &&
          response.status() == grpc::health::v1::HealthCheckResponse::SERVING) {
        return;
      }
      absl::SleepFor(absl::Milliseconds(20));
    }
    FAIL() << "daemon did not become healthy";
  }

  int StopDaemon(int sig) {
    kill(daemon_, sig);
    int status = 0;
    waitpid(daemon_, &status, 0);
    daemon_ = 0;
    return status;
  }

  std::shared_ptr<grpc::Channel> Channel() {
    return grpc::CreateChannel("unix:" + socket_, grpc::InsecureChannelCredentials());
  }
  std::unique_ptr<api::Sandboxes::Stub> Stub() { return api::Sandboxes::NewStub(Channel()); }

  api::Sandbox CreateStarted(const std::string& id) {
    auto stub = Stub();
    grpc::ClientContext ctx;
    api::CreateSandboxRequest req;
    req.set_id(id);
    req.mutable_host_template();
    api::Sandbox created;
    grpc::Status status = stub->CreateSandbox(&ctx, req, &created);
    EXPECT_TRUE(status.ok()) << status.error_message();
    grpc::ClientContext ctx2;
    api::StartSandboxRequest start;
    start.set_id(id);
    api::Sandbox started;
    status = stub->StartSandbox(&ctx2, start, &started);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return started;
  }

  grpc::Status Run(const std::string& id, std::vector<std::string> args,
                   api::RunResponse* response, double timeout = 30) {
    auto stub = Stub();
    grpc::ClientContext ctx;
    api::RunRequest req;
    req.set_id(id);
    for (auto& a : args) req.mutable_process()->add_args(a);
    req.set_timeout_seconds(timeout);
    return stub->Run(&ctx, req, response);
  }

  TempStateRoot root_;
  std::string socket_, state_;
  pid_t daemon_ = 0;
};

TEST_F(DaemonTest, SocketIsRootAndGroupOnly) {
  struct stat st;
  ASSERT_EQ(stat(socket_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0660u);
}

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
    CreateStarted("busy");
    api::RunResponse r;
    api::RunRequest req;
    grpc::Status s = Run("busy", {}, &r);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(s.error_message(), HasSubstr("process.args"));
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

// Calls ListSandboxes as uid 54321 with primary gid `gid`; returns the code.
int ListAs(const std::string& socket, gid_t gid) {
  pid_t child = fork();
  if (child == 0) {
    if (setgroups(0, nullptr) != 0 || setgid(gid) != 0 || setuid(54321) != 0) _exit(100);
    auto stub = api::Sandboxes::NewStub(
        grpc::CreateChannel("unix:" + socket, grpc::InsecureChannelCredentials()));
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    api::ListSandboxesResponse r;
    _exit(static_cast<int>(stub->ListSandboxes(&ctx, {}, &r).error_code()));
  }
  int status = 0;
  waitpid(child, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 200;
}

TEST_F(DaemonTest, OnlyRootAndTheGroupAreServed) {
  StopDaemon(SIGTERM);
  StartDaemon("daemon");  // Debian's gid 1
  // The test's own directory is 0700; let others reach the socket in it.
  ASSERT_EQ(chmod(root_.path().c_str(), 0711), 0);
  // A member of the group passes both the socket's mode and the check.
  EXPECT_EQ(ListAs(socket_, 1), grpc::StatusCode::OK);
  // A non-member is refused by the socket's mode (0660 root:daemon) ...
  EXPECT_EQ(ListAs(socket_, 54321), grpc::StatusCode::UNAVAILABLE);
  // ... and, where the mode lets it connect, by its credentials.
  ASSERT_EQ(chmod(socket_.c_str(), 0666), 0);
  EXPECT_EQ(ListAs(socket_, 54321), grpc::StatusCode::PERMISSION_DENIED);
}

api::ExecStart StartOf(const std::string& id, const std::vector<std::string>& args) {
  api::ExecStart start;
  start.set_id(id);
  for (const auto& a : args) start.mutable_process()->add_args(a);
  return start;
}

TEST_F(DaemonTest, KillDashNineMidRunAndMidExecThenRestartLosesNothing) {
  api::Sandbox started = CreateStarted("survivor");
  std::thread runner([this] {
    api::RunResponse r;
    (void)Run("survivor", {"sleep", "30"}, &r, 60);  // interrupted by the kill
  });
  // An interactive Exec stream in flight too.
  auto exec_stub = Stub();
  grpc::ClientContext exec_ctx;
  auto stream = exec_stub->Exec(&exec_ctx);
  api::ExecRequest first;
  *first.mutable_start() = StartOf("survivor", {"sh", "-c", "echo up; sleep 30"});
  ASSERT_TRUE(stream->Write(first));
  api::ExecResponse r;
  ASSERT_TRUE(stream->Read(&r));
  ASSERT_TRUE(r.has_pid());
  ASSERT_TRUE(stream->Read(&r));
  EXPECT_EQ(r.stdout(), "up\n");
  absl::SleepFor(absl::Milliseconds(300));
  StopDaemon(SIGKILL);
  runner.join();
  EXPECT_FALSE(stream->Read(&r));
  EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(kill(started.pid(), 0), 0) << "the sandbox died with the daemon";
  StartDaemon();
  auto stub = Stub();
  grpc::ClientContext ctx;
  api::ListSandboxesResponse list;
  ASSERT_TRUE(stub->ListSandboxes(&ctx, {}, &list).ok());
  ASSERT_EQ(list.sandboxes_size(), 1);
  EXPECT_EQ(list.sandboxes(0).id(), "survivor");
  EXPECT_EQ(list.sandboxes(0).status(), "running");
  api::RunResponse run;
  ASSERT_TRUE(Run("survivor", {"echo", "back"}, &run).ok());
  EXPECT_EQ(run.stdout(), "back\n");
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
  const size_t ranges_before = ListDir("/run/runsc/ranges").size();
  auto stub = Stub();
  for (int i = 0; i < 500; ++i) {
    const std::string id = absl::StrCat("cycle", i);
    grpc::ClientContext c1;
    api::CreateSandboxRequest create;
    create.set_id(id);
    create.mutable_host_template();
    api::Sandbox created;
    grpc::Status s = stub->CreateSandbox(&c1, create, &created);
    ASSERT_TRUE(s.ok()) << i << ": " << s.error_message();
    grpc::ClientContext c2;
    api::DeleteSandboxRequest del;
    del.set_id(id);
    api::DeleteSandboxResponse r;
    s = stub->DeleteSandbox(&c2, del, &r);
    ASSERT_TRUE(s.ok()) << i << ": " << s.error_message();
  }
  EXPECT_TRUE(ListDir(state_).empty()) << "state left behind";
  EXPECT_EQ(HostMountPoints(), mounts_before);
  // Other tests may hold ranges meanwhile; none of ours may remain.
  for (const std::string& slot : ListDir("/run/runsc/ranges")) {
    EXPECT_THAT(ReadFile("/run/runsc/ranges/" + slot), ::testing::Not(HasSubstr("cycle")));
  }
  EXPECT_LE(ListDir("/run/runsc/ranges").size(), ranges_before + 4);
  for (const char* hierarchy : {"memory", "pids", "cpu", "unified"}) {
    for (const std::string& dir : ListDir(absl::StrCat("/sys/fs/cgroup/", hierarchy, "/runsc"))) {
      EXPECT_FALSE(absl::StartsWith(dir, "cycle")) << hierarchy << "/runsc/" << dir;
    }
  }
  // No process of ours outlived its sandbox: the daemon has no children left.
  EXPECT_EQ(ReadFile(absl::StrCat("/proc/", daemon_, "/task/", daemon_, "/children")), "");
}

// One interactive Exec: sends `requests` after the start, then collects the
// responses until the stream ends.
struct ExecOutcome {
  int pid = 0;
  std::string out, err;
  api::ExitStatus exit;
  bool got_exit = false;
  grpc::Status status;
};

// With `after_first_output`, the requests go out once the first stdout
// arrives (for a terminal whose program must start first).
ExecOutcome ExecStream(api::Sandboxes::Stub* stub, const api::ExecStart& start,
                       const std::vector<api::ExecRequest>& requests,
                       bool after_first_output = false) {
  ExecOutcome outcome;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  auto stream = stub->Exec(&ctx);
  api::ExecRequest first;
  *first.mutable_start() = start;
  stream->Write(first);
  bool sent = false;
  auto send = [&] {
    for (const auto& r : requests) stream->Write(r);
    stream->WritesDone();
    sent = true;
  };
  if (!after_first_output) send();
  api::ExecResponse response;
  while (stream->Read(&response)) {
    switch (response.kind_case()) {
      case api::ExecResponse::kPid:
        outcome.pid = response.pid();
        break;
      case api::ExecResponse::kStdout:
        outcome.out += response.stdout();
        if (!sent) send();
        break;
      case api::ExecResponse::kStderr:
        outcome.err += response.stderr();
        break;
      case api::ExecResponse::kExit:
        outcome.exit = response.exit();
        outcome.got_exit = true;
        break;
      default:
        break;
    }
  }
  outcome.status = stream->Finish();
  return outcome;
}

api::ExecRequest Stdin(const std::string& data) {
  api::ExecRequest r;
  r.set_stdin(data);
  return r;
}

api::ExecRequest CloseStdin() {
  api::ExecRequest r;
  r.set_close_stdin(true);
  return r;
}

TEST_F(DaemonTest, ExecStreamsStdinOutputAndTheExitStatus) {
  CreateStarted("ex");
  auto stub = Stub();
  ExecOutcome o = ExecStream(
      stub.get(),
      StartOf("ex", {"sh", "-c", "while read l; do echo got:$l; done; echo bye >&2; exit 3"}),
      {Stdin("a\n"), Stdin("b\n"), CloseStdin()});
  ASSERT_TRUE(o.status.ok()) << o.status.error_message();
  EXPECT_GT(o.pid, 1);
  EXPECT_EQ(o.out, "got:a\ngot:b\n");
  EXPECT_EQ(o.err, "bye\n");
  ASSERT_TRUE(o.got_exit);
  EXPECT_EQ(o.exit.code(), 3);
}

TEST_F(DaemonTest, ExecWithATerminalFollowsResizes) {
  CreateStarted("tty");
  auto stub = Stub();
  api::ExecStart start = StartOf("tty", {"sh", "-c", "stty size; read x; stty size"});
  start.set_tty(true);
  start.mutable_size()->set_rows(24);
  start.mutable_size()->set_cols(80);
  api::ExecRequest resize;
  resize.mutable_resize()->set_rows(50);
  resize.mutable_resize()->set_cols(120);
  // After the first "24 80", resize, then let the shell go on.
  ExecOutcome o = ExecStream(stub.get(), start, {resize, Stdin("go\n")},
                             /*after_first_output=*/true);
  ASSERT_TRUE(o.status.ok()) << o.status.error_message();
  EXPECT_THAT(o.out, HasSubstr("24 80"));
  EXPECT_THAT(o.out, HasSubstr("50 120"));
  ASSERT_TRUE(o.got_exit);
  EXPECT_EQ(o.exit.code(), 0);
}

TEST_F(DaemonTest, ExecTimeoutKillsTheProcess) {
  CreateStarted("slow");
  auto stub = Stub();
  api::ExecStart start = StartOf("slow", {"sleep", "100"});
  start.set_timeout_seconds(0.3);
  ExecOutcome o = ExecStream(stub.get(), start, {});
  ASSERT_TRUE(o.status.ok()) << o.status.error_message();
  ASSERT_TRUE(o.got_exit);
  EXPECT_TRUE(o.exit.timed_out());
  EXPECT_EQ(o.exit.signal(), SIGKILL);
}

TEST_F(DaemonTest, ExecLargeOutputArrivesWhole) {
  CreateStarted("big");
  auto stub = Stub();
  ExecOutcome o = ExecStream(stub.get(), StartOf("big", {"head", "-c", "5000000", "/dev/zero"}), {});
  ASSERT_TRUE(o.status.ok()) << o.status.error_message();
  EXPECT_EQ(o.out.size(), 5000000u);
  EXPECT_EQ(o.exit.code(), 0);
}

TEST_F(DaemonTest, ExecProtocolErrorsAreInvalidArgument) {
  auto stub = Stub();
  grpc::ClientContext ctx;
  auto stream = stub->Exec(&ctx);
  stream->Write(Stdin("too early"));
  stream->WritesDone();
  api::ExecResponse r;
  EXPECT_FALSE(stream->Read(&r));
  grpc::Status s = stream->Finish();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("start:"));
  ExecOutcome unknown = ExecStream(stub.get(), StartOf("ghost", {"true"}), {});
  EXPECT_EQ(unknown.status.error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(DaemonTest, ExecClientThatGoesAwayLeavesNoProcess) {
  CreateStarted("gone");
  auto stub = Stub();
  {
    grpc::ClientContext ctx;
    auto stream = stub->Exec(&ctx);
    api::ExecRequest first;
    *first.mutable_start() = StartOf("gone", {"sleep", "1000"});
    stream->Write(first);
    api::ExecResponse r;
    ASSERT_TRUE(stream->Read(&r));
    ASSERT_TRUE(r.has_pid());
    ctx.TryCancel();
    EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::CANCELLED);
  }
  // Only the main process (sleep infinity) remains once the kill lands.
  // Every ListProcesses must answer at once: the daemon's control calls to
  // the sandbox never wait behind the cancelled call.
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  int count = -1;
  while (absl::Now() < deadline) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
    api::ListProcessesRequest req;
    req.set_id("gone");
    api::ListProcessesResponse ps;
    grpc::Status status = stub->ListProcesses(&ctx, req, &ps);
    ASSERT_TRUE(status.ok()) << status.error_message();
    count = ps.processes_size();
    if (count == 1) break;
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_EQ(count, 1);
}

TEST_F(DaemonTest, StdinThatIsNeverReadStallsNothingElse) {
  CreateStarted("deaf");
  auto stub = Stub();
  grpc::ClientContext ctx;
  auto stream = stub->Exec(&ctx);
  api::ExecRequest first;
  *first.mutable_start() = StartOf("deaf", {"sleep", "1000"});
  ASSERT_TRUE(stream->Write(first));
  api::ExecResponse r;
  ASSERT_TRUE(stream->Read(&r));
  ASSERT_TRUE(r.has_pid());
  // Far more than a pipe holds; the process never reads it. The writes
  // stop being taken once the pipe is full (flow control), so they run on
  // a thread of their own.
  std::thread writer([&] {
    api::ExecRequest chunk;
    chunk.set_stdin(std::string(64 * 1024, 'x'));
    for (int i = 0; i < 64 && stream->Write(chunk); ++i) {
    }
  });
  absl::SleepFor(absl::Milliseconds(300));
  // Meanwhile the daemon answers other calls, to the same sandbox too.
  for (int i = 0; i < 5; ++i) {
    grpc::ClientContext list_ctx;
    list_ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
    api::ListProcessesRequest req;
    req.set_id("deaf");
    api::ListProcessesResponse ps;
    grpc::Status status = stub->ListProcesses(&list_ctx, req, &ps);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(ps.processes_size(), 2);
  }
  api::RunResponse run;
  ASSERT_TRUE(Run("deaf", {"echo", "ok"}, &run).ok());
  EXPECT_EQ(run.stdout(), "ok\n");
  ctx.TryCancel();
  writer.join();
  EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::CANCELLED);
}

// Reads events until one of type `type` for sandbox `id`; returns them all.
std::vector<api::Event> ReadEventsUntil(grpc::ClientReader<api::Event>* reader,
                                        const std::string& id, const std::string& type) {
  std::vector<api::Event> seen;
  api::Event event;
  while (reader->Read(&event)) {
    seen.push_back(event);
    if (event.id() == id && event.type() == type) break;
  }
  return seen;
}

TEST_F(DaemonTest, EventsFollowTheLifecycleInOrder) {
  auto stub = Stub();
  grpc::ClientContext events_ctx;
  events_ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  auto reader = stub->Events(&events_ctx, api::EventsRequest());
  // The stream is open once the server has its headers; events before
  // that would not be seen.
  reader->WaitForInitialMetadata();

  grpc::ClientContext ctx;
  api::CreateSandboxRequest req;
  req.set_id("ev");
  for (const char* a : {"sh", "-c", "sleep 0.2; exit 3"}) req.mutable_host_template()->add_args(a);
  api::Sandbox created;
  ASSERT_TRUE(stub->CreateSandbox(&ctx, req, &created).ok());
  grpc::ClientContext ctx2;
  api::StartSandboxRequest start;
  start.set_id("ev");
  api::Sandbox started;
  ASSERT_TRUE(stub->StartSandbox(&ctx2, start, &started).ok());

  std::vector<api::Event> seen = ReadEventsUntil(reader.get(), "ev", "exited");
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].type(), "created");
  EXPECT_EQ(seen[0].pid(), created.pid());
  EXPECT_EQ(seen[1].type(), "started");
  EXPECT_EQ(seen[1].pid(), started.main_pid());
  EXPECT_EQ(seen[2].type(), "exited");
  EXPECT_EQ(seen[2].pid(), started.main_pid());
  EXPECT_EQ(seen[2].exit().code(), 3);
  EXPECT_FALSE(seen[2].exit().signaled());
  EXPECT_GT(seen[2].time_unix_seconds(), seen[0].time_unix_seconds());

  grpc::ClientContext ctx3;
  api::DeleteSandboxRequest del;
  del.set_id("ev");
  api::DeleteSandboxResponse deleted;
  ASSERT_TRUE(stub->DeleteSandbox(&ctx3, del, &deleted).ok());
  seen = ReadEventsUntil(reader.get(), "ev", "deleted");
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].type(), "deleted");
  events_ctx.TryCancel();
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
}

TEST_F(DaemonTest, EventsOfOneSandboxOnlyAndUnknownIdsAreNotFound) {
  CreateStarted("one");
  auto stub = Stub();
  {
    grpc::ClientContext ctx;
    api::EventsRequest req;
    req.set_id("ghost");
    auto reader = stub->Events(&ctx, req);
    api::Event event;
    EXPECT_FALSE(reader->Read(&event));
    grpc::Status status = reader->Finish();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
    EXPECT_THAT(status.error_message(), ::testing::HasSubstr("ghost"));
  }
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  api::EventsRequest req;
  req.set_id("one");
  auto reader = stub->Events(&ctx, req);
  reader->WaitForInitialMetadata();
  CreateStarted("other");
  grpc::ClientContext kill_ctx;
  api::SignalRequest sig;
  sig.set_id("one");
  sig.set_signal(SIGKILL);
  sig.set_all(true);
  api::SignalResponse sig_out;
  ASSERT_TRUE(stub->Signal(&kill_ctx, sig, &sig_out).ok());
  std::vector<api::Event> seen = ReadEventsUntil(reader.get(), "one", "exited");
  ASSERT_EQ(seen.size(), 1u);  // nothing of "other"
  EXPECT_TRUE(seen[0].exit().signaled());
  EXPECT_EQ(seen[0].exit().signal(), SIGKILL);
  ctx.TryCancel();
  reader->Finish();
}

// A tar of `entries` (file contents in `data`, by path).
std::string Tar(const std::vector<sandbox::TarEntry>& entries,
                const std::map<std::string, std::string>& data) {
  std::string out;
  sandbox::TarWriter writer([&out](absl::string_view piece) {
    out.append(piece.data(), piece.size());
    return absl::OkStatus();
  });
  for (const auto& e : entries) {
    EXPECT_TRUE(writer.WriteHeader(e).ok()) << e.path;
    auto it = data.find(e.path);
    if (it != data.end()) EXPECT_TRUE(writer.WriteData(it->second).ok());
  }
  EXPECT_TRUE(writer.Finish().ok());
  return out;
}

sandbox::TarEntry Entry(sandbox::TarEntry::Type type, const std::string& path, uint32_t mode,
                        uint64_t size = 0, const std::string& target = "") {
  sandbox::TarEntry e;
  e.type = type;
  e.path = path;
  e.mode = mode;
  e.size = size;
  e.link_target = target;
  e.uid = 1234;  // ignored: files belong to the container's root
  return e;
}

grpc::Status CopyIn(api::Sandboxes::Stub* stub, const std::string& id, const std::string& dest,
                    const std::string& tar, api::CopyInResponse* out) {
  grpc::ClientContext ctx;
  auto writer = stub->CopyIn(&ctx, out);
  api::CopyInRequest start;
  start.mutable_start()->set_id(id);
  start.mutable_start()->set_path(dest);
  writer->Write(start);
  // In uneven pieces, as a client's reads would come.
  for (size_t at = 0; at < tar.size(); at += 700) {
    api::CopyInRequest piece;
    piece.set_data(tar.substr(at, 700));
    if (!writer->Write(piece)) break;
  }
  writer->WritesDone();
  return writer->Finish();
}

struct Collected : sandbox::TarReader::Handler {
  std::vector<sandbox::TarEntry> entries;
  std::map<std::string, std::string> data;
  absl::Status OnEntry(const sandbox::TarEntry& e) override {
    entries.push_back(e);
    return absl::OkStatus();
  }
  absl::Status OnData(absl::string_view d) override {
    data[entries.back().path].append(d.data(), d.size());
    return absl::OkStatus();
  }
  absl::Status OnEntryEnd() override { return absl::OkStatus(); }
};

grpc::Status CopyOut(api::Sandboxes::Stub* stub, const std::string& id, const std::string& path,
                     Collected* out) {
  grpc::ClientContext ctx;
  api::CopyOutRequest req;
  req.set_id(id);
  req.set_path(path);
  auto reader = stub->CopyOut(&ctx, req);
  sandbox::TarReader tar(out);
  api::CopyOutResponse piece;
  while (reader->Read(&piece)) EXPECT_TRUE(tar.Feed(piece.data()).ok());
  grpc::Status status = reader->Finish();
  if (status.ok()) EXPECT_TRUE(tar.Finish().ok());
  return status;
}

TEST_F(DaemonTest, CopyInThenCopyOutRoundTripsATree) {
  CreateStarted("files");
  auto stub = Stub();
  using T = sandbox::TarEntry::Type;
  const std::string big(300000, 'z');
  std::string tar = Tar({Entry(T::kDirectory, "d", 0750), Entry(T::kFile, "d/hello.txt", 0640, 3),
                         Entry(T::kSymlink, "d/link", 0777, 0, "hello.txt"),
                         Entry(T::kFile, "d/sub/big", 0600, big.size())},
                        {{"d/hello.txt", "hi\n"}, {"d/sub/big", big}});
  api::CopyInResponse in;
  grpc::Status status = CopyIn(stub.get(), "files", "/tmp", tar, &in);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(in.entries(), 4u);
  EXPECT_EQ(in.bytes(), 3u + big.size());
  api::RunResponse run;
  ASSERT_TRUE(Run("files", {"sh", "-c", "cat /tmp/d/link; stat -c '%u %g %a %n' /tmp/d /tmp/d/hello.txt"},
                  &run)
                  .ok());
  EXPECT_EQ(run.stdout(), "hi\n0 0 750 /tmp/d\n0 0 640 /tmp/d/hello.txt\n") << run.stderr();

  Collected out;
  status = CopyOut(stub.get(), "files", "/tmp/d", &out);
  ASSERT_TRUE(status.ok()) << status.error_message();
  std::vector<std::string> paths;
  for (const auto& e : out.entries) paths.push_back(e.path);
  EXPECT_THAT(paths, ::testing::ElementsAre("d", "d/hello.txt", "d/link", "d/sub", "d/sub/big"));
  EXPECT_EQ(out.data["d/hello.txt"], "hi\n");
  EXPECT_EQ(out.data["d/sub/big"], big);
  EXPECT_EQ(out.entries[1].uid, 0u);  // the container's ids, not the host's
  EXPECT_EQ(out.entries[1].mode, 0640u);
  EXPECT_EQ(out.entries[2].type, T::kSymlink);
  EXPECT_EQ(out.entries[2].link_target, "hello.txt");
}

TEST_F(DaemonTest, CopyStaysInsideTheContainerWhateverItsSymlinksSay) {
  CreateStarted("jail");
  auto stub = Stub();
  // The workload points symlinks at host-looking paths; the host's copy of
  // that path must never be touched.
  const std::string name = absl::StrCat("runsc-escape-", getpid());
  const std::string host_dir = "/tmp/" + name;
  ASSERT_NE(access(host_dir.c_str(), F_OK), 0);
  api::RunResponse run;
  ASSERT_TRUE(Run("jail", {"sh", "-c",
                           absl::StrCat("mkdir /tmp/", name, " && ln -s /tmp/", name,
                                        " /tmp/link && ln -s / /tmp/up && ln -s /proc/1/root /tmp/magic")},
                  &run)
                  .ok());
  ASSERT_EQ(run.status().code(), 0) << run.stderr();
  using T = sandbox::TarEntry::Type;
  api::CopyInResponse in;
  // The destination resolves through the symlink, inside the container.
  grpc::Status status =
      CopyIn(stub.get(), "jail", "/tmp/link", Tar({Entry(T::kFile, "f", 0644, 2)}, {{"f", "x\n"}}), &in);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_NE(access(host_dir.c_str(), F_OK), 0) << "CopyIn wrote to the host";
  ASSERT_TRUE(Run("jail", {"cat", absl::StrCat("/tmp/", name, "/f")}, &run).ok());
  EXPECT_EQ(run.stdout(), "x\n");
  // "up/etc/x": a symlink in the middle of an entry's path is never followed.
  status = CopyIn(stub.get(), "jail", "/tmp", Tar({Entry(T::kFile, "up/etc/x", 0644, 1)}, {{"up/etc/x", "x"}}),
                  &in);
  EXPECT_FALSE(status.ok());
  // A magic link is no way out either.
  status = CopyIn(stub.get(), "jail", "/tmp/magic", Tar({Entry(T::kFile, "y", 0644, 1)}, {{"y", "y"}}), &in);
  EXPECT_FALSE(status.ok());
  // An entry replaces a symlink, it does not write through it.
  status = CopyIn(stub.get(), "jail", "/tmp", Tar({Entry(T::kFile, "link", 0644, 1)}, {{"link", "l"}}), &in);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_TRUE(Run("jail", {"sh", "-c", "cat /tmp/link; test -L /tmp/link || echo ' plain'"}, &run).ok());
  EXPECT_EQ(run.stdout(), "l plain\n");
  // CopyOut copies a symlink as one, not what it points to.
  Collected out;
  ASSERT_TRUE(CopyOut(stub.get(), "jail", "/tmp/up", &out).ok());
  ASSERT_EQ(out.entries.size(), 1u);
  EXPECT_EQ(out.entries[0].type, T::kSymlink);
  EXPECT_EQ(out.entries[0].link_target, "/");
}

TEST_F(DaemonTest, CopyErrorsGetTheRightCodes) {
  CreateStarted("cp");
  auto stub = Stub();
  api::CopyInResponse in;
  EXPECT_EQ(CopyIn(stub.get(), "ghost", "/tmp", "", &in).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(CopyIn(stub.get(), "cp", "", "", &in).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(CopyIn(stub.get(), "cp", "/nowhere", "", &in).error_code(), grpc::StatusCode::NOT_FOUND);
  // A hostile archive: ".." gets INVALID_ARGUMENT naming the entry.
  std::string evil = Tar({Entry(sandbox::TarEntry::Type::kFile, "a", 0644, 1)}, {{"a", "a"}});
  evil.replace(0, 4, "../x");  // the name field; fix the checksum to match
  unsigned sum = 0;
  for (size_t i = 0; i < 512; ++i) sum += (i >= 148 && i < 156) ? ' ' : static_cast<unsigned char>(evil[i]);
  char field[8];
  snprintf(field, sizeof(field), "%06o", sum);
  evil.replace(148, 7, std::string(field, 6) + '\0');
  grpc::Status status = CopyIn(stub.get(), "cp", "/tmp", evil, &in);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr(".."));
  Collected out;
  EXPECT_EQ(CopyOut(stub.get(), "cp", "/tmp/none", &out).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(CopyOut(stub.get(), "cp", "", &out).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  // A read-only root refuses writes, with the errno's code.
  status = CopyIn(stub.get(), "cp", "/", Tar({Entry(sandbox::TarEntry::Type::kFile, "z", 0644, 1)}, {{"z", "z"}}),
                  &in);
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(status.error_message(), HasSubstr("EROFS"));
}

TEST_F(DaemonTest, SigtermEndsEventStreamsWithUnavailable) {
  auto stub = Stub();
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  auto reader = stub->Events(&ctx, api::EventsRequest());
  reader->WaitForInitialMetadata();
  const absl::Time before = absl::Now();
  int status = StopDaemon(SIGTERM);
  // The open stream does not hold the daemon's 5 s grace period.
  EXPECT_LT(absl::Now() - before, absl::Seconds(3));
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  api::Event event;
  EXPECT_FALSE(reader->Read(&event));
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::UNAVAILABLE);
  StartDaemon();  // for the fixture's teardown
}

TEST_F(DaemonTest, SigtermStopsGracefullyAndSandboxesKeepRunning) {
  api::Sandbox started = CreateStarted("stays");
  int status = StopDaemon(SIGTERM);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  struct stat st;
  EXPECT_NE(stat(socket_.c_str(), &st), 0) << "socket left behind";
  EXPECT_EQ(kill(started.pid(), 0), 0);
  StartDaemon();
  api::RunResponse run;
  ASSERT_TRUE(Run("stays", {"echo", "ok"}, &run).ok());
  EXPECT_EQ(run.stdout(), "ok\n");
}

}  // namespace
}  // namespace runsc::testing
