#include "runsc/util/userns_holder.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <memory>

#include "absl/strings/str_cat.h"
#include "runsc/util/errno_status.h"
#include "runsc/util/file_util.h"
#include "runsc/util/status_macros.h"
#include "runsc/util/vm_clone.h"

namespace runsc::util {

namespace {

// How long the holder may take to exit once released.
constexpr int kReapTimeoutMs = 10000;

// The holder: waits until the caller closes the pipe's write end (the fd
// table is shared, so the caller's close is the last), then exits. Every
// signal is blocked, so the read cannot be interrupted. Its argument is the
// read end's number itself: nothing of the caller's memory is read, so the
// caller may return before the holder first runs.
int HolderMain(void* arg) {
  const long fd = reinterpret_cast<intptr_t>(arg);
  char c;
  while (RawSyscall(SYS_read, fd, reinterpret_cast<long>(&c), 1) > 0) {
  }
  for (;;) RawSyscall(SYS_exit_group, 0, 0, 0);
}

}  // namespace

struct UsernsHolderAccess {
  static void Set(UsernsHolder& holder, UniqueFd pidfd, UniqueFd release_r,
                  std::unique_ptr<ChildStack> stack) {
    holder.pidfd_ = std::move(pidfd);
    holder.release_r_ = std::move(release_r);
    holder.stack_ = std::move(stack);
  }
};

UsernsHolder& UsernsHolder::operator=(UsernsHolder&& other) {
  if (this != &other) {
    Reap();
    pidfd_ = std::move(other.pidfd_);
    release_r_ = std::move(other.release_r_);
    stack_ = std::move(other.stack_);
  }
  return *this;
}

void UsernsHolder::Reap() {
  if (!pidfd_) return;
  struct pollfd pfd = {pidfd_.get(), POLLIN, 0};
  int ready;
  do {
    ready = poll(&pfd, 1, kReapTimeoutMs);
  } while (ready < 0 && errno == EINTR);
  if (ready == 0) syscall(SYS_pidfd_send_signal, pidfd_.get(), SIGKILL, nullptr, 0);
  siginfo_t info;
  int rc;
  do {
    rc = waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(pidfd_.get()), &info, WEXITED);
  } while (rc < 0 && errno == EINTR);
  // Reaped (or by someone else: ECHILD). Otherwise it may still run on its
  // stack, which is then left mapped.
  if (rc != 0 && errno != ECHILD) stack_->Leak();
  stack_.reset();
  release_r_.reset();  // only now: its number is the holder's to read
  pidfd_.reset();
}

absl::StatusOr<UserNamespace> MakeUserNamespace(const std::string& uid_map,
                                                const std::string& gid_map, const char* proc_dir) {
  // Declared first, so destroyed last: on every return, release_w has let
  // the holder go before anything waits for it.
  UserNamespace made;
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) return ErrnoError(errno, "pipe2 for the userns holder");
  UniqueFd release_r(pipe_fds[0]), release_w(pipe_fds[1]);
  auto stack = std::make_unique<ChildStack>();
  RETURN_IF_ERROR(stack->Map());
  int pidfd_out = -1;
  struct clone_args request = {};
  request.flags = CLONE_VM | CLONE_FILES | CLONE_NEWUSER | CLONE_PIDFD;
  request.pidfd = reinterpret_cast<uint64_t>(&pidfd_out);
  request.exit_signal = SIGCHLD;
  request.stack = reinterpret_cast<uint64_t>(stack->low());
  request.stack_size = stack->size();
  long pid;
  {
    // The holder runs none of our handlers: it blocks everything from its
    // first instruction (the mask is inherited).
    AllSignalsBlocked blocked;
    pid = CloneOnStack(&request, HolderMain,
                       reinterpret_cast<void*>(static_cast<intptr_t>(release_r.get())));
  }
  if (pid < 0) return ErrnoError(static_cast<int>(-pid), "clone3(CLONE_NEWUSER) a userns holder");
  UsernsHolderAccess::Set(made.holder, UniqueFd(pidfd_out), std::move(release_r), std::move(stack));
  // On any return from here, the holder is let go (release_w's close).
  const std::string base = absl::StrCat(proc_dir, "/", pid, "/");
  RETURN_IF_ERROR(WriteKernelFile(base + "uid_map", uid_map));
  RETURN_IF_ERROR(WriteKernelFile(base + "gid_map", gid_map));
  made.fd.reset(open((base + "ns/user").c_str(), O_RDONLY | O_CLOEXEC));
  if (!made.fd) return ErrnoError(errno, absl::StrCat("open '", base, "ns/user'"));
  return made;
}

}  // namespace runsc::util
