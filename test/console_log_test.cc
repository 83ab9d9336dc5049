// Root tests of the console log's cap: a main process the daemon starts
// writes its stdout and stderr to <state>/<id>/console.log, a file on the
// host, through a pipe the sandbox's launcher drains up to
// ManagerOptions.console_log_limit bytes (boot/capped_output.h). A
// workload that writes far more than that can neither grow the file past
// it nor be stalled or killed for it, on each of the three ways a main
// process starts, and the copying goes on while no daemon runs.
#include <sys/stat.h>

#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "boot/capped_output.h"
#include "gtest/gtest.h"
#include "sandbox/manager.h"
#include "sandbox/sandbox.h"
#include "sandbox/state_store.h"
#include "test/manager_fixture.h"
#include "test/sandbox_test_util.h"

namespace runsc::testing {
namespace {

constexpr uint64_t kLimit = 4096;
constexpr int kWritten = 100000;
constexpr char kLine[] = "0123456789abcdef\n";

// Writes kWritten bytes of kLine over and over, then one line to stderr,
// and exits 4.
const std::vector<std::string> kFlood = {
    "sh", "-c",
    absl::StrCat("yes ", absl::string_view(kLine, sizeof(kLine) - 2), " | head -c ", kWritten,
                 "; echo to-stderr >&2; exit 4")};

// The first `n` bytes of the flood.
std::string FloodPrefix(size_t n) {
  std::string out;
  while (out.size() < n) out += kLine;
  out.resize(n);
  return out;
}

class ConsoleLogTest : public ManagerFixture {
 protected:
  std::unique_ptr<sandbox::SandboxManager> NewManager(uint64_t limit, int warm = 0) {
    sandbox::ManagerOptions options;
    options.console_log_limit = limit;
    options.warm_sandboxes = warm;
    return ManagerFixture::NewManager(options);
  }

  // Creates sandbox `id` with its main process, `args`, started at once.
  absl::StatusOr<sandbox::SandboxView> CreateStarted(const std::string& id,
                                                     const std::vector<std::string>& args) {
    sandbox::CreateRequest create;
    create.id = id;
    create.start = true;
    create.template_args = args;
    return manager_->CreateSandbox(create);
  }

  std::string ConsoleLog(const std::string& id) {
    return ReadFile(absl::StrCat(state(), "/", id, "/console.log"));
  }

  // Waits for the main process of `id` and expects the flood's exit.
  void ExpectFloodExited(const std::string& id, int main_pid) {
    absl::StatusOr<runsc::control::v1::ExitStatus> status =
        manager_->Wait(id, main_pid, absl::Seconds(60));
    ASSERT_TRUE(status.ok()) << status.status();
    EXPECT_FALSE(status->signaled()) << "signal " << status->signal();
    EXPECT_EQ(status->code(), 4) << "the flood did not run to its end";
  }

  // The log of a flood under kLimit: its first kLimit bytes and the notice,
  // nothing after (its last line, to stderr, was dropped too).
  void ExpectCapped(const std::string& id) {
    const std::string log = ConsoleLog(id);
    EXPECT_EQ(log.size(), kLimit + boot::CappedOutputNotice(kLimit).size());
    EXPECT_EQ(log, FloodPrefix(kLimit) + boot::CappedOutputNotice(kLimit));
  }
};

TEST_F(ConsoleLogTest, AMainProcessStartedWithTheCreateIsCapped) {
  manager_ = NewManager(kLimit);
  ASSERT_NE(manager_, nullptr);
  absl::StatusOr<sandbox::SandboxView> view = CreateStarted("flood", kFlood);
  ASSERT_TRUE(view.ok()) << view.status();
  ExpectFloodExited("flood", view->main_pid);
  ExpectCapped("flood");
  ASSERT_TRUE(manager_->DeleteSandbox("flood").ok());
}

TEST_F(ConsoleLogTest, AMainProcessStartedLaterIsCapped) {
  manager_ = NewManager(kLimit);
  ASSERT_NE(manager_, nullptr);
  sandbox::CreateRequest create;
  create.id = "later";
  create.template_args = kFlood;
  ASSERT_TRUE(manager_->CreateSandbox(create).ok());
  absl::StatusOr<sandbox::SandboxView> started = manager_->StartSandbox("later");
  ASSERT_TRUE(started.ok()) << started.status();
  ExpectFloodExited("later", started->main_pid);
  ExpectCapped("later");
  ASSERT_TRUE(manager_->DeleteSandbox("later").ok());
}

TEST_F(ConsoleLogTest, AMainProcessOfAWarmSandboxIsCapped) {
  manager_ = NewManager(kLimit, /*warm=*/1);
  ASSERT_NE(manager_, nullptr);
  // The warm sandbox's process, to know that the create took it.
  int warm_pid = 0;
  for (const std::string& name : ListDir(state())) {
    if (!absl::StartsWith(name, sandbox::kWarmPrefix)) continue;
    absl::StatusOr<runsc::state::v1::SandboxRecord> record =
        sandbox::LoadRecord(state() + "/" + name);
    ASSERT_TRUE(record.ok()) << record.status();
    warm_pid = record->pid();
  }
  ASSERT_GT(warm_pid, 0) << "no warm sandbox";
  absl::StatusOr<sandbox::SandboxView> view = CreateStarted("warm", kFlood);
  ASSERT_TRUE(view.ok()) << view.status();
  EXPECT_EQ(view->pid, warm_pid) << "the create did not take the warm sandbox";
  ExpectFloodExited("warm", view->main_pid);
  ExpectCapped("warm");
  ASSERT_TRUE(manager_->DeleteSandbox("warm").ok());
}

TEST_F(ConsoleLogTest, ALimitOfZeroKeepsEverything) {
  manager_ = NewManager(0);
  ASSERT_NE(manager_, nullptr);
  absl::StatusOr<sandbox::SandboxView> view = CreateStarted("all", kFlood);
  ASSERT_TRUE(view.ok()) << view.status();
  ExpectFloodExited("all", view->main_pid);
  EXPECT_EQ(ConsoleLog("all"), FloodPrefix(kWritten) + "to-stderr\n");
  ASSERT_TRUE(manager_->DeleteSandbox("all").ok());
}

// The sandbox copies the output, not the daemon: what the main process
// writes while no daemon runs still reaches the log, and it keeps running.
TEST_F(ConsoleLogTest, TheLogIsWrittenWhileNoDaemonRuns) {
  manager_ = NewManager(kLimit);
  ASSERT_NE(manager_, nullptr);
  absl::StatusOr<sandbox::SandboxView> view =
      CreateStarted("alone", {"sh", "-c", "echo before; sleep 1; echo after; exec sleep 1000"});
  ASSERT_TRUE(view.ok()) << view.status();
  manager_.reset();  // the daemon stops; the sandbox keeps running
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (ConsoleLog("alone") != "before\nafter\n" && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_EQ(ConsoleLog("alone"), "before\nafter\n");
  manager_ = NewManager(kLimit);
  ASSERT_NE(manager_, nullptr);
  absl::StatusOr<sandbox::SandboxView> again = manager_->GetSandbox("alone");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->status, "running");
  ASSERT_TRUE(manager_->DeleteSandbox("alone").ok());
}

}  // namespace
}  // namespace runsc::testing
