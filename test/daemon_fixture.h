// The fixture of the root daemon tests: a real `runsc daemon` process on a
// private state root and socket, and ways to reach its API.
#ifndef RUNSC_TEST_DAEMON_FIXTURE_H_
#define RUNSC_TEST_DAEMON_FIXTURE_H_

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "proto/api.grpc.pb.h"
#include "test/sandbox_test_util.h"

namespace runsc::testing {

namespace api = runsc::api::v1;

class DaemonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    socket_ = root_.path() + "/d.sock";
    state_ = root_.path() + "/state";
    StartDaemon();
  }
  void TearDown() override {
    if (daemon_ > 0) {
      // Delete what is left through the API, then stop the daemon. In
      // pages: a test may have made more than one response holds.
      auto stub = Stub();
      std::vector<std::string> left;
      api::ListSandboxesRequest req;
      req.set_page_size(100);
      api::ListSandboxesResponse list;
      do {
        grpc::ClientContext ctx;
        list.Clear();
        grpc::Status listed = stub->ListSandboxes(&ctx, req, &list);
        EXPECT_TRUE(listed.ok()) << listed.error_message();
        if (!listed.ok()) break;
        for (const auto& s : list.sandboxes()) left.push_back(s.id());
        req.set_page_token(list.next_page_token());
      } while (!list.next_page_token().empty());
      for (const std::string& id : left) {
        grpc::ClientContext c;
        api::DeleteSandboxRequest del;
        del.set_id(id);
        del.set_grace_seconds(0.1);
        api::DeleteSandboxResponse r;
        EXPECT_TRUE(stub->DeleteSandbox(&c, del, &r).ok()) << id;
      }
      StopDaemon(SIGTERM);
    }
    EXPECT_EQ(system(absl::StrCat("rm -rf ", root_.path(), "/*").c_str()), 0);
  }

  // `flags`: more daemon flags.
  void StartDaemon(const char* group = nullptr, const std::vector<std::string>& flags = {}) {
    std::vector<std::string> args = {"runsc", "--root", state_, "daemon", "--socket", socket_};
    if (group != nullptr) args.insert(args.end(), {"--group", group});
    args.insert(args.end(), flags.begin(), flags.end());
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    daemon_ = fork();
    if (daemon_ == 0) {
      execv(RunscPath().c_str(), argv.data());
      _exit(127);
    }
    ASSERT_GT(daemon_, 0);
    // Ready when health says SERVING. A check waits as long as the daemon
    // takes to accept it (its socket listens before it serves): one given
    // up on would leave its call in the socket's backlog, to reach the
    // daemon later, maybe as it stops, when gRPC 1.51's sync server can
    // abort on a call it is handed during its shutdown.
    const absl::Time deadline = absl::Now() + absl::Seconds(20);
    while (absl::Now() < deadline) {
      auto health = grpc::health::v1::Health::NewStub(Channel());
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
      grpc::health::v1::HealthCheckResponse response;
      if (health->Check(&ctx, {}, &response).ok() &&
          response.status() == grpc::health::v1::HealthCheckResponse::SERVING) {
        return;
      }
      absl::SleepFor(absl::Milliseconds(20));
    }
    FAIL() << "daemon did not become healthy";
  }

  // What a second daemon on this state root, given `flags`, says as it
  // refuses them; it must exit with status 2.
  std::string RefusedFlags(const std::string& flags) {
    const std::string err = root_.path() + "/err";
    const int status = system(absl::StrCat(RunscPath(), " --root ", state_, " daemon --socket ",
                                           root_.path(), "/other.sock ", flags, " 2>", err)
                                  .c_str());
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 2) << flags << ": " << status;
    return ReadFile(err);
  }

  int StopDaemon(int sig) {
    kill(daemon_, sig);
    int status = 0;
    waitpid(daemon_, &status, 0);
    daemon_ = 0;
    return status;
  }

  // What the state root holds for sandboxes: all of it but the binary on
  // huge pages, which a running daemon keeps there.
  std::vector<std::string> SandboxStateDirs() {
    std::vector<std::string> dirs = ListDir(state_);
    dirs.erase(std::remove(dirs.begin(), dirs.end(), ".binary"), dirs.end());
    return dirs;
  }

  std::shared_ptr<grpc::Channel> Channel() {
    return grpc::CreateChannel("unix:" + socket_, grpc::InsecureChannelCredentials());
  }
  std::unique_ptr<api::Sandboxes::Stub> Stub() { return api::Sandboxes::NewStub(Channel()); }

  // A host-template sandbox (`args`: its main process; empty: the
  // template's), created and not started.
  api::Sandbox CreateUnstarted(const std::string& id, const std::vector<std::string>& args = {}) {
    grpc::ClientContext ctx;
    api::CreateSandboxRequest req;
    req.set_id(id);
    for (const std::string& a : args) req.mutable_host_template()->add_args(a);
    req.mutable_host_template();
    api::Sandbox created;
    grpc::Status status = Stub()->CreateSandbox(&ctx, req, &created);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return created;
  }

  // How many sandboxes the daemon lists, asked again every 100 ms until
  // none is left or `within` has passed.
  int SandboxesLeftWithin(absl::Duration within) {
    const absl::Time deadline = absl::Now() + within;
    for (;;) {
      grpc::ClientContext ctx;
      api::ListSandboxesResponse list;
      grpc::Status status = Stub()->ListSandboxes(&ctx, {}, &list);
      EXPECT_TRUE(status.ok()) << status.error_message();
      if (!status.ok()) return -1;
      if (list.sandboxes_size() == 0 || absl::Now() >= deadline) return list.sandboxes_size();
      absl::SleepFor(absl::Milliseconds(100));
    }
  }

  api::Sandbox CreateStarted(const std::string& id, const std::vector<std::string>& args = {}) {
    CreateUnstarted(id, args);
    grpc::ClientContext ctx;
    api::StartSandboxRequest start;
    start.set_id(id);
    api::Sandbox started;
    grpc::Status status = Stub()->StartSandbox(&ctx, start, &started);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return started;
  }

  grpc::Status Signal(const std::string& id, int pid, int signal) {
    auto stub = Stub();
    grpc::ClientContext ctx;
    api::SignalRequest req;
    req.set_id(id);
    req.set_pid(pid);
    req.set_signal(signal);
    api::SignalResponse response;
    return stub->Signal(&ctx, req, &response);
  }

  grpc::Status Delete(const std::string& id) {
    grpc::ClientContext ctx;
    api::DeleteSandboxRequest req;
    req.set_id(id);
    api::DeleteSandboxResponse response;
    return Stub()->DeleteSandbox(&ctx, req, &response);
  }

  // ListProcesses of sandbox `id`, the call given `timeout`.
  grpc::Status ListProcesses(const std::string& id, api::ListProcessesResponse* response,
                             std::chrono::seconds timeout = std::chrono::seconds(20)) {
    auto stub = Stub();
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + timeout);
    api::ListProcessesRequest req;
    req.set_id(id);
    return stub->ListProcesses(&ctx, req, response);
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

