// Root end-to-end tests of the daemon's event stream.
#include <signal.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "proto/api.grpc.pb.h"
#include "test/daemon_fixture.h"
#include "test/sandbox_test_util.h"

namespace runsc::testing {
namespace {

using ::testing::HasSubstr;

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

  ASSERT_TRUE(Delete("ev").ok());
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
  ASSERT_FALSE(seen.empty());
  // Nothing of "other". ("one"'s own "started" may come first: the daemon
  // publishes events from its worker, which may do so after StartSandbox
  // has answered and the stream has begun.)
  for (const api::Event& e : seen) EXPECT_EQ(e.id(), "one") << e.type();
  ASSERT_LE(seen.size(), 2u);
  if (seen.size() == 2) {
    EXPECT_EQ(seen[0].type(), "started");
  }
  EXPECT_EQ(seen.back().type(), "exited");
  EXPECT_TRUE(seen.back().exit().signaled());
  EXPECT_EQ(seen.back().exit().signal(), SIGKILL);

  // The stream ends, OK, with the sandbox's "deleted": nothing after it
  // can be this sandbox's.
  ASSERT_TRUE(Delete("one").ok());
  seen = ReadEventsUntil(reader.get(), "one", "deleted");
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.back().type(), "deleted");
  api::Event after;
  EXPECT_FALSE(reader->Read(&after)) << "an event after \"deleted\": " << after.type();
  grpc::Status ended = reader->Finish();
  EXPECT_TRUE(ended.ok()) << ended.error_message();
}

// A sandbox paused (by `runsc pause` on the daemon's state root) when the
// daemon restarts is watched again like a running one: its main process's
// end, after a resume, is an "exited" event as before the restart.
TEST_F(DaemonTest, APausedSandboxIsWatchedForItsExitAfterARestart) {
  const api::Sandbox started = CreateStarted("paused");
  const std::string cli = absl::StrCat(RunscPath(), " --root ", state_, " ");
  ASSERT_EQ(RunShell(cli + "pause paused 2>&1").first, 0);
  StopDaemon(SIGTERM);
  StartDaemon();
  auto stub = Stub();
  grpc::ClientContext events_ctx;
  events_ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  auto events = stub->Events(&events_ctx, api::EventsRequest());
  events->WaitForInitialMetadata();
  ASSERT_EQ(RunShell(cli + "resume paused 2>&1").first, 0);
  grpc::Status signalled = Signal("paused", started.main_pid(), SIGKILL);
  ASSERT_TRUE(signalled.ok()) << signalled.error_message();
  const std::vector<api::Event> seen = ReadEventsUntil(events.get(), "paused", "exited");
  events_ctx.TryCancel();
  (void)events->Finish();
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.back().type(), "exited")
      << "no \"exited\" for the main process of a sandbox paused at the restart";
}

// A sandbox paused by `runsc pause` on the daemon's state root: its
// launcher, which starts, lists and signals its processes, is frozen too.
// The daemon answers each call at once rather than wait on it: a Run is
// refused by name, the processes come from /proc, and a SIGKILL ends the
// main process (the container thawed for it).
TEST_F(DaemonTest, APausedSandboxAnswersAtOnce) {
  // A process whose arguments are not UTF-8 (a byte of Latin-1): listed
  // from /proc as they were, the answer was no protobuf a client could
  // parse. It shows as '?', as the launcher's list shows it.
  const api::Sandbox started = CreateStarted(
      "frozen", {"sh", "-c", "exec sh -c 'sleep 1000; true' \"caf$(printf '\\351')\""});
  ASSERT_GT(started.main_pid(), 1);
  auto stub = Stub();
  // The main process is running once started, but its outer shell may not
  // yet have exec'd the inner one. The list shows what a process runs now:
  // the inner shell's four arguments once it has. (Paused before that, the
  // frozen list below would show the outer shell's three.)
  const absl::Time exec_deadline = absl::Now() + absl::Seconds(10);
  bool execd = false;
  std::string last;
  while (!execd && absl::Now() < exec_deadline) {
    api::ListProcessesResponse ps;
    ASSERT_TRUE(ListProcesses("frozen", &ps).ok());
    last = ps.DebugString();
    for (const auto& p : ps.processes()) {
      execd = execd || (p.pid() == started.main_pid() && p.main() && p.args_size() == 4 &&
                        p.args(0) == "sh" && p.args(3) == "caf?");
    }
    if (!execd) absl::SleepFor(absl::Milliseconds(5));
  }
  ASSERT_TRUE(execd) << "the main process is not listed as the shell it exec'd: " << last;
  const std::string cli = absl::StrCat(RunscPath(), " --root ", state_, " ");
  ASSERT_EQ(RunShell(cli + "pause frozen 2>&1").first, 0);

  api::RunResponse ran;
  absl::Time before = absl::Now();
  grpc::Status run = Run("frozen", {"/bin/true"}, &ran, /*timeout=*/20);
  EXPECT_EQ(run.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << run.error_message();
  EXPECT_THAT(run.error_message(), HasSubstr("'frozen' is paused"));
  EXPECT_LT(absl::Now() - before, absl::Seconds(2));

  api::ListProcessesResponse ps;
  before = absl::Now();
  grpc::Status listed = ListProcesses("frozen", &ps);
  ASSERT_TRUE(listed.ok()) << listed.error_message();
  EXPECT_LT(absl::Now() - before, absl::Seconds(2));
  bool main_listed = false;
  for (const auto& p : ps.processes()) {
    EXPECT_NE(p.pid(), 1) << "the launcher is listed as a workload";
    if (p.pid() == started.main_pid()) {
      EXPECT_TRUE(p.main()) << "the main process is not marked so while paused";
      main_listed = p.args_size() == 4;
      if (main_listed) {
        EXPECT_EQ(p.args(3), "caf?");
      }
    }
  }
  EXPECT_TRUE(main_listed) << "main process " << started.main_pid() << " not listed with its args";

  grpc::Status launcher = Signal("frozen", 1, SIGKILL);
  EXPECT_EQ(launcher.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << launcher.error_message();

  grpc::ClientContext events_ctx;
  events_ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  auto events = stub->Events(&events_ctx, api::EventsRequest());
  events->WaitForInitialMetadata();
  before = absl::Now();
  grpc::Status killed = Signal("frozen", started.main_pid(), SIGKILL);
  ASSERT_TRUE(killed.ok()) << killed.error_message();
  EXPECT_LT(absl::Now() - before, absl::Seconds(2));
  const std::vector<api::Event> seen = ReadEventsUntil(events.get(), "frozen", "exited");
  events_ctx.TryCancel();
  (void)events->Finish();
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.back().type(), "exited");
  EXPECT_TRUE(seen.back().exit().signaled());
  EXPECT_EQ(seen.back().exit().signal(), SIGKILL);
}

}  // namespace
}  // namespace runsc::testing
