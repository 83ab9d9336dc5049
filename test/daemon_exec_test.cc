// Root end-to-end tests of the daemon's interactive Exec stream.
#include <signal.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
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
  const api::Sandbox sandbox = CreateStarted("ex");
  ASSERT_GT(sandbox.pid(), 0);
  const std::string tasks = absl::StrCat("/proc/", sandbox.pid(), "/task");
  const size_t threads = ListDir(tasks).size();
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
  // The exec went over the sandbox's stdio socket, with its exit: nothing
  // dialled the sandbox, whose control plane would have started gRPC's
  // threads.
  EXPECT_EQ(ListDir(tasks).size(), threads);
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
  {
    // A second start ended the process, and the call with no word why.
    CreateStarted("twice");
    grpc::ClientContext ctx2;
    auto twice = stub->Exec(&ctx2);
    api::ExecRequest first;
    *first.mutable_start() = StartOf("twice", {"sleep", "1000"});
    ASSERT_TRUE(twice->Write(first));
    api::ExecResponse pid;
    ASSERT_TRUE(twice->Read(&pid));
    twice->Write(first);
    while (twice->Read(&pid)) {
    }
    grpc::Status second = twice->Finish();
    EXPECT_EQ(second.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(second.error_message(), HasSubstr("start: only the first message"));
    std::string left;
    for (int i = 0; i < 50; ++i) {
      api::RunResponse run;
      ASSERT_TRUE(Run("twice", {"sh", "-c", "ps -o args | grep '^[s]leep 1000'"}, &run).ok());
      left = run.stdout();
      if (left.empty()) break;
      absl::SleepFor(absl::Milliseconds(100));
    }
    EXPECT_EQ(left, "") << "the first start's process outlived the call";
  }
  // Values the kernel would take for something else: a uid of (uid_t)-1
  // kept the launcher's ids, and a terminal of 70000 rows was 4464.
  CreateStarted("odd");
  api::ExecStart as_minus_one = StartOf("odd", {"id", "-u"});
  as_minus_one.mutable_process()->set_uid(4294967295u);
  ExecOutcome o = ExecStream(stub.get(), as_minus_one, {});
  EXPECT_EQ(o.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(o.status.error_message(), HasSubstr("start.process.uid: 4294967295"));
  // One the container does not map, named as this request spells it.
  api::ExecStart unmapped = StartOf("odd", {"id", "-u"});
  unmapped.mutable_process()->set_uid(100000);
  o = ExecStream(stub.get(), unmapped, {});
  EXPECT_EQ(o.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(o.status.error_message(),
              HasSubstr("start.process.uid: 100000 is not an id of the container's"));
  api::ExecStart tall = StartOf("odd", {"true"});
  tall.set_tty(true);
  tall.mutable_size()->set_rows(70000);
  tall.mutable_size()->set_cols(80);
  o = ExecStream(stub.get(), tall, {});
  EXPECT_EQ(o.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(o.status.error_message(), HasSubstr("start.size: 70000 rows by 80 columns"));
}

TEST_F(DaemonTest, ExecClientThatGoesAwayLeavesNoProcess) {
  CreateStarted("gone");
  auto stub = Stub();
  {
    grpc::ClientContext ctx;
    auto stream = OpenExec(*stub, ctx, StartOf("gone", {"sleep", "1000"}));
    ASSERT_NE(stream, nullptr);
    ctx.TryCancel();
    EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::CANCELLED);
  }
  // Only the main process (sleep infinity) remains once the kill lands.
  // Every ListProcesses must answer at once: the daemon's control calls to
  // the sandbox never wait behind the cancelled call.
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  int count = -1;
  while (absl::Now() < deadline) {
    api::ListProcessesResponse ps;
    grpc::Status status = ListProcesses("gone", &ps, std::chrono::seconds(2));
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
  auto stream = OpenExec(*stub, ctx, StartOf("deaf", {"sleep", "1000"}));
  ASSERT_NE(stream, nullptr);
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
    api::ListProcessesResponse ps;
    grpc::Status status = ListProcesses("deaf", &ps, std::chrono::seconds(2));
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

// A timeout of 2^32 ms and a little wrapped poll's int to 204 ms: the run
// and the exec were killed as timed out at once. Any finite timeout the API
// takes is a timeout, however long.
TEST_F(DaemonTest, ALongTimeoutIsNotCutShort) {
  CreateStarted("long");
  for (double timeout : {4294967.5, 2147484.0, 1e12}) {
    api::RunResponse run;
    grpc::Status status = Run("long", {"sh", "-c", "sleep 0.5; echo done"}, &run, timeout);
    ASSERT_TRUE(status.ok()) << timeout << ": " << status.error_message();
    EXPECT_FALSE(run.status().timed_out()) << timeout;
    EXPECT_EQ(run.status().code(), 0) << timeout;
    EXPECT_EQ(run.stdout(), "done\n") << timeout;
  }
  auto stub = Stub();
  api::ExecStart start = StartOf("long", {"sh", "-c", "sleep 0.5; echo done"});
  start.set_timeout_seconds(4294967.5);
  ExecOutcome o = ExecStream(stub.get(), start, {});
  ASSERT_TRUE(o.status.ok()) << o.status.error_message();
  ASSERT_TRUE(o.got_exit);
  EXPECT_FALSE(o.exit.timed_out());
  EXPECT_EQ(o.out, "done\n");
}

// A process whose child keeps its output open: the exit came only when the
// child ended (never, for a daemon). What it wrote arrives, and the exit
// kDrainAfterExit after it.
TEST_F(DaemonTest, AnExecEndsWithItsProcessThoughAChildHoldsItsOutput) {
  CreateStarted("bg");
  auto stub = Stub();
  ExecOutcome o = ExecStream(stub.get(), StartOf("bg", {"sh", "-c", "sleep 1000 & echo hi"}), {});
  ASSERT_TRUE(o.status.ok()) << o.status.error_message();
  ASSERT_TRUE(o.got_exit);
  EXPECT_EQ(o.exit.code(), 0);
  EXPECT_FALSE(o.exit.timed_out());
  EXPECT_EQ(o.out, "hi\n");
}

// A child that keeps the pipe full (yes) never let a read come back empty,
// where the pump looked for the stop: the exit never came.
// (A client that reads slowly keeps the pipe full.)
TEST_F(DaemonTest, AnExecEndsThoughAChildKeepsItsOutputFull) {
  CreateStarted("yes");
  auto stub = Stub();
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  auto stream = stub->Exec(&ctx);
  api::ExecRequest first;
  *first.mutable_start() = StartOf("yes", {"sh", "-c", "yes & exit 0"});
  ASSERT_TRUE(stream->Write(first));
  stream->WritesDone();
  api::ExecResponse r;
  bool exited = false;
  size_t out = 0;
  while (!exited && stream->Read(&r)) {
    out += r.stdout().size();
    exited = r.has_exit();
    absl::SleepFor(absl::Milliseconds(5));
  }
  grpc::Status status = stream->Finish();
  EXPECT_TRUE(exited) << "no exit: " << status.error_message();
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_GT(out, 0u);
}

// `true` in sandbox `id` by an Exec, tried for 5 s while the daemon says
// its Execs are at their limit (a slot is given back a moment after its
// stream ends).
ExecOutcome ExecOnceThereIsRoom(api::Sandboxes::Stub* stub, const std::string& id) {
  ExecOutcome outcome;
  for (int i = 0; i < 50; ++i) {
    outcome = ExecStream(stub, StartOf(id, {"true"}), {});
    if (outcome.status.error_code() != grpc::StatusCode::RESOURCE_EXHAUSTED) break;
    absl::SleepFor(absl::Milliseconds(100));
  }
  return outcome;
}

// Each running Exec holds threads of the daemon's: past --max-execs one is
// RESOURCE_EXHAUSTED, saying so, and once one ends another runs. A Run or
// RunSandbox counts as one too: each held a thread and up to its stdin and
// twice its output cap of the daemon's memory, with no bound on how many.
TEST_F(DaemonTest, ExecsAndRunsPastTheLimitAreResourceExhausted) {
  StopDaemon(SIGTERM);
  StartDaemon(nullptr, {"--max-execs", "2"});
  CreateStarted("busy");
  auto stub = Stub();
  std::vector<std::unique_ptr<HeldExec>> open;
  for (int i = 0; i < 2; ++i) {
    open.push_back(std::make_unique<HeldExec>());
    // Running once its pid comes.
    open.back()->stream = OpenExec(*stub, open.back()->ctx, StartOf("busy", {"sleep", "1000"}));
    ASSERT_NE(open.back()->stream, nullptr);
  }
  ExecOutcome third = ExecStream(stub.get(), StartOf("busy", {"true"}), {});
  EXPECT_EQ(third.status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(third.status.error_message(), HasSubstr("2 Execs already run"));
  EXPECT_FALSE(third.got_exit);
  api::RunResponse ran;
  grpc::Status run = Run("busy", {"true"}, &ran);
  EXPECT_EQ(run.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << run.error_message();
  EXPECT_THAT(run.error_message(), HasSubstr("2 Execs and Runs already run"));
  {
    grpc::ClientContext ctx;
    api::RunSandboxRequest req;
    req.mutable_sandbox()->mutable_host_template()->add_args("true");
    api::RunResponse r;
    grpc::Status s = stub->RunSandbox(&ctx, req, &r);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << s.error_message();
  }
  // One ends (its client goes away, and its process with it): room again.
  open[0]->Close();
  ExecOutcome later = ExecOnceThereIsRoom(stub.get(), "busy");
  EXPECT_TRUE(later.status.ok()) << later.status.error_message();
  EXPECT_TRUE(later.got_exit);
  // A Run too, once the finished Exec's slot is back (its reactor lets go
  // of it after its client has the answer).
  for (int i = 0; i < 50; ++i) {
    run = Run("busy", {"true"}, &ran);
    if (run.error_code() != grpc::StatusCode::RESOURCE_EXHAUSTED) break;
    absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_TRUE(run.ok()) << run.error_message();
  open[1]->Close();
}

// Waits, Events streams and copies each hold a thread of the daemon's until
// their client lets them go, and an Exec stream not yet started holds
// eventfds: each kind is bounded too, by --max-execs (Exec streams twice
// that), and past it RESOURCE_EXHAUSTED says so.
TEST_F(DaemonTest, LongCallsAndUnstartedExecsPastTheLimitAreResourceExhausted) {
  StopDaemon(SIGTERM);
  StartDaemon(nullptr, {"--max-execs", "1"});
  CreateStarted("busy");
  auto stub = Stub();
  auto wait_briefly = [&] {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(300));
    api::WaitRequest req;
    req.set_id("busy");
    api::WaitResponse r;
    return stub->Wait(&ctx, req, &r);
  };
  EXPECT_EQ(wait_briefly().error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  {
    grpc::ClientContext events_ctx;
    std::unique_ptr<grpc::ClientReader<api::Event>> events = stub->Events(&events_ctx, {});
    events->WaitForInitialMetadata();  // subscribed: it holds its slot
    grpc::Status refused = wait_briefly();
    EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
    EXPECT_THAT(refused.error_message(),
                HasSubstr("Wait: 1 Waits, Events streams and copies are already open"));
    grpc::ClientContext copy_ctx;
    api::CopyOutRequest copy;
    copy.set_id("busy");
    copy.set_path("/etc");
    api::CopyOutResponse piece;
    std::unique_ptr<grpc::ClientReader<api::CopyOutResponse>> out = stub->CopyOut(&copy_ctx, copy);
    while (out->Read(&piece)) {
    }
    EXPECT_EQ(out->Finish().error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
    events_ctx.TryCancel();
    (void)events->Finish();
  }
  // Its slot is back once the stream has ended.
  grpc::Status again;
  for (int i = 0; i < 50; ++i) {
    again = wait_briefly();
    if (again.error_code() != grpc::StatusCode::RESOURCE_EXHAUSTED) break;
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_EQ(again.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << again.error_message();

  // Two Exec streams, never started, take the two the limit gives.
  std::vector<std::unique_ptr<HeldExec>> open;
  for (int i = 0; i < 2; ++i) {
    open.push_back(std::make_unique<HeldExec>());
    open.back()->stream = stub->Exec(&open.back()->ctx);
  }
  // A third, once the daemon has seen those two: refused. (Until then, one
  // that ends without a start is an INVALID_ARGUMENT.)
  grpc::Status third;
  for (int i = 0; i < 50; ++i) {
    grpc::ClientContext ctx;
    auto stream = stub->Exec(&ctx);
    stream->WritesDone();
    third = stream->Finish();
    if (third.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) break;
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_EQ(third.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << third.error_message();
  EXPECT_THAT(third.error_message(), HasSubstr("Exec: 2 Exec streams are already open"));
  for (auto& o : open) o->Close();
  ExecOutcome later = ExecOnceThereIsRoom(stub.get(), "busy");
  EXPECT_TRUE(later.status.ok()) << later.status.error_message();
  EXPECT_TRUE(later.got_exit);
}

// A Run holds its stdin and output in the daemon's memory until it ends:
// the runs under way together are bounded by --max-run-bytes, each counted
// at the most it may hold (its stdin and each stream's cap, twice).
TEST_F(DaemonTest, RunsPastTheirMemoryBudgetAreResourceExhausted) {
  StopDaemon(SIGTERM);
  StartDaemon(nullptr, {"--max-run-bytes", "10000000"});
  CreateStarted("busy");
  auto run = [&](const std::vector<std::string>& args, api::RunResponse* out) {
    auto stub = Stub();
    grpc::ClientContext ctx;
    api::RunRequest req;
    req.set_id("busy");
    for (const auto& a : args) req.mutable_process()->add_args(a);
    req.set_max_output_bytes(2 << 20);  // 8 MiB counted
    return stub->Run(&ctx, req, out);
  };
  grpc::Status first;
  std::thread holder([&] {
    api::RunResponse out;
    first = run({"sleep", "3"}, &out);
  });
  // A second one, once the first holds its share (its process runs): over
  // the budget.
  bool running = false;
  for (int i = 0; i < 100 && !running; ++i) {
    api::ListProcessesResponse ps;
    if (ListProcesses("busy", &ps).ok()) {
      for (const auto& p : ps.processes()) running |= absl::StrJoin(p.args(), " ") == "sleep 3";
    }
    if (!running) absl::SleepFor(absl::Milliseconds(20));
  }
  ASSERT_TRUE(running) << "the first run never started";
  api::RunResponse refused;
  grpc::Status second = run({"true"}, &refused);
  EXPECT_EQ(second.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << second.error_message();
  EXPECT_THAT(second.error_message(),
              HasSubstr("this run may hold 8388608 bytes of the daemon's memory"));
  EXPECT_THAT(second.error_message(),
              HasSubstr("hold 8388608 of the 10000000 they may (the daemon's --max-run-bytes)"));
  holder.join();
  EXPECT_TRUE(first.ok()) << first.error_message();
  // Its share is back with its end.
  api::RunResponse out;
  grpc::Status after = run({"true"}, &out);
  EXPECT_TRUE(after.ok()) << after.error_message();
  EXPECT_THAT(RefusedFlags("--max-run-bytes 0"), HasSubstr("--max-run-bytes: '0'"));
}

// A client that keeps its Exec open but reads nothing: the process, its
// output stuck, is killed at its timeout, and the Exec's slot is free a
// moment later. The pumps waited for room in the queue for good, and the
// slot with them.
TEST_F(DaemonTest, AnExecWhoseClientReadsNothingStillEndsAtItsTimeout) {
  StopDaemon(SIGTERM);
  StartDaemon(nullptr, {"--max-execs", "1"});
  CreateStarted("flood");
  auto stub = Stub();
  grpc::ClientContext ctx;
  api::ExecStart start = StartOf("flood", {"yes"});
  start.set_timeout_seconds(3);  // time for the queue and the windows to fill
  std::unique_ptr<ExecClientStream> stream = OpenExec(*stub, ctx, start);
  ASSERT_NE(stream, nullptr);
  api::RunResponse ran;
  grpc::Status run;
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  do {
    absl::SleepFor(absl::Milliseconds(200));
    run = Run("flood", {"true"}, &ran);
  } while (run.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED && absl::Now() < deadline);
  EXPECT_TRUE(run.ok()) << "the stalled Exec kept its slot: " << run.error_message();
  ctx.TryCancel();
  (void)stream->Finish();
}

// A client that reads late (4 MB waiting, the process held back by the
// full queue) gets all of the output and the exit: nothing is dropped
// while it does not read.
TEST_F(DaemonTest, AClientThatReadsLateGetsAllTheOutput) {
  CreateStarted("late");
  auto stub = Stub();
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  std::unique_ptr<ExecClientStream> stream =
      OpenExec(*stub, ctx, StartOf("late", {"head", "-c", "4000000", "/dev/zero"}));
  ASSERT_NE(stream, nullptr);
  absl::SleepFor(absl::Seconds(4));  // not a wait for anything: the client's own pace
  size_t got = 0;
  bool exited = false;
  api::ExecResponse response;
  while (stream->Read(&response)) {
    got += response.stdout().size();
    if (response.has_exit()) exited = response.exit().code() == 0;
  }
  EXPECT_TRUE(stream->Finish().ok());
  EXPECT_EQ(got, 4000000u);
  EXPECT_TRUE(exited);
}

}  // namespace
}  // namespace runsc::testing
