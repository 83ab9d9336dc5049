// Root tests of the daemon's own life: its stop (SIGTERM, gracefully,
// with calls in flight), its death (SIGKILL) and restart, which lose no
// running sandbox, and one daemon a state root.
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "proto/api.grpc.pb.h"
#include "sandbox/state_store.h"
#include "test/daemon_fixture.h"
#include "test/sandbox_test_util.h"

namespace runsc::testing {
namespace {

using ::testing::HasSubstr;

TEST_F(DaemonTest, KillDashNineMidRunAndMidExecThenRestartLosesNothing) {
  api::Sandbox started = CreateStarted("survivor");
  std::thread runner([this] {
    api::RunResponse r;
    (void)Run("survivor", {"sleep", "31"}, &r, 60);  // interrupted by the kill
  });
  // An interactive Exec stream in flight too.
  auto exec_stub = Stub();
  grpc::ClientContext exec_ctx;
  auto stream =
      OpenExec(*exec_stub, exec_ctx, StartOf("survivor", {"sh", "-c", "echo up; exec sleep 30"}));
  ASSERT_NE(stream, nullptr);
  api::ExecResponse r;
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
  // The Run's and the Exec's processes went with the daemon's end of their
  // connections: nobody was left to wait for them or read them (the Exec's
  // lived on, untracked).
  std::string left;
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(Run("survivor", {"sh", "-c", "ps -o pid,ppid,args | grep '[s]leep 3'"}, &run).ok());
    left = run.stdout();
    if (left.empty()) break;
    absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_EQ(left, "") << "processes of the dead daemon's calls still run";
}

// A warm sandbox being assigned when the daemon died: its directory had
// the request's id, its record was still the warm one (no container,
// labels, TTL or main process), and the next daemon took it for a sandbox
// of that id, "created" for good. It is removed at the restart, as the
// warm sandboxes are. Its state is made here from a live sandbox's, as it
// is between the assignment's rename and its record.
TEST_F(DaemonTest, ASandboxWhoseAssignmentTheDaemonsDeathCutShortIsRemoved) {
  const api::Sandbox started = CreateStarted("half");
  StopDaemon(SIGKILL);
  const std::string dir = state_ + "/half";
  absl::StatusOr<runsc::state::v1::SandboxRecord> record = sandbox::LoadRecord(dir);
  ASSERT_TRUE(record.ok()) << record.status();
  record->set_id(".warm-7");
  record->clear_container();
  record->clear_main_pid();
  ASSERT_TRUE(sandbox::SaveRecord(dir, *record).ok());
  StartDaemon();
  EXPECT_EQ(SandboxesLeftWithin(absl::ZeroDuration()), 0);
  EXPECT_TRUE(ProcessGoneWithin(started.pid(), 5000)) << "its process was left running";
  EXPECT_NE(access(dir.c_str(), F_OK), 0) << "its state was left";
  CreateStarted("half");  // the id is free again
}

// A delete answers once the sandbox is killed and its id free; the rest of
// its teardown follows, and a daemon's stop waits for it. With
// `--reclaim-ahead 0` a delete waits for all of it.
// One daemon a state root: a second one would reclaim the first one's warm
// sandboxes and take its sandboxes for its own. It refuses to start,
// whatever its socket, and leaves the first one's sandboxes alone.
TEST_F(DaemonTest, ASecondDaemonOnTheSameRootRefusesToStart) {
  const api::Sandbox kept = CreateStarted("kept");
  const std::string err = root_.path() + "/second.err";
  const int status = system(absl::StrCat(RunscPath(), " --root ", state_, " daemon --socket ",
                                         root_.path(), "/second.sock 2>", err)
                                .c_str());
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1) << status;
  EXPECT_THAT(ReadFile(err), HasSubstr("another daemon serves state root"));
  EXPECT_EQ(kill(kept.pid(), 0), 0);
  api::RunResponse run;
  ASSERT_TRUE(Run("kept", {"echo", "still"}, &run).ok());
  EXPECT_EQ(run.stdout(), "still\n");
  // Nothing of the first one's was touched before the refusal: it still
  // spawns sandboxes (from its binary's copy, which the second one's
  // set-up would have detached), and no second socket was left.
  const api::Sandbox fresh = CreateStarted("fresh");
  EXPECT_GT(fresh.pid(), 0);
  ASSERT_TRUE(Run("fresh", {"echo", "new"}, &run).ok());
  EXPECT_EQ(run.stdout(), "new\n");
  struct stat st;
  EXPECT_NE(stat((root_.path() + "/second.sock").c_str(), &st), 0);
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

TEST_F(DaemonTest, SigtermAmidCallsOnNewConnectionsExitsCleanly) {
  // Calls keep arriving, each on a connection of its own, while the daemon
  // stops: every stop must still be a clean exit, not an abort inside
  // gRPC's server shutdown.
  for (int round = 0; round < 10; ++round) {
    std::atomic<bool> stop{false};
    std::atomic<int> answered{0};
    std::vector<std::thread> callers;
    for (int t = 0; t < 4; ++t) {
      callers.emplace_back([&, t] {
        while (!stop.load()) {
          auto health = grpc::health::v1::Health::NewStub(Channel());
          grpc::ClientContext ctx;
          // Half the callers give up at once, as a client that timed out
          // does: their calls may reach the daemon after they went.
          ctx.set_deadline(
              std::chrono::system_clock::now() +
              (t % 2 == 0 ? std::chrono::microseconds(300) : std::chrono::milliseconds(250)));
          grpc::health::v1::HealthCheckResponse response;
          if (health->Check(&ctx, {}, &response).ok()) answered++;
        }
      });
    }
    while (answered.load() < 8 * (round + 1)) absl::SleepFor(absl::Milliseconds(1));
    absl::SleepFor(absl::Milliseconds(round * 3));
    const int status = StopDaemon(SIGTERM);
    stop = true;
    for (auto& t : callers) t.join();
    ASSERT_TRUE(WIFEXITED(status)) << "round " << round << ": daemon ended by signal "
                                   << (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    ASSERT_EQ(WEXITSTATUS(status), 0) << "round " << round;
    StartDaemon();
  }
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

// An interactive Exec gets the grace other calls get at a SIGTERM: one
// that ends within it ends with its output and status. It was cancelled at
// once, and its process killed, since no in-flight count held it.
TEST_F(DaemonTest, SigtermLetsARunningExecFinishWithinTheGrace) {
  CreateStarted("execs");
  auto stub = Stub();
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  std::unique_ptr<ExecClientStream> stream =
      OpenExec(*stub, ctx, StartOf("execs", {"sh", "-c", "sleep 1; echo done"}));
  ASSERT_NE(stream, nullptr);
  ASSERT_EQ(kill(daemon_, SIGTERM), 0);
  std::string out;
  bool exited = false;
  int code = -1;
  api::ExecResponse response;
  while (stream->Read(&response)) {
    if (response.has_exit()) {
      exited = true;
      code = response.exit().code();
    }
    out += response.stdout();
  }
  grpc::Status finished = stream->Finish();
  EXPECT_TRUE(finished.ok()) << finished.error_message();
  EXPECT_EQ(out, "done\n");
  EXPECT_TRUE(exited);
  EXPECT_EQ(code, 0);
  int status = 0;
  ASSERT_EQ(waitpid(daemon_, &status, 0), daemon_);
  daemon_ = 0;
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  StartDaemon();  // re-attaches the sandbox, which the fixture's teardown deletes
}

}  // namespace
}  // namespace runsc::testing
