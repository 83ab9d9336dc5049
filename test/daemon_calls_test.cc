// Root end-to-end tests of the daemon's calls that wait (Wait, Run, a start
// on a slow sandbox): what ends them, and what they must not hold up.
#include <grp.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
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

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "proto/api.grpc.pb.h"
#include "runsc/util/huge_page_binary.h"
#include "runsc/util/unique_fd.h"
#include "sandbox/state_store.h"
#include "test/daemon_fixture.h"
#include "test/sandbox_test_util.h"

namespace runsc::testing {
namespace {

// A Wait for a process that runs on (the main process here, for up to a
// day), or a long Run, holds a handler thread: it must end when its client
// gives up, and when the daemon stops, or each client that gave up would
// keep a thread (and a run's process), and a pending call the daemon's stop
// (gRPC's shutdown waits for every handler to return).
TEST_F(DaemonTest, AWaitOrRunEndsWithItsClientAndWithTheDaemonsStop) {
  CreateStarted("waited");
  auto stub = Stub();
  auto threads = [this] { return ListDir(absl::StrCat("/proc/", daemon_, "/task")).size(); };
  auto wait = [&stub](grpc::ClientContext* ctx) {
    api::WaitRequest req;
    req.set_id("waited");
    api::WaitResponse r;
    return stub->Wait(ctx, req, &r);
  };
  const size_t idle = threads();
  constexpr int kGaveUp = 6;
  std::vector<std::thread> clients;
  for (int i = 0; i < kGaveUp; ++i) {
    clients.emplace_back([&] {
      // No deadline (the daemon would end the wait at one): it hangs up.
      grpc::ClientContext ctx;
      std::thread hang_up([&ctx] {
        absl::SleepFor(absl::Milliseconds(300));
        ctx.TryCancel();
      });
      EXPECT_EQ(wait(&ctx).error_code(), grpc::StatusCode::CANCELLED);
      hang_up.join();
    });
  }
  for (auto& c : clients) c.join();
  size_t after = threads();
  for (int i = 0; i < 40 && after >= idle + kGaveUp; ++i) {
    absl::SleepFor(absl::Milliseconds(50));
    after = threads();
  }
  EXPECT_LT(after, idle + kGaveUp)
      << "the handlers of Waits whose clients gave up still run: " << idle << " threads before, "
      << after << " after";

  // A run whose client hangs up ends too, and its process with it.
  {
    grpc::ClientContext ctx;
    api::RunRequest req;
    req.set_id("waited");
    for (const char* a : {"sleep", "1001"}) req.mutable_process()->add_args(a);
    req.set_timeout_seconds(3600);
    api::RunResponse r;
    std::thread hang_up([&ctx] {
      absl::SleepFor(absl::Milliseconds(500));
      ctx.TryCancel();
    });
    EXPECT_EQ(stub->Run(&ctx, req, &r).error_code(), grpc::StatusCode::CANCELLED);
    hang_up.join();
    std::string left = "alive";
    for (int i = 0; i < 40 && left != "gone\n"; ++i) {
      absl::SleepFor(absl::Milliseconds(50));
      api::RunResponse check;
      ASSERT_TRUE(Run("waited",
                      {"sh", "-c", "pgrep -f 'sleep 100[1]' >/dev/null && echo alive || echo gone"},
                      &check)
                      .ok());
      left = check.stdout();
    }
    EXPECT_EQ(left, "gone\n") << "the run's process outlived its client";
  }

  grpc::Status pending, pending_run;
  std::thread waiter([&] {
    grpc::ClientContext ctx;
    pending = wait(&ctx);
  });
  std::thread runner([&] {
    api::RunResponse r;
    pending_run = Run("waited", {"sleep", "1002"}, &r, 3600);
  });
  absl::SleepFor(absl::Milliseconds(500));  // the call is in the daemon's hands
  const absl::Time before = absl::Now();
  kill(daemon_, SIGTERM);
  int status = 0;
  pid_t ended = 0;
  for (int i = 0; i < 300 && (ended = waitpid(daemon_, &status, WNOHANG)) == 0; ++i) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  if (ended == 0) {
    kill(daemon_, SIGKILL);
    waitpid(daemon_, &status, 0);
  }
  daemon_ = 0;
  waiter.join();
  runner.join();
  ASSERT_NE(ended, 0) << "the daemon's stop waited for a pending Wait or Run";
  EXPECT_LT(absl::Now() - before, absl::Seconds(3)) << "a pending call held the stop's grace";
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_EQ(pending.error_code(), grpc::StatusCode::UNAVAILABLE) << pending.error_message();
  EXPECT_EQ(pending_run.error_code(), grpc::StatusCode::UNAVAILABLE) << pending_run.error_message();
  StartDaemon();  // for the fixture's teardown
}

// A start waits for its sandbox (up to 30 s if the exec is slow); it must
// not hold the sandbox's lock meanwhile, which listing every sandbox, the
// TTL expiry and the exit reports' thread take. Here the supervisor is
// stopped for a while, and must then serve the start.
TEST_F(DaemonTest, AStartThatWaitsForItsSandboxHoldsUpNoOtherCall) {
  auto stub = Stub();
  grpc::ClientContext create_ctx;
  api::CreateSandboxRequest create;
  create.set_id("slow");
  create.mutable_host_template();
  api::Sandbox created;
  ASSERT_TRUE(stub->CreateSandbox(&create_ctx, create, &created).ok());
  ASSERT_GT(created.pid(), 0);
  // The sandbox's supervisor answers nothing while it is stopped.
  ASSERT_EQ(kill(created.pid(), SIGSTOP), 0);
  grpc::Status start_status;
  api::Sandbox started;
  std::thread starter([&] {
    grpc::ClientContext ctx;
    api::StartSandboxRequest start;
    start.set_id("slow");
    start_status = stub->StartSandbox(&ctx, start, &started);
  });
  absl::SleepFor(absl::Milliseconds(300));  // the start waits for the sandbox
  grpc::ClientContext list_ctx;
  list_ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
  api::ListSandboxesResponse listed;
  grpc::Status list_status = stub->ListSandboxes(&list_ctx, api::ListSandboxesRequest(), &listed);
  kill(created.pid(), SIGCONT);
  starter.join();
  EXPECT_TRUE(list_status.ok()) << "the list waited for another sandbox's start: "
                                << list_status.error_message();
  // Stopped and continued, the supervisor serves on (its poll, restarted
  // through restart_syscall, was refused by its seccomp filter).
  ASSERT_TRUE(start_status.ok()) << start_status.error_message() << "\nsandbox log:\n"
                                 << ReadFile(state_ + "/slow/sandbox.log");
  EXPECT_EQ(started.status(), "running");
  EXPECT_GT(started.main_pid(), 1);
}

// A daemon whose largest message is small still runs with the default
// output cap (then as much as fits), rather than refusing every run.
TEST_F(DaemonTest, ASmallMessageLimitStillRunsWithTheDefaultOutputCap) {
  StopDaemon(SIGTERM);
  StartDaemon(nullptr, {"--max-message-bytes", "16384"});
  CreateStarted("small");
  api::RunResponse run;
  grpc::Status status = Run("small", {"echo", "fits"}, &run);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(run.stdout(), "fits\n");
  status = Run("small", {"sh", "-c", "head -c 20000 /dev/zero"}, &run);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(run.stdout_truncated());
  EXPECT_EQ(run.stdout().size(), (16384u - 4096u) / 2);
}

// Out of fds, accept4 failed and the listener stayed readable: the daemon
// spun a CPU at 100% until fds were freed. It pauses now, and once fds are
// free again the queued clients are served.
TEST_F(DaemonTest, OutOfFdsTheDaemonWaitsInsteadOfSpinning) {
  auto cpu_ticks = [this] {
    std::string stat = ReadFile(absl::StrCat("/proc/", daemon_, "/stat"));
    std::vector<std::string> f = absl::StrSplit(stat.substr(stat.rfind(')') + 2), ' ');
    return std::stoll(f[11]) + std::stoll(f[12]);  // utime + stime
  };
  int open_now = 0;
  for (const std::string& fd : ListDir(absl::StrCat("/proc/", daemon_, "/fd"))) {
    (void)fd;
    ++open_now;
  }
  // The soft limit only: raising a hard one back takes CAP_SYS_RESOURCE.
  struct rlimit old;
  ASSERT_EQ(prlimit(daemon_, RLIMIT_NOFILE, nullptr, &old), 0);
  struct rlimit tight = {static_cast<rlim_t>(open_now), old.rlim_max};
  ASSERT_EQ(prlimit(daemon_, RLIMIT_NOFILE, &tight, nullptr), 0);
  std::vector<util::UniqueFd> clients;
  for (int i = 0; i < 4; ++i) {
    util::UniqueFd c(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    struct sockaddr_un addr = {};
    addr.sun_family = AF_UNIX;
    snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", socket_.c_str());
    ASSERT_EQ(connect(c.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    clients.push_back(std::move(c));
  }
  absl::SleepFor(absl::Milliseconds(200));
  const long long before = cpu_ticks();
  absl::SleepFor(absl::Seconds(1));
  const long long spent = cpu_ticks() - before;
  EXPECT_LT(spent, 20) << "the daemon spent " << spent << " of 100 ticks a second on accept";
  ASSERT_EQ(prlimit(daemon_, RLIMIT_NOFILE, &old, nullptr), 0);
  clients.clear();
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  api::ListSandboxesResponse list;
  EXPECT_TRUE(Stub()->ListSandboxes(&ctx, {}, &list).ok());
}

// A list had to fit in one message: sandboxes with large labels (64 of up
// to 4 KiB each are allowed) could not be listed at all past a few dozen.
// A client that asks for pages gets them, each within the largest message
// (and page_size), in id order, with a token for the next; one that does
// not is told the list does not fit, as before.
TEST_F(DaemonTest, ListSandboxesComesInPagesThatFit) {
  StopDaemon(SIGTERM);
  StartDaemon(nullptr, {"--max-message-bytes", "16384"});
  auto stub = Stub();
  std::vector<std::string> ids;
  for (int i = 0; i < 7; ++i) {
    grpc::ClientContext ctx;
    api::CreateSandboxRequest req;
    req.set_id(absl::StrCat("paged-", i));
    req.mutable_host_template();
    (*req.mutable_labels())["big"] = std::string(3000, 'x');
    api::Sandbox created;
    ASSERT_TRUE(stub->CreateSandbox(&ctx, req, &created).ok());
    ids.push_back(req.id());
  }
  auto list_all = [&](int page_size, int* pages) {
    std::vector<std::string> seen;
    std::string token;
    *pages = 0;
    do {
      grpc::ClientContext ctx;
      api::ListSandboxesRequest req;
      req.set_page_size(page_size);
      req.set_page_token(token);
      api::ListSandboxesResponse page;
      grpc::Status status = stub->ListSandboxes(&ctx, req, &page);
      EXPECT_TRUE(status.ok()) << status.error_message();
      if (!status.ok()) break;
      EXPECT_LE(page.ByteSizeLong(), 16384u);
      for (const auto& box : page.sandboxes()) seen.push_back(box.id());
      token = page.next_page_token();
      ++*pages;
    } while (!token.empty() && *pages < 20);
    return seen;
  };
  int pages = 0;
  EXPECT_EQ(list_all(100, &pages), ids);
  EXPECT_GE(pages, 2);  // 7 x 3 KiB do not fit in 16 KiB
  EXPECT_EQ(list_all(2, &pages), ids);
  EXPECT_EQ(pages, 4);
  {
    // Without page_size a part is never taken for the whole.
    grpc::ClientContext ctx;
    api::ListSandboxesResponse all;
    grpc::Status status = stub->ListSandboxes(&ctx, {}, &all);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
    EXPECT_THAT(status.error_message(), ::testing::HasSubstr("ask for it in pages"));
  }
  grpc::ClientContext ctx;
  api::ListSandboxesRequest bad;
  bad.set_page_size(-1);
  api::ListSandboxesResponse r;
  grpc::Status status = stub->ListSandboxes(&ctx, bad, &r);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), ::testing::HasSubstr("page_size"));
}

// A started sandbox whose main process ignores SIGTERM: a delete waits out
// its grace period. Returns once the trap is set (a SIGTERM before it ended
// the shell, and the delete with it).
void CreateIgnoringSigterm(api::Sandboxes::Stub* stub, const std::string& id) {
  {
    grpc::ClientContext ctx;
    api::CreateSandboxRequest req;
    req.set_id(id);
    for (const char* a :
         {"sh", "-c", "trap '' TERM; touch /tmp/trapped; while :; do sleep 1; done"}) {
      req.mutable_host_template()->add_args(a);
    }
    req.set_start(true);
    api::Sandbox created;
    grpc::Status status = stub->CreateSandbox(&ctx, req, &created);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  for (int i = 0; i < 100; ++i) {
    grpc::ClientContext ctx;
    api::RunRequest run;
    run.set_id(id);
    for (const char* a : {"test", "-e", "/tmp/trapped"}) run.mutable_process()->add_args(a);
    api::RunResponse ran;
    grpc::Status status = stub->Run(&ctx, run, &ran);
    ASSERT_TRUE(status.ok()) << status.error_message();
    if (ran.status().code() == 0) return;
    absl::SleepFor(absl::Milliseconds(20));
  }
  FAIL() << "the main process of '" << id << "' never set its trap";
}

// Returns once a delete of `id` is in its grace period, as a Start then
// tells: the deleter's call has reached the daemon.
void AwaitBeingDeleted(api::Sandboxes::Stub* stub, const std::string& id) {
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  std::string said;
  while (absl::Now() < deadline) {
    grpc::ClientContext ctx;
    api::StartSandboxRequest req;
    req.set_id(id);
    api::Sandbox started;
    said = stub->StartSandbox(&ctx, req, &started).error_message();
    if (absl::StrContains(said, "is being deleted")) return;
    absl::SleepFor(absl::Milliseconds(10));
  }
  FAIL() << "the delete of '" << id << "' never began; a start said: " << said;
}

// A delete's grace period (up to 600 s) held the daemon's stop for as long:
// gRPC's shutdown waits for every handler. The stop now cuts the grace short,
// and the delete goes on with the kill: the next daemon finds no sandbox.
TEST_F(DaemonTest, AStopCutsADeletesGracePeriodShort) {
  auto stub = Stub();
  ASSERT_NO_FATAL_FAILURE(CreateIgnoringSigterm(stub.get(), "stubborn"));
  grpc::Status deleted;
  std::thread deleter([&] {
    grpc::ClientContext ctx;
    api::DeleteSandboxRequest req;
    req.set_id("stubborn");
    req.set_grace_seconds(600);
    api::DeleteSandboxResponse r;
    deleted = stub->DeleteSandbox(&ctx, req, &r);
  });
  AwaitBeingDeleted(stub.get(), "stubborn");  // its SIGTERM is ignored
  ASSERT_EQ(kill(daemon_, SIGTERM), 0);
  int status = 0;
  pid_t gone = 0;
  for (int i = 0; i < 600 && gone == 0; ++i) {
    gone = waitpid(daemon_, &status, WNOHANG);
    if (gone == 0) absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_EQ(gone, daemon_) << "the daemon's stop waited for the grace period";
  if (gone == 0) {
    kill(daemon_, SIGKILL);
    waitpid(daemon_, &status, 0);
  }
  daemon_ = 0;
  deleter.join();
  EXPECT_TRUE(deleted.ok() || deleted.error_code() == grpc::StatusCode::UNAVAILABLE)
      << deleted.error_message();
  StartDaemon();
  grpc::ClientContext ctx;
  api::ListSandboxesResponse list;
  ASSERT_TRUE(Stub()->ListSandboxes(&ctx, {}, &list).ok());
  EXPECT_EQ(list.sandboxes_size(), 0);
}

// The grace period is the workload's: a client whose deadline passes
// first does not cut it short (only the daemon's stop does, above).
TEST_F(DaemonTest, AClientsDeadlineDoesNotCutADeletesGracePeriod) {
  auto stub = Stub();
  ASSERT_NO_FATAL_FAILURE(CreateIgnoringSigterm(stub.get(), "graceful"));
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(300));
    api::DeleteSandboxRequest req;
    req.set_id("graceful");
    req.set_grace_seconds(6);
    api::DeleteSandboxResponse r;
    EXPECT_EQ(stub->DeleteSandbox(&ctx, req, &r).error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  }
  absl::SleepFor(absl::Seconds(1));
  api::RunResponse run;
  grpc::Status alive = Run("graceful", {"echo", "still"}, &run, 5);
  EXPECT_TRUE(alive.ok()) << "killed before its grace period: " << alive.error_message();
  EXPECT_EQ(run.stdout(), "still\n");
  // And gone once it has passed.
  EXPECT_EQ(SandboxesLeftWithin(absl::Seconds(15)), 0);
}

// A create whose client gave up before it finished left a sandbox that no
// one would ever delete (with a generated id, no one knew it), holding a
// --max-sandboxes slot, a uid range and cgroups: a client with a short
// deadline filled the daemon.
TEST_F(DaemonTest, ACreateWhoseClientGaveUpLeavesNoSandbox) {
  auto stub = Stub();
  for (int i = 0; i < 5; ++i) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(2));
    api::CreateSandboxRequest req;
    req.mutable_host_template();
    req.set_start(true);
    api::Sandbox out;
    const grpc::Status s = stub->CreateSandbox(&ctx, req, &out);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << s.error_message();
  }
  // Each create runs to its end before its call is looked at again; the
  // last is done within a second.
  absl::SleepFor(absl::Seconds(1));
  EXPECT_EQ(SandboxesLeftWithin(absl::Seconds(5)), 0);
}

// During a delete's grace period the sandbox is still there (Get shows it):
// a Start then is a wrong state, not an unknown id.
TEST_F(DaemonTest, AStartDuringADeleteIsAWrongStateNotAnUnknownId) {
  auto stub = Stub();
  ASSERT_NO_FATAL_FAILURE(CreateIgnoringSigterm(stub.get(), "going"));
  std::thread deleter([&] {
    grpc::ClientContext ctx;
    api::DeleteSandboxRequest req;
    req.set_id("going");
    req.set_grace_seconds(3);
    api::DeleteSandboxResponse r;
    (void)stub->DeleteSandbox(&ctx, req, &r);
  });
  // Until the delete reaches the daemon, a Start is refused as one of a
  // started sandbox; then as one of a sandbox being deleted, and never as
  // one of an unknown id.
  grpc::Status status;
  for (const absl::Time deadline = absl::Now() + absl::Seconds(2);;) {
    grpc::ClientContext ctx;
    api::StartSandboxRequest req;
    req.set_id("going");
    api::Sandbox started;
    status = stub->StartSandbox(&ctx, req, &started);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << status.error_message();
    if (status.error_code() != grpc::StatusCode::FAILED_PRECONDITION ||
        absl::StrContains(status.error_message(), "being deleted") || absl::Now() >= deadline) {
      break;
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  deleter.join();
  EXPECT_THAT(status.error_message(), ::testing::HasSubstr("'going' is being deleted"));
}

// Signal's pid 0 is the main process, as Wait's is: it was so only while
// the sandbox was paused, and NOT_FOUND otherwise.
TEST_F(DaemonTest, SignalsPidZeroIsTheMainProcess) {
  const api::Sandbox started = CreateStarted("signalled", {"sleep", "1000"});
  ASSERT_TRUE(Signal("signalled", 0, SIGKILL).ok());
  auto stub = Stub();
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  api::WaitRequest req;
  req.set_id("signalled");
  api::WaitResponse waited;
  grpc::Status status = stub->Wait(&ctx, req, &waited);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(waited.status().signaled());
  EXPECT_EQ(waited.status().signal(), SIGKILL);
  // No main process yet: said so.
  CreateUnstarted("unstarted");
  status = Signal("unstarted", 0, SIGKILL);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), ::testing::HasSubstr("'unstarted' has not been started"));
}

}  // namespace
}  // namespace runsc::testing
