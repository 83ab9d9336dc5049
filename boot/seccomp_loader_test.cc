#include "boot/seccomp_loader.h"

#include <errno.h>
#include <seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gtest/gtest.h"

namespace runsc::boot {
namespace {

using runsc::boot::v1::SeccompProgram;

// Allows everything but getppid, which fails with `err`.
SeccompProgram DenyGetppid(int err) {
  SeccompProgram program;
  program.set_default_action(SCMP_ACT_ALLOW);
  auto* rule = program.add_rules();
  rule->set_syscall(SCMP_SYS(getppid));
  rule->set_action(SCMP_ACT_ERRNO(err));
  return program;
}

TEST(SeccompLoaderTest, ACompiledProgramIsEnforcedOnceInstalled) {
  absl::StatusOr<std::string> bpf = CompileSeccompProgram(DenyGetppid(EXDEV));
  ASSERT_TRUE(bpf.ok()) << bpf.status();
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    if (syscall(SYS_getppid) <= 0) _exit(10);  // allowed before
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) _exit(11);
    if (InstallSeccompBpf(*bpf) != 0) _exit(12);
    if (syscall(SYS_getppid) != -1 || errno != EXDEV) _exit(13);
    if (syscall(SYS_getpid) <= 0) _exit(14);  // the rest still allowed
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(SeccompLoaderTest, AnInvalidProgramIsAnErrorNotACrash) {
  SeccompProgram program;
  program.set_default_action(0x12345678);  // no such action
  EXPECT_FALSE(CompileSeccompProgram(program).ok());
  SeccompCache cache;
  EXPECT_FALSE(cache.Compiled(program).ok());
}

TEST(SeccompLoaderTest, TheCacheCompilesEachDistinctProgramOnce) {
  SeccompCache cache;
  absl::StatusOr<const std::string*> a = cache.Compiled(DenyGetppid(EXDEV));
  absl::StatusOr<const std::string*> again = cache.Compiled(DenyGetppid(EXDEV));
  absl::StatusOr<const std::string*> other = cache.Compiled(DenyGetppid(EPERM));
  ASSERT_TRUE(a.ok() && again.ok() && other.ok());
  EXPECT_EQ(*a, *again);
  EXPECT_NE(*a, *other);
  EXPECT_NE(**a, **other);
}

}  // namespace
}  // namespace runsc::boot
