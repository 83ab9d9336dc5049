#include "boot/seccomp_policy.h"

#include <errno.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>

#include <memory>

#include "absl/strings/str_cat.h"
#include "runsc/util/errno_status.h"

namespace runsc::boot {
namespace {

struct CtxDeleter {
  void operator()(scmp_filter_ctx ctx) const { seccomp_release(ctx); }
};
using Ctx = std::unique_ptr<void, CtxDeleter>;

// libseccomp returns -errno.
absl::Status Check(int rc, const char* what) {
  if (rc < 0) return util::ErrnoError(-rc, absl::StrCat("seccomp: ", what));
  return absl::OkStatus();
}

// Syscalls allowed with any arguments.
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

}  // namespace

absl::Status InstallControlServerFilter() {
  Ctx ctx(seccomp_init(SCMP_ACT_ERRNO(EPERM)));
  if (ctx == nullptr) return absl::InternalError("seccomp_init failed");
  absl::Status status = Check(
      seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_TSYNC, 1), "set TSYNC");
  if (!status.ok()) return status;
  for (int nr : kAllowed) {
    status = Check(seccomp_rule_add(ctx.get(), SCMP_ACT_ALLOW, nr, 0),
                   "allow syscall");
    if (!status.ok()) return status;
  }
  // Memory mappings and protections: never executable.
  for (int nr : {SCMP_SYS(mmap), SCMP_SYS(mprotect)}) {
    status = Check(seccomp_rule_add(ctx.get(), SCMP_ACT_ALLOW, nr, 1,
                                    SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0)),
                   "allow mmap/mprotect without PROT_EXEC");
    if (!status.ok()) return status;
  }
  // Threads only: clone must carry CLONE_THREAD, so no fork. clone3 passes
  // its flags in memory that seccomp cannot read; ENOSYS makes glibc fall
  // back to clone.
  status = Check(seccomp_rule_add(ctx.get(), SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
                                  SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD,
                                          CLONE_THREAD)),
                 "allow clone(CLONE_THREAD)");
  if (!status.ok()) return status;
  status = Check(seccomp_rule_add(ctx.get(), SCMP_ACT_ERRNO(ENOSYS),
                                  SCMP_SYS(clone3), 0),
                 "clone3 -> ENOSYS");
  if (!status.ok()) return status;
  // prctl only to name threads.
  status = Check(seccomp_rule_add(ctx.get(), SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1,
                                  SCMP_A0(SCMP_CMP_EQ, PR_SET_NAME)),
                 "allow prctl(PR_SET_NAME)");
  if (!status.ok()) return status;
  // Signals only to this process's own threads (pid 1 in its namespace).
  status = Check(seccomp_rule_add(ctx.get(), SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
                                  SCMP_A0(SCMP_CMP_EQ, 1)),
                 "allow tgkill(1, ...)");
  if (!status.ok()) return status;
  return Check(seccomp_load(ctx.get()), "load filter");
}

}  // namespace runsc::boot
