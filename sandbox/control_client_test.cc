// RunToExit against stand-ins for a sandbox: one that runs processes over
// its stdio socket (this build), and, for sandboxes of builds before that, a
// stdio socket that files fds under a token of its own (as a sandbox does
// for a caller that chose none, and as builds before chosen tokens always
// do) with a Control service that either has no Run (a build before it) or
// files the stdio too late for Run's wait.
#include "sandbox/control_client.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "google/protobuf/wrappers.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "runsc/util/packet.h"

namespace runsc::sandbox {
namespace {

using runsc::control::v1::Control;
using util::UniqueFd;

constexpr char kTheirToken[] = "0123456789abcdef0123456789abcdef";

// A stdio socket's stand-in: SEQPACKET, listening at `path`.
UniqueFd Listen(const std::string& path) {
  UniqueFd listener(socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  struct sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  path.copy(addr.sun_path, sizeof(addr.sun_path) - 1);
  EXPECT_EQ(bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  EXPECT_EQ(listen(listener.get(), 1), 0);
  return listener;
}

// One hand-off on a SEQPACKET socket: receives the fds, answers with
// kTheirToken whatever the caller chose.
class FakeStdioSocket {
 public:
  explicit FakeStdioSocket(const std::string& path) : path_(path), listener_(Listen(path)) {
    thread_ = std::thread([this] {
      UniqueFd conn(accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
      google::protobuf::StringValue chosen;
      std::vector<UniqueFd> fds;
      if (!conn || !util::RecvPacket(conn.get(), &chosen, &fds).ok()) return;
      absl::MutexLock lock(&mu_);
      chosen_ = chosen.value();
      fds_ = fds.size();
      google::protobuf::StringValue answer;
      answer.set_value(kTheirToken);
      (void)util::SendPacket(conn.get(), answer);
    });
  }
  ~FakeStdioSocket() { thread_.join(); }
  std::string chosen() {
    absl::MutexLock lock(&mu_);
    return chosen_;
  }
  size_t fds() {
    absl::MutexLock lock(&mu_);
    return fds_;
  }

 private:
  std::string path_;
  UniqueFd listener_;
  std::thread thread_;
  absl::Mutex mu_;
  std::string chosen_ ABSL_GUARDED_BY(mu_);
  size_t fds_ ABSL_GUARDED_BY(mu_) = 0;
};

// A sandbox of a build before Run: Exec and Wait only (Run is
// UNIMPLEMENTED), and its stdio filed under its own token.
class BeforeRun final : public Control::Service {
 public:
  grpc::Status Exec(grpc::ServerContext*, const runsc::control::v1::ExecRequest* request,
                    runsc::control::v1::ExecResponse* response) override {
    if (request->stdio_token() != kTheirToken) {
      return grpc::Status(grpc::StatusCode::NOT_FOUND, "stdio_token: unknown");
    }
    response->set_pid(7);
    return grpc::Status::OK;
  }
  grpc::Status Wait(grpc::ServerContext*, const runsc::control::v1::WaitRequest* request,
                    runsc::control::v1::WaitResponse* response) override {
    if (request->pid() != 7) return grpc::Status(grpc::StatusCode::NOT_FOUND, "pid");
    response->mutable_status()->set_code(3);
    return grpc::Status::OK;
  }
};

// A sandbox whose loop filed the stdio after Run's wait: NOT_FOUND for the
// token in flight, then the answered token works.
class LateStdio final : public Control::Service {
 public:
  grpc::Status Run(grpc::ServerContext*, const runsc::control::v1::RunRequest* request,
                   runsc::control::v1::RunResponse* response) override {
    absl::MutexLock lock(&mu_);
    ++calls_;
    if (request->stdio_in_flight() || request->stdio_token() != kTheirToken) {
      return grpc::Status(grpc::StatusCode::NOT_FOUND,
                          "stdio_token: '" + request->stdio_token() + "' is unknown");
    }
    response->set_pid(9);
    response->mutable_status()->set_code(5);
    return grpc::Status::OK;
  }
  int calls() {
    absl::MutexLock lock(&mu_);
    return calls_;
  }

 private:
  absl::Mutex mu_;
  int calls_ ABSL_GUARDED_BY(mu_) = 0;
};

class RunToExitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/control_client_test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    if (server_ != nullptr) server_->Shutdown();
    unlink((dir_ + "/control.sock").c_str());
    unlink((dir_ + "/stdio.sock").c_str());
    rmdir(dir_.c_str());
  }
  // A getter for a call that must not need the Control client: sets
  // `*made` if it is asked for one.
  static ControlGetter Unreachable(bool* made) {
    return [made]() -> absl::StatusOr<std::shared_ptr<ControlClient>> {
      *made = true;
      return absl::UnavailableError("no Control service here");
    };
  }
  static ControlGetter Getter(std::shared_ptr<ControlClient> client) {
    return [client]() -> absl::StatusOr<std::shared_ptr<ControlClient>> { return client; };
  }
  std::shared_ptr<ControlClient> Serve(Control::Service* service) {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("unix:" + dir_ + "/control.sock", grpc::InsecureServerCredentials());
    builder.RegisterService(service);
    server_ = builder.BuildAndStart();
    EXPECT_NE(server_, nullptr);
    return std::make_shared<ControlClient>(dir_ + "/control.sock");
  }
  std::vector<UniqueFd> Stdio() {
    int p[2];
    EXPECT_EQ(pipe2(p, O_CLOEXEC), 0);
    std::vector<UniqueFd> fds;
    fds.emplace_back(p[0]);
    fds.emplace_back(p[1]);
    fds.emplace_back(dup(p[1]));
    return fds;
  }
  runsc::boot::v1::ProcessConfig Process() {
    runsc::boot::v1::ProcessConfig process;
    process.add_args("/bin/true");
    return process;
  }

  std::string dir_;
  std::unique_ptr<grpc::Server> server_;
};

TEST_F(RunToExitTest, ASandboxBeforeRunsAndRunGetsExecAndWaitWithItsOwnToken) {
  BeforeRun service;
  std::shared_ptr<ControlClient> client = Serve(&service);
  FakeStdioSocket stdio(dir_ + "/stdio.sock");
  absl::StatusOr<RunOutcome> outcome = RunToExit(Getter(client), dir_ + "/stdio.sock", Process(),
                                                 Stdio(), absl::Seconds(10), absl::Seconds(1));
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_EQ(outcome->status.code(), 3);
  EXPECT_FALSE(outcome->timed_out);
  EXPECT_EQ(stdio.fds(), 3u);
  EXPECT_TRUE(stdio.chosen().empty()) << "a run names no token";
}

TEST_F(RunToExitTest, ASandboxBeforeRunsGetsControlRunWithTheAnsweredToken) {
  LateStdio service;
  std::shared_ptr<ControlClient> client = Serve(&service);
  FakeStdioSocket stdio(dir_ + "/stdio.sock");
  absl::StatusOr<RunOutcome> outcome = RunToExit(Getter(client), dir_ + "/stdio.sock", Process(),
                                                 Stdio(), absl::Seconds(10), absl::Seconds(1));
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_EQ(outcome->status.code(), 5);
  EXPECT_EQ(service.calls(), 1);
}

// A process too large for a packet goes the Control.Run way, under a token
// of ours; filed too late for Run's wait, it is named by the answered one.
TEST_F(RunToExitTest, StdioFiledTooLateForRunsWaitIsNamedByTheAnsweredToken) {
  LateStdio service;
  std::shared_ptr<ControlClient> client = Serve(&service);
  FakeStdioSocket stdio(dir_ + "/stdio.sock");
  runsc::boot::v1::ProcessConfig large = Process();
  large.add_env("BIG=" + std::string(util::kMaxPacketSize, 'x'));
  absl::StatusOr<RunOutcome> outcome = RunToExit(Getter(client), dir_ + "/stdio.sock", large,
                                                 Stdio(), absl::Seconds(10), absl::Seconds(1));
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_EQ(outcome->status.code(), 5);
  EXPECT_EQ(service.calls(), 2);
  EXPECT_EQ(stdio.chosen().size(), 32u) << "the caller chose a token of its own";
}

// A sandbox of this build: one request on its stdio socket, answered by
// `answer` (given the request, and the connection to read more from).
class FakeSandboxSocket {
 public:
  using AnswerFn = std::function<runsc::control::v1::StdioAnswer(
      const runsc::control::v1::StdioRequest& request, size_t fds, int conn)>;
  FakeSandboxSocket(const std::string& path, AnswerFn answer) : listener_(Listen(path)) {
    thread_ = std::thread([this, answer] {
      UniqueFd conn(accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
      runsc::control::v1::StdioRequest request;
      std::vector<UniqueFd> fds;
      if (!conn || !util::RecvPacket(conn.get(), &request, &fds).ok()) return;
      (void)util::SendPacket(conn.get(), answer(request, fds.size(), conn.get()));
    });
  }
  ~FakeSandboxSocket() { thread_.join(); }

 private:
  UniqueFd listener_;
  std::thread thread_;
};

// An AnswerFn for runs: `result` gives the run's result.
using RunResultFn = std::function<runsc::control::v1::StdioRunResult(
    const runsc::control::v1::RunRequest& run, size_t fds, int conn)>;
FakeSandboxSocket::AnswerFn Runs(RunResultFn result) {
  return [result](const runsc::control::v1::StdioRequest& request, size_t fds, int conn) {
    runsc::control::v1::StdioAnswer answer;
    *answer.mutable_run() = result(request.run(), fds, conn);
    return answer;
  };
}

TEST_F(RunToExitTest, ARunOverTheStdioSocketNeedsNoControlCall) {
  // No Control client is even made: the run must not need one.
  bool made = false;
  ControlGetter control = Unreachable(&made);
  FakeSandboxSocket stdio(dir_ + "/stdio.sock",
                          Runs([](const runsc::control::v1::RunRequest& run, size_t fds, int) {
                            runsc::control::v1::StdioRunResult result;
                            result.mutable_response()->set_pid(11);
                            result.mutable_response()->mutable_status()->set_code(
                                fds == 3 && run.process().args(0) == "/bin/true" ? 4 : 99);
                            return result;
                          }));
  absl::StatusOr<RunOutcome> outcome = RunToExit(control, dir_ + "/stdio.sock", Process(), Stdio(),
                                                 absl::Seconds(10), absl::Seconds(1));
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_EQ(outcome->status.code(), 4);
  EXPECT_FALSE(outcome->timed_out);
  EXPECT_FALSE(made) << "the run dialled the sandbox's Control service";
}

TEST_F(RunToExitTest, AtTheTimeoutTheCallerAsksForTheKillAndWaitsForTheEnd) {
  auto client = std::make_shared<ControlClient>(dir_ + "/control.sock");
  FakeSandboxSocket stdio(dir_ + "/stdio.sock",
                          Runs([](const runsc::control::v1::RunRequest&, size_t, int conn) {
                            // Nothing ends until the caller's packet.
                            runsc::control::v1::StdioRequest kill;
                            const bool asked = util::RecvPacket(conn, &kill).ok();
                            runsc::control::v1::StdioRunResult result;
                            result.mutable_response()->mutable_status()->set_signaled(asked);
                            result.mutable_response()->mutable_status()->set_signal(SIGKILL);
                            return result;
                          }));
  absl::StatusOr<RunOutcome> outcome =
      RunToExit(Getter(client), dir_ + "/stdio.sock", Process(), Stdio(), absl::Milliseconds(100),
                absl::Seconds(5));
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_TRUE(outcome->timed_out);
  EXPECT_TRUE(outcome->status.signaled());
}

TEST_F(RunToExitTest, ARunTheSandboxCannotStartFailsWithItsReason) {
  auto client = std::make_shared<ControlClient>(dir_ + "/control.sock");
  FakeSandboxSocket stdio(
      dir_ + "/stdio.sock", Runs([](const runsc::control::v1::RunRequest&, size_t, int) {
        runsc::control::v1::StdioRunResult result;
        result.set_code(static_cast<int>(absl::StatusCode::kFailedPrecondition));
        result.set_message("the container is not running");
        return result;
      }));
  absl::StatusOr<RunOutcome> outcome = RunToExit(Getter(client), dir_ + "/stdio.sock", Process(),
                                                 Stdio(), absl::Seconds(10), absl::Seconds(1));
  EXPECT_EQ(outcome.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(outcome.status().message(), "the container is not running");
}

// A start over the stdio socket: the pid, or why not, with no Control
// client made.
TEST_F(RunToExitTest, AStartOverTheStdioSocketAnswersThePidWithoutControl) {
  bool made = false;
  ControlGetter control = Unreachable(&made);
  std::vector<UniqueFd> fds = Stdio();
  {
    FakeSandboxSocket stdio(
        dir_ + "/stdio.sock", [](const runsc::control::v1::StdioRequest& request, size_t fds, int) {
          runsc::control::v1::StdioAnswer answer;
          answer.mutable_start()->set_pid(request.has_start() && fds == 3 ? 1 : 99);
          return answer;
        });
    absl::StatusOr<int> pid = StartOnStdioSocket(control, dir_ + "/stdio.sock",
                                                 {fds[0].get(), fds[1].get(), fds[2].get()});
    ASSERT_TRUE(pid.ok()) << pid.status();
    EXPECT_EQ(*pid, 1);
  }
  unlink((dir_ + "/stdio.sock").c_str());
  FakeSandboxSocket refusing(
      dir_ + "/stdio.sock", [](const runsc::control::v1::StdioRequest&, size_t, int) {
        runsc::control::v1::StdioAnswer answer;
        answer.mutable_start()->set_code(static_cast<int>(absl::StatusCode::kFailedPrecondition));
        answer.mutable_start()->set_message("already been started");
        return answer;
      });
  absl::StatusOr<int> again =
      StartOnStdioSocket(control, dir_ + "/stdio.sock", {fds[0].get(), fds[1].get(), fds[2].get()});
  EXPECT_EQ(again.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(again.status().message(), "already been started");
  EXPECT_FALSE(made) << "the start dialled the sandbox's Control service";
}

// A sandbox of a build before starts over the socket takes the packet for
// a hand-off; Control.Start names its token.
class StartsWithToken final : public Control::Service {
 public:
  grpc::Status Start(grpc::ServerContext*, const runsc::control::v1::StartRequest* request,
                     runsc::control::v1::StartResponse* response) override {
    if (request->stdio_token() != kTheirToken || request->hold()) {
      return grpc::Status(grpc::StatusCode::NOT_FOUND, "stdio_token: unknown");
    }
    response->set_pid(13);
    return grpc::Status::OK;
  }
};

TEST_F(RunToExitTest, ASandboxBeforeStartsGetsControlStartWithTheAnsweredToken) {
  StartsWithToken service;
  std::shared_ptr<ControlClient> client = Serve(&service);
  FakeStdioSocket stdio(dir_ + "/stdio.sock");
  std::vector<UniqueFd> fds = Stdio();
  absl::StatusOr<int> pid = StartOnStdioSocket(Getter(client), dir_ + "/stdio.sock",
                                               {fds[0].get(), fds[1].get(), fds[2].get()});
  ASSERT_TRUE(pid.ok()) << pid.status();
  EXPECT_EQ(*pid, 13);
  EXPECT_EQ(stdio.fds(), 3u);
}

// runc's create and start over the stdio socket: the create's packet says
// hold and carries the stdio, the start's carries no fds; neither dials.
TEST_F(RunToExitTest, ACreateAndItsStartGoOverTheStdioSocket) {
  bool made = false;
  std::vector<UniqueFd> fds = Stdio();
  auto answer_by_form = [](const runsc::control::v1::StdioRequest& request, size_t fds, int) {
    runsc::control::v1::StdioAnswer answer;
    const bool hold = request.start().hold();
    answer.mutable_start()->set_pid(!request.has_start() ? 99
                                    : hold && fds == 3   ? 5
                                    : !hold && fds == 0  ? 6
                                                         : 98);
    return answer;
  };
  {
    FakeSandboxSocket stdio(dir_ + "/stdio.sock", answer_by_form);
    absl::StatusOr<int> pid = StartOnStdioSocket(Unreachable(&made), dir_ + "/stdio.sock",
                                                 {fds[0].get(), fds[1].get(), fds[2].get()},
                                                 /*hold=*/true);
    ASSERT_TRUE(pid.ok()) << pid.status();
    EXPECT_EQ(*pid, 5);
  }
  unlink((dir_ + "/stdio.sock").c_str());
  FakeSandboxSocket stdio(dir_ + "/stdio.sock", answer_by_form);
  absl::StatusOr<int> released = StartOnStdioSocket(Unreachable(&made), dir_ + "/stdio.sock", {});
  ASSERT_TRUE(released.ok()) << released.status();
  EXPECT_EQ(*released, 6);
  EXPECT_FALSE(made) << "the create or the start dialled the sandbox's Control service";
}

// A sandbox of a build before releases: Control.Start("") lets its held
// process run, and so do Create and Start for a build before starts on the
// stdio socket.
class StartsHeld final : public Control::Service {
 public:
  grpc::Status Start(grpc::ServerContext*, const runsc::control::v1::StartRequest* request,
                     runsc::control::v1::StartResponse* response) override {
    if (request->stdio_token().empty() && !request->hold()) {
      response->set_pid(21);  // the held process, released
    } else if (request->stdio_token() == kTheirToken && request->hold()) {
      response->set_pid(20);  // created held
    } else {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "not a create or a release");
    }
    return grpc::Status::OK;
  }
};

TEST_F(RunToExitTest, ReleasesOfOlderBuildsGoThroughControlStart) {
  StartsHeld service;
  std::shared_ptr<ControlClient> client = Serve(&service);
  // A build with starts but not releases took the release for a start
  // with no stdio, and refused it so.
  {
    FakeSandboxSocket stdio(
        dir_ + "/stdio.sock", [](const runsc::control::v1::StdioRequest&, size_t, int) {
          runsc::control::v1::StdioAnswer answer;
          answer.mutable_start()->set_code(static_cast<int>(absl::StatusCode::kFailedPrecondition));
          answer.mutable_start()->set_message(
              "the container is created; start it with neither stdio_token nor hold");
          return answer;
        });
    absl::StatusOr<int> pid = StartOnStdioSocket(Getter(client), dir_ + "/stdio.sock", {});
    ASSERT_TRUE(pid.ok()) << pid.status();
    EXPECT_EQ(*pid, 21);
  }
  // A build before starts refused a hand-off without fds.
  unlink((dir_ + "/stdio.sock").c_str());
  {
    FakeSandboxSocket stdio(dir_ + "/stdio.sock",
                            [](const runsc::control::v1::StdioRequest& request, size_t, int) {
                              return runsc::control::v1::StdioAnswer();
                            });
    absl::StatusOr<int> pid = StartOnStdioSocket(Getter(client), dir_ + "/stdio.sock", {});
    ASSERT_TRUE(pid.ok()) << pid.status();
    EXPECT_EQ(*pid, 21);
  }
  // And its create is Control.Start{hold} with the answered token.
  unlink((dir_ + "/stdio.sock").c_str());
  FakeStdioSocket stdio(dir_ + "/stdio.sock");
  std::vector<UniqueFd> fds = Stdio();
  absl::StatusOr<int> created =
      StartOnStdioSocket(Getter(client), dir_ + "/stdio.sock",
                         {fds[0].get(), fds[1].get(), fds[2].get()}, /*hold=*/true);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(*created, 20);
}

// Any other refusal of a release is the answer: no Control call is made.
TEST_F(RunToExitTest, ARefusedReleaseIsTheAnswer) {
  bool made = false;
  FakeSandboxSocket stdio(
      dir_ + "/stdio.sock", [](const runsc::control::v1::StdioRequest&, size_t, int) {
        runsc::control::v1::StdioAnswer answer;
        answer.mutable_start()->set_code(static_cast<int>(absl::StatusCode::kFailedPrecondition));
        answer.mutable_start()->set_message("the container has already been started");
        return answer;
      });
  absl::StatusOr<int> pid = StartOnStdioSocket(Unreachable(&made), dir_ + "/stdio.sock", {});
  EXPECT_EQ(pid.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(pid.status().message(), "the container has already been started");
  EXPECT_FALSE(made);
}

// A signal over the stdio socket: one packet without fds, answered with
// whether it went; no Control client made.
TEST_F(RunToExitTest, ASignalGoesOverTheStdioSocket) {
  bool made = false;
  {
    FakeSandboxSocket stdio(
        dir_ + "/stdio.sock", [](const runsc::control::v1::StdioRequest& request, size_t fds, int) {
          runsc::control::v1::StdioAnswer answer;
          const auto& signal = request.signal();
          if (fds != 0 || signal.pid() != 4 || signal.signal() != SIGTERM || signal.all()) {
            answer.mutable_signal()->set_code(static_cast<int>(absl::StatusCode::kInternal));
          }
          answer.mutable_signal();
          return answer;
        });
    EXPECT_TRUE(SignalOnStdioSocket(Unreachable(&made), dir_ + "/stdio.sock", 4, SIGTERM).ok());
  }
  unlink((dir_ + "/stdio.sock").c_str());
  FakeSandboxSocket refusing(
      dir_ + "/stdio.sock", [](const runsc::control::v1::StdioRequest&, size_t, int) {
        runsc::control::v1::StdioAnswer answer;
        answer.mutable_signal()->set_code(static_cast<int>(absl::StatusCode::kNotFound));
        answer.mutable_signal()->set_message("pid: no process 4");
        return answer;
      });
  absl::Status refused = SignalOnStdioSocket(Unreachable(&made), dir_ + "/stdio.sock", 4, SIGKILL);
  EXPECT_EQ(refused.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(refused.message(), "pid: no process 4");
  EXPECT_FALSE(made) << "the signal dialled the sandbox's Control service";
}

// A sandbox of a build before signals on the stdio socket refuses the
// packet (a hand-off without fds); Control.Signal sends it.
class Signals final : public Control::Service {
 public:
  grpc::Status Signal(grpc::ServerContext*, const runsc::control::v1::SignalRequest* request,
                      runsc::control::v1::SignalResponse*) override {
    absl::MutexLock lock(&mu_);
    sent_ = absl::StrCat(request->pid(), ":", request->signal(), ":", request->all());
    return grpc::Status::OK;
  }
  std::string sent() {
    absl::MutexLock lock(&mu_);
    return sent_;
  }

 private:
  absl::Mutex mu_;
  std::string sent_ ABSL_GUARDED_BY(mu_);
};

TEST_F(RunToExitTest, ASandboxBeforeSignalsGetsControlSignal) {
  Signals service;
  std::shared_ptr<ControlClient> client = Serve(&service);
  FakeSandboxSocket stdio(dir_ + "/stdio.sock",
                          [](const runsc::control::v1::StdioRequest&, size_t, int) {
                            return runsc::control::v1::StdioAnswer();
                          });
  absl::Status sent =
      SignalOnStdioSocket(Getter(client), dir_ + "/stdio.sock", 0, SIGHUP, /*all=*/true);
  ASSERT_TRUE(sent.ok()) << sent;
  EXPECT_EQ(service.sent(), absl::StrCat("0:", SIGHUP, ":1"));
}

// A list over the stdio socket: the launcher's list, no Control client made;
// the sandbox's refusal is the answer.
TEST_F(RunToExitTest, AListGoesOverTheStdioSocket) {
  bool made = false;
  {
    FakeSandboxSocket stdio(dir_ + "/stdio.sock",
                            [](const runsc::control::v1::StdioRequest& request, size_t fds, int) {
                              runsc::control::v1::StdioAnswer answer;
                              if (!request.has_list() || fds != 0) return answer;
                              auto* p = answer.mutable_list()->mutable_response()->add_processes();
                              p->set_pid(1);
                              p->add_args("sleep");
                              p->set_main(true);
                              return answer;
                            });
    absl::StatusOr<runsc::control::v1::ListProcessesResponse> list =
        ListOnStdioSocket(Unreachable(&made), dir_ + "/stdio.sock");
    ASSERT_TRUE(list.ok()) << list.status();
    ASSERT_EQ(list->processes_size(), 1);
    EXPECT_EQ(list->processes(0).args(0), "sleep");
    EXPECT_TRUE(list->processes(0).main());
  }
  unlink((dir_ + "/stdio.sock").c_str());
  FakeSandboxSocket refusing(
      dir_ + "/stdio.sock", [](const runsc::control::v1::StdioRequest&, size_t, int) {
        runsc::control::v1::StdioAnswer answer;
        answer.mutable_list()->set_code(static_cast<int>(absl::StatusCode::kFailedPrecondition));
        answer.mutable_list()->set_message("no container in this sandbox");
        return answer;
      });
  absl::StatusOr<runsc::control::v1::ListProcessesResponse> refused =
      ListOnStdioSocket(Unreachable(&made), dir_ + "/stdio.sock");
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(refused.status().message(), "no container in this sandbox");
  EXPECT_FALSE(made) << "the list dialled the sandbox's Control service";
}

// Control.ListProcesses answers what the stdio socket cannot: a sandbox of
// a build before lists there (an empty answer), and a list too large for a
// packet.
class Lists final : public Control::Service {
 public:
  grpc::Status ListProcesses(grpc::ServerContext*, const runsc::control::v1::ListProcessesRequest*,
                             runsc::control::v1::ListProcessesResponse* response) override {
    response->add_processes()->set_pid(42);
    return grpc::Status::OK;
  }
};

TEST_F(RunToExitTest, ListsOfOlderBuildsAndLargeOnesGoThroughControl) {
  Lists service;
  std::shared_ptr<ControlClient> client = Serve(&service);
  for (bool too_large : {false, true}) {
    FakeSandboxSocket stdio(
        dir_ + "/stdio.sock", [too_large](const runsc::control::v1::StdioRequest&, size_t, int) {
          runsc::control::v1::StdioAnswer answer;
          if (too_large) {
            answer.mutable_list()->set_code(static_cast<int>(absl::StatusCode::kResourceExhausted));
          }
          return answer;
        });
    absl::StatusOr<runsc::control::v1::ListProcessesResponse> list =
        ListOnStdioSocket(Getter(client), dir_ + "/stdio.sock");
    ASSERT_TRUE(list.ok()) << list.status();
    ASSERT_EQ(list->processes_size(), 1);
    EXPECT_EQ(list->processes(0).pid(), 42) << (too_large ? "too large" : "older build");
    unlink((dir_ + "/stdio.sock").c_str());
  }
}

// A wait over the stdio socket: the pid at once, the exit later on the same
// connection; a refusal is the answer; a sandbox of a build before waits
// there (an empty answer) leaves no exit connection, for Control.Wait.
TEST_F(RunToExitTest, AWaitGoesOverTheStdioSocketAndItsExitFollows) {
  {
    FakeSandboxSocket stdio(
        dir_ + "/stdio.sock",
        [](const runsc::control::v1::StdioRequest& request, size_t fds, int conn) {
          runsc::control::v1::StdioAnswer answer;
          if (!request.has_wait() || fds != 0) return answer;
          answer.mutable_exec()->set_pid(request.wait().pid());
          EXPECT_TRUE(util::SendPacket(conn, answer).ok());
          answer.mutable_exec()->mutable_exit()->set_code(3);
          return answer;
        });
    absl::StatusOr<StartedExec> waiting = WaitOnStdioSocket(dir_ + "/stdio.sock", 12);
    ASSERT_TRUE(waiting.ok()) << waiting.status();
    EXPECT_EQ(waiting->pid, 12);
    ASSERT_TRUE(waiting->exit_conn);
    absl::StatusOr<runsc::control::v1::ExitStatus> exit =
        AwaitExecExit(*waiting, absl::Seconds(10));
    ASSERT_TRUE(exit.ok()) << exit.status();
    EXPECT_EQ(exit->code(), 3);
  }
  unlink((dir_ + "/stdio.sock").c_str());
  {
    FakeSandboxSocket refusing(
        dir_ + "/stdio.sock", [](const runsc::control::v1::StdioRequest&, size_t, int) {
          runsc::control::v1::StdioAnswer answer;
          answer.mutable_exec()->set_code(static_cast<int>(absl::StatusCode::kNotFound));
          answer.mutable_exec()->set_message("pid: no process 12");
          return answer;
        });
    absl::StatusOr<StartedExec> refused = WaitOnStdioSocket(dir_ + "/stdio.sock", 12);
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kNotFound);
    EXPECT_EQ(refused.status().message(), "pid: no process 12");
  }
  unlink((dir_ + "/stdio.sock").c_str());
  FakeSandboxSocket older(dir_ + "/stdio.sock",
                          [](const runsc::control::v1::StdioRequest&, size_t, int) {
                            return runsc::control::v1::StdioAnswer();
                          });
  absl::StatusOr<StartedExec> before = WaitOnStdioSocket(dir_ + "/stdio.sock", 12);
  ASSERT_TRUE(before.ok()) << before.status();
  EXPECT_FALSE(before->exit_conn);
}

// An exec over the stdio socket: the pid at its start, its exit later on
// the same connection; no Control client made.
TEST_F(RunToExitTest, AnExecGoesOverTheStdioSocketAndItsExitFollows) {
  bool made = false;
  std::vector<UniqueFd> fds = Stdio();
  FakeSandboxSocket stdio(dir_ + "/stdio.sock", [](const runsc::control::v1::StdioRequest& request,
                                                   size_t fds, int conn) {
    runsc::control::v1::StdioAnswer started;
    started.mutable_exec()->set_pid(
        request.exec().process().args(0) == "/bin/true" && fds == 3 ? 8 : 99);
    EXPECT_TRUE(util::SendPacket(conn, started).ok());
    runsc::control::v1::StdioAnswer ended;
    ended.mutable_exec()->set_pid(8);
    ended.mutable_exec()->mutable_exit()->set_code(4);
    return ended;
  });
  absl::StatusOr<StartedExec> exec =
      ExecOnStdioSocket(Unreachable(&made), dir_ + "/stdio.sock", Process(),
                        {fds[0].get(), fds[1].get(), fds[2].get()});
  ASSERT_TRUE(exec.ok()) << exec.status();
  EXPECT_EQ(exec->pid, 8);
  absl::StatusOr<runsc::control::v1::ExitStatus> exit = AwaitExecExit(*exec, absl::Seconds(10));
  ASSERT_TRUE(exit.ok()) << exit.status();
  EXPECT_EQ(exit->code(), 4);
  EXPECT_FALSE(made) << "the exec dialled the sandbox's Control service";
}

// The exec's refusal is the answer; a sandbox that goes before the exit,
// or an exit that does not come in time, is an error naming the process.
TEST_F(RunToExitTest, AnExecsRefusalAndAMissingExitAreErrors) {
  bool made = false;
  std::vector<UniqueFd> fds = Stdio();
  const std::vector<int> stdio = {fds[0].get(), fds[1].get(), fds[2].get()};
  {
    FakeSandboxSocket refusing(
        dir_ + "/stdio.sock", [](const runsc::control::v1::StdioRequest&, size_t, int) {
          runsc::control::v1::StdioAnswer answer;
          answer.mutable_exec()->set_code(static_cast<int>(absl::StatusCode::kFailedPrecondition));
          answer.mutable_exec()->set_message("the container is not running");
          return answer;
        });
    absl::StatusOr<StartedExec> exec =
        ExecOnStdioSocket(Unreachable(&made), dir_ + "/stdio.sock", Process(), stdio);
    EXPECT_EQ(exec.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_EQ(exec.status().message(), "the container is not running");
  }
  unlink((dir_ + "/stdio.sock").c_str());
  {
    // Started, then the connection ends with no exit: the sandbox went.
    FakeSandboxSocket gone(dir_ + "/stdio.sock",
                           [](const runsc::control::v1::StdioRequest&, size_t, int) {
                             runsc::control::v1::StdioAnswer started;
                             started.mutable_exec()->set_pid(8);
                             return started;
                           });
    absl::StatusOr<StartedExec> exec =
        ExecOnStdioSocket(Unreachable(&made), dir_ + "/stdio.sock", Process(), stdio);
    ASSERT_TRUE(exec.ok()) << exec.status();
    absl::StatusOr<runsc::control::v1::ExitStatus> exit = AwaitExecExit(*exec, absl::Seconds(10));
    EXPECT_EQ(exit.status().code(), absl::StatusCode::kUnavailable) << exit.status();
    EXPECT_THAT(std::string(exit.status().message()), ::testing::HasSubstr("process 8"));
  }
  unlink((dir_ + "/stdio.sock").c_str());
  // Started, and the exit does not come within the wait.
  absl::Notification answered;
  FakeSandboxSocket slow(dir_ + "/stdio.sock",
                         [&answered](const runsc::control::v1::StdioRequest&, size_t, int conn) {
                           runsc::control::v1::StdioAnswer started;
                           started.mutable_exec()->set_pid(8);
                           EXPECT_TRUE(util::SendPacket(conn, started).ok());
                           answered.WaitForNotification();
                           return runsc::control::v1::StdioAnswer();
                         });
  absl::StatusOr<StartedExec> exec =
      ExecOnStdioSocket(Unreachable(&made), dir_ + "/stdio.sock", Process(), stdio);
  ASSERT_TRUE(exec.ok()) << exec.status();
  absl::StatusOr<runsc::control::v1::ExitStatus> exit =
      AwaitExecExit(*exec, absl::Milliseconds(100));
  EXPECT_EQ(exit.status().code(), absl::StatusCode::kDeadlineExceeded) << exit.status();
  // A wait without a deadline ends when another thread cancels it.
  CallCanceller cancel;
  std::thread canceller([&cancel] {
    absl::SleepFor(absl::Milliseconds(100));
    cancel.Cancel();
  });
  absl::StatusOr<runsc::control::v1::ExitStatus> cancelled =
      AwaitExecExit(*exec, absl::InfiniteDuration(), &cancel);
  canceller.join();
  answered.Notify();
  EXPECT_EQ(cancelled.status().code(), absl::StatusCode::kCancelled) << cancelled.status();
  EXPECT_FALSE(made);
}

// A sandbox of a build before execs on the stdio socket answers with a
// token, and a process too large for a packet is handed off: both get
// Control.Exec, and no exit connection.
class Execs final : public Control::Service {
 public:
  grpc::Status Exec(grpc::ServerContext*, const runsc::control::v1::ExecRequest* request,
                    runsc::control::v1::ExecResponse* response) override {
    if (request->stdio_token() != kTheirToken) {
      return grpc::Status(grpc::StatusCode::NOT_FOUND, "stdio_token: unknown");
    }
    response->set_pid(request->process().env_size() > 0 ? 12 : 11);
    return grpc::Status::OK;
  }
};

TEST_F(RunToExitTest, ExecsOfOlderBuildsAndLargeOnesGoThroughControlExec) {
  Execs service;
  std::shared_ptr<ControlClient> client = Serve(&service);
  std::vector<UniqueFd> fds = Stdio();
  const std::vector<int> stdio = {fds[0].get(), fds[1].get(), fds[2].get()};
  {
    FakeStdioSocket old(dir_ + "/stdio.sock");
    absl::StatusOr<StartedExec> exec =
        ExecOnStdioSocket(Getter(client), dir_ + "/stdio.sock", Process(), stdio);
    ASSERT_TRUE(exec.ok()) << exec.status();
    EXPECT_EQ(exec->pid, 11);
    EXPECT_FALSE(exec->exit_conn);
    EXPECT_EQ(old.fds(), 3u);
  }
  unlink((dir_ + "/stdio.sock").c_str());
  FakeStdioSocket handoff(dir_ + "/stdio.sock");
  runsc::boot::v1::ProcessConfig large = Process();
  large.add_env("BIG=" + std::string(util::kMaxPacketSize, 'x'));
  absl::StatusOr<StartedExec> exec =
      ExecOnStdioSocket(Getter(client), dir_ + "/stdio.sock", large, stdio);
  ASSERT_TRUE(exec.ok()) << exec.status();
  EXPECT_EQ(exec->pid, 12);
  EXPECT_FALSE(exec->exit_conn);
}

}  // namespace
}  // namespace runsc::sandbox
