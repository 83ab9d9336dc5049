#include "boot/seccomp_policy.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

#include "boot/control_filter.h"
#include "gtest/gtest.h"

namespace runsc::boot {
namespace {

// Runs `probe` in a forked child under the control server's filter and
// returns its exit code (0: the probe saw what it expected).
int UnderFilter(int (*probe)()) {
  pid_t child = fork();
  if (child == 0) {
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) _exit(100);
    if (!InstallControlServerFilter(ControlServerFilter()).ok()) _exit(101);
    _exit(probe());
  }
  int status = 0;
  waitpid(child, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 200 + WTERMSIG(status);
}

bool DeniedWithEperm(long rc) { return rc == -1 && errno == EPERM; }

TEST(SeccompPolicyTest, TheEmbeddedFilterIsTheProgramCompiledNowAndOnlyBpfIsInstalled) {
  // What the build embedded is what libseccomp makes of the program today:
  // a policy edited without a rebuild of the filter cannot ship.
  absl::StatusOr<std::string> now = CompileControlServerFilter();
  ASSERT_TRUE(now.ok()) << now.status();
  const std::string& embedded = ControlServerFilter();
  EXPECT_EQ(embedded, *now);
  EXPECT_EQ(embedded.size() % 8, 0u);   // struct sock_filter
  EXPECT_GT(embedded.size(), 8u * 40);  // at least one instruction a rule
  // Not a program: refused before the kernel sees it.
  EXPECT_EQ(InstallControlServerFilter("").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(InstallControlServerFilter("1234567").code(), absl::StatusCode::kInvalidArgument);
}

TEST(SeccompPolicyTest, AllowsWhatTheServerNeeds) {
  EXPECT_EQ(UnderFilter([] {
              int fds[2];
              if (pipe2(fds, O_CLOEXEC) != 0) return 1;
              if (write(fds[1], "x", 1) != 1) return 2;
              char c;
              if (read(fds[0], &c, 1) != 1) return 3;
              void* p = mmap(nullptr, 4096, PROT_READ | PROT_WRITE,
                             MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
              if (p == MAP_FAILED) return 4;
              std::thread t([] {});  // threads work (clone falls back)
              t.join();
              return 0;
            }),
            0);
}

TEST(SeccompPolicyTest, DeniesFilesystemAndExec) {
  EXPECT_EQ(UnderFilter([] {
              if (!DeniedWithEperm(open("/etc/hostname", O_RDONLY))) return 1;
              if (!DeniedWithEperm(syscall(SYS_openat, AT_FDCWD, "/", O_RDONLY)))
                return 2;
              char* const argv[] = {nullptr};
              if (!DeniedWithEperm(execve("/bin/true", argv, argv))) return 3;
              if (!DeniedWithEperm(mkdir("/tmp/x-seccomp", 0700))) return 4;
              return 0;
            }),
            0);
}

TEST(SeccompPolicyTest, DeniesNewSocketsForkPtraceMountAndKill) {
  EXPECT_EQ(UnderFilter([] {
              if (!DeniedWithEperm(socket(AF_UNIX, SOCK_STREAM, 0))) return 1;
              // fork() is clone without CLONE_THREAD.
              if (!DeniedWithEperm(syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0)))
                return 2;
              if (!DeniedWithEperm(syscall(SYS_ptrace, PTRACE_TRACEME, 0, 0, 0)))
                return 3;
              if (!DeniedWithEperm(syscall(SYS_mount, "none", "/", "tmpfs", 0, 0)))
                return 4;
              if (!DeniedWithEperm(syscall(SYS_kill, 1, SIGKILL))) return 5;
              if (!DeniedWithEperm(syscall(SYS_unshare, CLONE_NEWUSER))) return 6;
              return 0;
            }),
            0);
}

TEST(SeccompPolicyTest, DeniesExecutableMemory) {
  EXPECT_EQ(UnderFilter([] {
              void* p = mmap(nullptr, 4096, PROT_READ | PROT_EXEC,
                             MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
              if (p != MAP_FAILED || errno != EPERM) return 1;
              void* q = mmap(nullptr, 4096, PROT_READ | PROT_WRITE,
                             MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
              if (q == MAP_FAILED) return 2;
              if (!DeniedWithEperm(mprotect(q, 4096, PROT_READ | PROT_EXEC))) return 3;
              return 0;
            }),
            0);
}

}  // namespace
}  // namespace runsc::boot
