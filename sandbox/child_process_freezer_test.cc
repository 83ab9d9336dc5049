// Root test: a killed process the kernel cannot end yet (one in a frozen
// cgroup v1 freezer, where even SIGKILL waits for the thaw) never holds
// KillAndWait past its timeout; once thawed, it is reaped as usual.
#include <fcntl.h>
#include <linux/sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "runsc/util/file_util.h"
#include "runsc/util/status_macros.h"
#include "sandbox/child_process.h"

namespace runsc::sandbox {
namespace {

constexpr char kFreezer[] = "/sys/fs/cgroup/freezer";

// The freezer's state, without its newline.
std::string State(const std::string& dir) {
  return std::string(
      absl::StripTrailingAsciiWhitespace(util::ReadFileOrEmpty(dir + "/freezer.state")));
}

bool HasV1Freezer() {
  struct stat st;
  return stat(absl::StrCat(kFreezer, "/freezer.state").c_str(), &st) == 0 ||
         stat(absl::StrCat(kFreezer, "/tasks").c_str(), &st) == 0;
}

constexpr char kNoFreezer[] =
    "no cgroup v1 freezer at /sys/fs/cgroup/freezer: cgroup v2's freezer lets SIGKILL "
    "through, so nothing here can hold a killed process";

// A child of ours that pauses, in freezer cgroup `dir` (made here), frozen.
absl::StatusOr<ChildProcess> FrozenChild(const std::string& dir) {
  if (mkdir(dir.c_str(), 0755) != 0) return absl::InternalError("mkdir " + dir);
  int pidfd = -1;
  struct clone_args args = {};
  args.flags = CLONE_PIDFD;
  args.pidfd = reinterpret_cast<uint64_t>(&pidfd);
  args.exit_signal = SIGCHLD;
  const long pid = syscall(SYS_clone3, &args, sizeof(args));
  if (pid == 0) {
    for (;;) pause();
  }
  if (pid < 0) return absl::InternalError("clone3");
  ChildProcess child(static_cast<pid_t>(pid), util::UniqueFd(pidfd));
  RETURN_IF_ERROR(util::WriteKernelFile(dir + "/tasks", absl::StrCat(pid)));
  RETURN_IF_ERROR(util::WriteKernelFile(dir + "/freezer.state", "FROZEN"));
  for (int i = 0; i < 500 && State(dir) != "FROZEN"; ++i) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  if (State(dir) != "FROZEN") return absl::InternalError("not frozen: " + State(dir));
  return child;
}

TEST(ChildProcessFreezerTest, KillAndWaitGivesUpOnAProcessThatCannotDieYet) {
  if (!HasV1Freezer()) GTEST_SKIP() << kNoFreezer;
  const std::string dir = absl::StrCat(kFreezer, "/runsc-child-process-test-", getpid());
  absl::StatusOr<ChildProcess> frozen = FrozenChild(dir);
  ASSERT_TRUE(frozen.ok()) << frozen.status();
  ChildProcess& child = *frozen;

  const absl::Time start = absl::Now();
  absl::StatusOr<ExitStatus> held = child.KillAndWait(absl::Milliseconds(300));
  EXPECT_EQ(held.status().code(), absl::StatusCode::kDeadlineExceeded) << held.status();
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  EXPECT_FALSE(child.reaped());

  // Thawed, the pending SIGKILL ends it, and it is reaped.
  ASSERT_TRUE(util::WriteKernelFile(dir + "/freezer.state", "THAWED").ok());
  absl::StatusOr<ExitStatus> ended = child.Wait(absl::Seconds(10));
  ASSERT_TRUE(ended.ok()) << ended.status();
  EXPECT_TRUE(ended->signaled);
  EXPECT_EQ(ended->signal, SIGKILL);
  EXPECT_EQ(rmdir(dir.c_str()), 0);
}

// An owner that goes while its child cannot die yet leaves no zombie: a
// thread reaps the child once the thaw lets the SIGKILL end it.
TEST(ChildProcessFreezerTest, AChildItsOwnerGaveUpOnIsReapedOnceItEnds) {
  if (!HasV1Freezer()) GTEST_SKIP() << kNoFreezer;
  const std::string dir = absl::StrCat(kFreezer, "/runsc-child-process-owner-", getpid());
  pid_t pid = 0;
  {
    absl::StatusOr<ChildProcess> frozen = FrozenChild(dir);
    ASSERT_TRUE(frozen.ok()) << frozen.status();
    pid = frozen->pid();
    frozen->set_destructor_kill_timeout(absl::Milliseconds(200));
  }  // killed, still frozen, not reaped
  EXPECT_NE(util::ProcStatusField(pid, "State"), "") << "the frozen child was reaped already";
  ASSERT_TRUE(util::WriteKernelFile(dir + "/freezer.state", "THAWED").ok());
  // Gone from /proc once reaped; a zombie would stay.
  for (int i = 0; i < 500 && !util::ProcStatusField(pid, "State").empty(); ++i) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_EQ(util::ProcStatusField(pid, "State"), "") << "the child was left unreaped";
  EXPECT_EQ(rmdir(dir.c_str()), 0);
}

}  // namespace
}  // namespace runsc::sandbox
