#include "sandbox/child_process.h"

#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/sched.h>

#include "gtest/gtest.h"

namespace runsc::sandbox {
namespace {

// Forks a child that runs `body` and exits with its result; returns its owner.
template <typename F>
ChildProcess Spawn(F body) {
  int pidfd = -1;
  struct clone_args args = {};
  args.flags = CLONE_PIDFD;
  args.pidfd = reinterpret_cast<uint64_t>(&pidfd);
  args.exit_signal = SIGCHLD;
  long pid = syscall(SYS_clone3, &args, sizeof(args));
  if (pid == 0) _exit(body());
  EXPECT_GT(pid, 0);
  return ChildProcess(static_cast<pid_t>(pid), util::UniqueFd(pidfd));
}

TEST(ChildProcessTest, WaitReportsExitCode) {
  ChildProcess child = Spawn([] { return 7; });
  auto status = child.Wait(absl::Seconds(10));
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_FALSE(status->signaled);
  EXPECT_EQ(status->code, 7);
  EXPECT_EQ(status->ShellCode(), 7);
  EXPECT_TRUE(child.reaped());
  EXPECT_EQ(child.Wait().status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(ChildProcessTest, WaitTimesOutThenKillReportsSignal) {
  ChildProcess child = Spawn([] {
    pause();
    return 0;
  });
  EXPECT_EQ(child.Wait(absl::Milliseconds(30)).status().code(),
            absl::StatusCode::kDeadlineExceeded);
  auto status = child.KillAndWait();
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_TRUE(status->signaled);
  EXPECT_EQ(status->signal, SIGKILL);
  EXPECT_EQ(status->ShellCode(), 137);
  EXPECT_EQ(status->ToString(), "killed by signal 9 (SIGKILL)");
}

TEST(ChildProcessTest, DestructorKillsAndReaps) {
  pid_t pid;
  {
    ChildProcess child = Spawn([] {
      pause();
      return 0;
    });
    pid = child.pid();
  }
  // Reaped: the pid is no longer our child.
  EXPECT_EQ(waitpid(pid, nullptr, WNOHANG), -1);
  EXPECT_EQ(errno, ECHILD);
}

}  // namespace
}  // namespace runsc::sandbox