// The events `reader` sends, up to the first of `type` for sandbox `id`
// (all of them if the stream ends first).
inline std::vector<api::Event> ReadEventsUntil(grpc::ClientReader<api::Event>* reader,
                                               const std::string& id, const std::string& type) {
  std::vector<api::Event> seen;
  api::Event event;
  while (reader->Read(&event)) {
    seen.push_back(event);
    if (event.id() == id && event.type() == type) break;
  }
  return seen;
}

// The first message of an Exec stream: run `args` in sandbox `id`.
inline api::ExecStart StartOf(const std::string& id, const std::vector<std::string>& args) {
  api::ExecStart start;
  start.set_id(id);
  for (const auto& a : args) start.mutable_process()->add_args(a);
  return start;
}

using ExecClientStream = grpc::ClientReaderWriter<api::ExecRequest, api::ExecResponse>;

// Opens an Exec stream on `ctx` that runs `start`, and reads its first
// message; nullptr unless the start was sent and that message is the pid.
inline std::unique_ptr<ExecClientStream> OpenExec(api::Sandboxes::Stub& stub,
                                                  grpc::ClientContext& ctx,
                                                  const api::ExecStart& start) {
  std::unique_ptr<ExecClientStream> stream = stub.Exec(&ctx);
  api::ExecRequest first;
  *first.mutable_start() = start;
  api::ExecResponse r;
  if (!stream->Write(first) || !stream->Read(&r) || !r.has_pid()) return nullptr;
  return stream;
}

// An Exec stream a test holds open: its context, then the stream on it.
struct HeldExec {
  grpc::ClientContext ctx;
  std::unique_ptr<ExecClientStream> stream;
  // Cancels it and waits for its end.
  void Close() {
    ctx.TryCancel();
    if (stream != nullptr) (void)stream->Finish();
  }
};

}  // namespace runsc::testing

#endif  // RUNSC_TEST_DAEMON_FIXTURE_H_
