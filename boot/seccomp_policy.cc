#include "boot/seccomp_policy.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <memory>

#include "absl/strings/str_cat.h"
#include "boot/seccomp_loader.h"
#include "runsc/util/errno_status.h"

namespace runsc::boot {
namespace {

// Syscalls allowed with any arguments.
// Grouped by what they are for, a few a line (not clang-format's one a line).
// clang-format off
constexpr int kAllowed[] = {
    // I/O on fds the server already holds.
    SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(readv), SCMP_SYS(writev),
    SCMP_SYS(pread64), SCMP_SYS(close), SCMP_SYS(fcntl), SCMP_SYS(fstat),
    SCMP_SYS(newfstatat), SCMP_SYS(lseek), SCMP_SYS(ioctl),
    // Sockets: accept on the inherited listener, and I/O on connections.
    SCMP_SYS(accept4), SCMP_SYS(recvmsg), SCMP_SYS(sendmsg), SCMP_SYS(recvfrom),
    SCMP_SYS(sendto), SCMP_SYS(getsockopt), SCMP_SYS(setsockopt),
    SCMP_SYS(getsockname), SCMP_SYS(getpeername), SCMP_SYS(shutdown),
    // Event loops and wakeups.
    SCMP_SYS(epoll_create1), SCMP_SYS(epoll_ctl), SCMP_SYS(epoll_wait),
    SCMP_SYS(epoll_pwait), SCMP_SYS(poll), SCMP_SYS(ppoll), SCMP_SYS(eventfd2),
    SCMP_SYS(pipe2),
    // Memory (mmap and mprotect are below: never PROT_EXEC).
    SCMP_SYS(munmap), SCMP_SYS(madvise), SCMP_SYS(brk), SCMP_SYS(mremap),
    // Threads and synchronisation.
    SCMP_SYS(futex), SCMP_SYS(set_robust_list), SCMP_SYS(rseq),
    SCMP_SYS(set_tid_address), SCMP_SYS(gettid), SCMP_SYS(getpid),
    SCMP_SYS(sched_yield), SCMP_SYS(sched_getaffinity), SCMP_SYS(membarrier),
    // Signals.
    SCMP_SYS(rt_sigaction), SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigreturn),
    SCMP_SYS(rt_sigtimedwait), SCMP_SYS(sigaltstack),
    // A poll or sleep with a timeout, stopped (SIGSTOP, a tracer, a freezer)
    // and continued, goes on through restart_syscall: denied, the serve
    // loop's poll failed with EPERM and the sandbox ended.
    SCMP_SYS(restart_syscall),
    // Time and identity (Info reports uid/gid).
    SCMP_SYS(clock_gettime), SCMP_SYS(clock_nanosleep), SCMP_SYS(nanosleep),
    SCMP_SYS(gettimeofday), SCMP_SYS(getrandom), SCMP_SYS(getuid),
    SCMP_SYS(getgid), SCMP_SYS(geteuid), SCMP_SYS(getegid),
    SCMP_SYS(getrusage), SCMP_SYS(uname),
    // Reaping the launcher, its child.
    SCMP_SYS(wait4), SCMP_SYS(waitid),
    // Exit.
    SCMP_SYS(exit), SCMP_SYS(exit_group),
};
// clang-format on

}  // namespace

runsc::boot::v1::SeccompProgram ControlServerProgram() {
  runsc::boot::v1::SeccompProgram program;
  program.set_default_action(SCMP_ACT_ERRNO(EPERM));
  auto rule = [&program](int nr, uint32_t action) {
    auto* r = program.add_rules();
    r->set_syscall(nr);
    r->set_action(action);
    return r;
  };
  auto condition = [](runsc::boot::v1::SeccompRule* r, uint32_t index, scmp_compare op,
                      uint64_t value, uint64_t value_two = 0) {
    auto* c = r->add_conditions();
    c->set_index(index);
    c->set_op(op);
    c->set_value(value);
    c->set_value_two(value_two);
  };
  for (int nr : kAllowed) rule(nr, SCMP_ACT_ALLOW);
  // Memory mappings and protections: never executable.
  for (int nr : {SCMP_SYS(mmap), SCMP_SYS(mprotect)}) {
    condition(rule(nr, SCMP_ACT_ALLOW), 2, SCMP_CMP_MASKED_EQ, PROT_EXEC, 0);
  }
  // Threads only: clone must carry CLONE_THREAD, so no fork. clone3 passes
  // its flags in memory that seccomp cannot read; ENOSYS makes glibc fall
  // back to clone.
  condition(rule(SCMP_SYS(clone), SCMP_ACT_ALLOW), 0, SCMP_CMP_MASKED_EQ, CLONE_THREAD,
            CLONE_THREAD);
  rule(SCMP_SYS(clone3), SCMP_ACT_ERRNO(ENOSYS));
  // prctl only to name threads.
  condition(rule(SCMP_SYS(prctl), SCMP_ACT_ALLOW), 0, SCMP_CMP_EQ, PR_SET_NAME);
  // Signals only to this process's own threads (pid 1 in its namespace).
  condition(rule(SCMP_SYS(tgkill), SCMP_ACT_ALLOW), 0, SCMP_CMP_EQ, 1);
  return program;
}

absl::StatusOr<std::string> CompileControlServerFilter() {
  return CompileSeccompProgram(ControlServerProgram());
}

absl::Status InstallControlServerFilter(const std::string& bpf) {
  if (bpf.empty() || bpf.size() % sizeof(struct sock_filter) != 0 ||
      bpf.size() / sizeof(struct sock_filter) > BPF_MAXINSNS) {
    return absl::InvalidArgumentError(
        absl::StrCat("seccomp: the control server filter is ", bpf.size(),
                     " bytes, not a BPF program"));
  }
  struct sock_fprog prog;
  prog.len = static_cast<unsigned short>(bpf.size() / sizeof(struct sock_filter));
  prog.filter = reinterpret_cast<struct sock_filter*>(const_cast<char*>(bpf.data()));
  // On every thread (TSYNC); a positive result names a thread that could
  // not be synchronised.
  const long rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &prog);
  if (rc < 0) return util::ErrnoError(errno, "seccomp: load the control server filter");
  if (rc > 0) {
    return absl::InternalError(
        absl::StrCat("seccomp: thread ", rc, " could not take the control server filter"));
  }
  return absl::OkStatus();
}

}  // namespace runsc::boot
