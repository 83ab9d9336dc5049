#include "runsc/util/userns_holder.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "runsc/util/errno_status.h"
#include "runsc/util/file_util.h"
#include "runsc/util/status_macros.h"
#include "runsc/util/vm_clone.h"

namespace runsc::util {

namespace {

// How long the holder may take to exit once released.
constexpr int kReapTimeoutMs = 10000;

struct HolderArgs {
  int release_fd;  // read end of a pipe: EOF means "done with you"
};

// The holder: waits until the caller closes the pipe's write end (the fd
// table is shared, so the caller's close is the last), then exits. Every
// signal is blocked, so the read cannot be interrupted.
int HolderMain(void* arg) {
  const int fd = static_cast<const HolderArgs*>(arg)->release_fd;
  char c;
  while (RawSyscall(SYS_read, fd, reinterpret_cast<long>(&c), 1) > 0) {
  }
  for (;;) RawSyscall(SYS_exit_group, 0, 0, 0);
}

// Lets the holder go and reaps it; true once it is certainly gone.
bool ReleaseAndReap(UniqueFd& release_w, const UniqueFd& pidfd) {
  release_w.reset();
  struct pollfd pfd = {pidfd.get(), POLLIN, 0};
  int ready;
  do {
    ready = poll(&pfd, 1, kReapTimeoutMs);
  } while (ready < 0 && errno == EINTR);
  if (ready == 0) syscall(SYS_pidfd_send_signal, pidfd.get(), SIGKILL, nullptr, 0);
  siginfo_t info;
  int rc;
  do {
    rc = waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(pidfd.get()), &info, WEXITED);
  } while (rc < 0 && errno == EINTR);
  // ECHILD: someone else reaped it, so it has exited too.
  return rc == 0 || errno == ECHILD;
}

}  // namespace

absl::StatusOr<UniqueFd> MakeUserNamespace(const std::string& uid_map,
                                           const std::string& gid_map, const char* proc_dir) {
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) return ErrnoError(errno, "pipe2 for the userns holder");
  UniqueFd release_r(pipe_fds[0]), release_w(pipe_fds[1]);
  ChildStack stack;
  RETURN_IF_ERROR(stack.Map());
  HolderArgs args{release_r.get()};
  int pidfd_out = -1;
  struct clone_args request = {};
  request.flags = CLONE_VM | CLONE_FILES | CLONE_NEWUSER | CLONE_PIDFD;
  request.pidfd = reinterpret_cast<uint64_t>(&pidfd_out);
  request.exit_signal = SIGCHLD;
  request.stack = reinterpret_cast<uint64_t>(stack.low());
  request.stack_size = stack.size();
  long pid;
  {
    // Every signal stays blocked in the holder: no handler may run on our
    // memory from another process.
    AllSignalsBlocked blocked;
    pid = CloneOnStack(&request, HolderMain, &args);
  }
  if (pid < 0) return ErrnoError(static_cast<int>(-pid), "clone3(CLONE_NEWUSER) a userns holder");
  UniqueFd pidfd(pidfd_out);
  // Runs before `stack` is unmapped, on every path from here.
  absl::Cleanup reap = [&] {
    if (!ReleaseAndReap(release_w, pidfd)) stack.Leak();
  };
  const std::string base = absl::StrCat(proc_dir, "/", pid, "/");
  RETURN_IF_ERROR(WriteKernelFile(base + "uid_map", uid_map));
  RETURN_IF_ERROR(WriteKernelFile(base + "gid_map", gid_map));
  UniqueFd ns(open((base + "ns/user").c_str(), O_RDONLY | O_CLOEXEC));
  if (!ns) return ErrnoError(errno, absl::StrCat("open '", base, "ns/user'"));
  return ns;
}

}  // namespace runsc::util
