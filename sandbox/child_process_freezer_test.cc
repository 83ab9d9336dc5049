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
#include "sandbox/child_process.h"

namespace runsc::sandbox {
namespace {

constexpr char kFreezer[] = "/sys/fs/cgroup/freezer";

// The freezer's state, without its newline.
std::string State(const std::string& dir) {
  return std::string(
      absl::StripTrailingAsciiWhitespace(util::ReadFileOrEmpty(dir + "/freezer.state")));
}

TEST(ChildProcessFreezerTest, KillAndWaitGivesUpOnAProcessThatCannotDieYet) {
  struct stat st;
  if (stat(absl::StrCat(kFreezer, "/freezer.state").c_str(), &st) != 0 &&
      stat(absl::StrCat(kFreezer, "/tasks").c_str(), &st) != 0) {
    GTEST_SKIP() << "no cgroup v1 freezer at " << kFreezer
                 << ": cgroup v2's freezer lets SIGKILL through, so nothing here can hold a "
                    "killed process";
  }
  const std::string dir = absl::StrCat(kFreezer, "/runsc-child-process-test-", getpid());
  ASSERT_EQ(mkdir(dir.c_str(), 0755), 0) << dir;
  int pidfd = -1;
  struct clone_args args = {};
  args.flags = CLONE_PIDFD;
  args.pidfd = reinterpret_cast<uint64_t>(&pidfd);
  args.exit_signal = SIGCHLD;
  const long pid = syscall(SYS_clone3, &args, sizeof(args));
  if (pid == 0) {
    for (;;) pause();
  }
  ASSERT_GT(pid, 0);
  ChildProcess child(static_cast<pid_t>(pid), util::UniqueFd(pidfd));
  ASSERT_TRUE(util::WriteKernelFile(dir + "/tasks", absl::StrCat(pid)).ok());
  ASSERT_TRUE(util::WriteKernelFile(dir + "/freezer.state", "FROZEN").ok());
  for (int i = 0; i < 500 && State(dir) != "FROZEN"; ++i) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  ASSERT_EQ(State(dir), "FROZEN");

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

}  // namespace
}  // namespace runsc::sandbox
