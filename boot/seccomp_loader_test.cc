#include "boot/seccomp_loader.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "boot/seccomp_policy.h"
#include "gtest/gtest.h"
#include "specutils/seccomp_spec.h"

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
}

// Runs a classic BPF seccomp program on one x86_64 system call, as the
// kernel would: the verdict, and how many instructions it took.
struct Verdict {
  uint32_t action = 0;
  int steps = 0;
};
Verdict Decide(const std::string& bpf, int nr, uint64_t arg0 = 0) {
  struct seccomp_data data = {};
  data.nr = nr;
  data.arch = AUDIT_ARCH_X86_64;
  data.args[0] = arg0;
  const auto* prog = reinterpret_cast<const struct sock_filter*>(bpf.data());
  const size_t len = bpf.size() / sizeof(struct sock_filter);
  uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = {};
  Verdict v;
  for (size_t pc = 0; pc < len; ++pc) {
    const struct sock_filter& in = prog[pc];
    ++v.steps;
    const uint32_t src = BPF_SRC(in.code) == BPF_X ? x : in.k;
    switch (in.code) {
      case BPF_LD | BPF_W | BPF_ABS:
        memcpy(&a, reinterpret_cast<const char*>(&data) + in.k, 4);
        continue;
      case BPF_LD | BPF_MEM:
        a = mem[in.k];
        continue;
      case BPF_LDX | BPF_MEM:
        x = mem[in.k];
        continue;
      case BPF_ST:
        mem[in.k] = a;
        continue;
      case BPF_STX:
        mem[in.k] = x;
        continue;
      case BPF_MISC | BPF_TAX:
        x = a;
        continue;
      case BPF_MISC | BPF_TXA:
        a = x;
        continue;
      case BPF_ALU | BPF_AND | BPF_K:
        a &= in.k;
        continue;
      case BPF_ALU | BPF_OR | BPF_K:
        a |= in.k;
        continue;
      case BPF_RET | BPF_K:
        v.action = in.k;
        return v;
      case BPF_RET | BPF_A:
        v.action = a;
        return v;
      case BPF_JMP | BPF_JA:
        pc += in.k;
        continue;
      default:
        break;
    }
    if (BPF_CLASS(in.code) != BPF_JMP) {
      ADD_FAILURE() << "instruction 0x" << std::hex << in.code << " not modelled";
      return v;
    }
    bool taken = false;
    switch (BPF_OP(in.code)) {
      case BPF_JEQ:
        taken = a == src;
        break;
      case BPF_JGT:
        taken = a > src;
        break;
      case BPF_JGE:
        taken = a >= src;
        break;
      case BPF_JSET:
        taken = (a & src) != 0;
        break;
      default:
        ADD_FAILURE() << "jump 0x" << std::hex << in.code << " not modelled";
        return v;
    }
    pc += taken ? in.jt : in.jf;
  }
  ADD_FAILURE() << "ran off the end of the program";
  return v;
}

// The kernel runs a filter for every syscall number when it loads it
// (seccomp_cache_prepare), and on every call a process makes that the
// cache does not allow: the layout is a search, not a chain of tests.
TEST(SeccompLoaderTest, ProgramsDecideEachSyscallInAFewSteps) {
#if !defined(__x86_64__)
  GTEST_SKIP() << "the walker models x86_64's seccomp_data";
#endif
  absl::StatusOr<std::string> defaults = CompileSeccompProgram(specutils::DefaultSeccompProgram());
  ASSERT_TRUE(defaults.ok()) << defaults.status();
  absl::StatusOr<std::string> control = CompileControlServerFilter();
  ASSERT_TRUE(control.ok()) << control.status();
  for (const std::string* bpf : {&*defaults, &*control}) {
    int total = 0, worst = 0;
    for (int nr = 0; nr < 460; ++nr) {
      const int steps = Decide(*bpf, nr).steps;
      total += steps;
      worst = std::max(worst, steps);
    }
    // As chains they took 50 and 68 steps on average, up to 80; as trees,
    // 14 and 15, up to 40 (the default's clone, with its eight flag tests).
    EXPECT_LE(total / 460, 20) << "of " << bpf->size() / sizeof(struct sock_filter)
                               << " instructions";
    EXPECT_LE(worst, 48);
  }
  // And the tree still says what the profile says.
  const uint32_t eperm = SCMP_ACT_ERRNO(EPERM);
  EXPECT_EQ(Decide(*defaults, SCMP_SYS(mount)).action, eperm);
  EXPECT_EQ(Decide(*defaults, SCMP_SYS(keyctl)).action, eperm);
  EXPECT_EQ(Decide(*defaults, SCMP_SYS(vhangup)).action, eperm);
  EXPECT_EQ(Decide(*defaults, SCMP_SYS(clone3)).action, SCMP_ACT_ERRNO(ENOSYS));
  EXPECT_EQ(Decide(*defaults, SCMP_SYS(clone), CLONE_NEWUSER).action, eperm);
  EXPECT_EQ(Decide(*defaults, SCMP_SYS(clone), SIGCHLD).action, SCMP_ACT_ALLOW);
  EXPECT_EQ(Decide(*defaults, SCMP_SYS(getpid)).action, SCMP_ACT_ALLOW);
  EXPECT_EQ(Decide(*defaults, SCMP_SYS(read)).action, SCMP_ACT_ALLOW);
  EXPECT_EQ(Decide(*control, SCMP_SYS(read)).action, SCMP_ACT_ALLOW);
  EXPECT_EQ(Decide(*control, SCMP_SYS(execve)).action, eperm);
  EXPECT_EQ(Decide(*control, SCMP_SYS(clone), SIGCHLD).action, eperm);
  EXPECT_EQ(Decide(*control, SCMP_SYS(clone), CLONE_THREAD | CLONE_VM).action, SCMP_ACT_ALLOW);
}

}  // namespace
}  // namespace runsc::boot
