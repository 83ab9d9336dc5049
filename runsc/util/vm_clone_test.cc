#include "runsc/util/vm_clone.h"

#include <errno.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>

#include "gtest/gtest.h"

namespace runsc::util {
namespace {

TEST(RawSyscallTest, ReturnsMinusErrnoAndLeavesErrnoAlone) {
  errno = 1234;
  EXPECT_EQ(RawSyscall(SYS_close, -1), -EBADF);
  EXPECT_EQ(errno, 1234);
  EXPECT_EQ(RawSyscall(SYS_getpid), static_cast<long>(getpid()));
  // Six arguments reach the kernel in order: prlimit64(0, NOFILE, NULL, &old).
  struct rlimit ours, theirs;
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &ours), 0);
  EXPECT_EQ(RawSyscall(SYS_prlimit64, 0, RLIMIT_NOFILE, 0, reinterpret_cast<long>(&theirs)), 0);
  EXPECT_EQ(theirs.rlim_cur, ours.rlim_cur);
}

struct Shared {
  std::atomic<int> seen{0};
  int stack_probe = 0;
};

int Child(void* arg) {
  auto* shared = static_cast<Shared*>(arg);
  int local = 42;  // on the child's own stack
  shared->stack_probe = local;
  shared->seen.store(static_cast<int>(RawSyscall(SYS_getpid)));
  return 7;
}

TEST(CloneOnStackTest, ChildRunsOnItsStackInOurMemoryAndExitsWithItsResult) {
  ChildStack stack;
  ASSERT_TRUE(stack.Map().ok());
  Shared shared;
  struct clone_args args = {};
  args.flags = CLONE_VM;
  args.exit_signal = SIGCHLD;
  args.stack = reinterpret_cast<uint64_t>(stack.low());
  args.stack_size = stack.size();
  const long pid = CloneOnStack(&args, Child, &shared);
  ASSERT_GT(pid, 0) << "clone3: " << -pid;
  int status = 0;
  ASSERT_EQ(waitpid(static_cast<pid_t>(pid), &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 7);
  EXPECT_EQ(shared.seen.load(), pid) << "the child wrote our memory with its own pid";
  EXPECT_EQ(shared.stack_probe, 42);
}

TEST(CloneOnStackTest, FailureIsMinusErrnoAndNoChild) {
  ChildStack stack;
  ASSERT_TRUE(stack.Map().ok());
  struct clone_args args = {};
  args.flags = CLONE_VM | CLONE_FS | CLONE_NEWUSER;  // the kernel refuses NEWUSER with FS
  args.exit_signal = SIGCHLD;
  args.stack = reinterpret_cast<uint64_t>(stack.low());
  args.stack_size = stack.size();
  errno = 0;
  EXPECT_EQ(CloneOnStack(&args, Child, nullptr), -EINVAL);
  EXPECT_EQ(errno, 0);
  int status;
  EXPECT_EQ(waitpid(-1, &status, WNOHANG), -1);
}

}  // namespace
}  // namespace runsc::util
