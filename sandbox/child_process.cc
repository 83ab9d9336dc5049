#include "sandbox/child_process.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "runsc/util/errno_status.h"
#include "runsc/util/poll_timeout.h"
#include "runsc/util/thread.h"

namespace runsc::sandbox {

using util::ErrnoError;

std::string ExitStatus::ToString() const {
  if (!known) return "exited (status went to its parent)";
  if (signaled) {
    const char* name = sigabbrev_np(signal);
    return absl::StrCat("killed by signal ", signal,
                        name ? absl::StrCat(" (SIG", name, ")") : "");
  }
  return absl::StrCat("exited with code ", code);
}

ChildProcess::ChildProcess(pid_t pid, util::UniqueFd pidfd)
    : pid_(pid), pidfd_(std::move(pidfd)) {}

absl::StatusOr<ChildProcess> ChildProcess::Adopt(pid_t pid) {
  util::UniqueFd pidfd(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
  if (!pidfd) return ErrnoError(errno, absl::StrCat("pidfd_open process ", pid));
  ChildProcess process(pid, std::move(pidfd));
  process.is_child_ = false;
  return process;
}

void ChildProcess::Release() {
  pidfd_.reset();
  reaped_ = true;
}

ChildProcess::~ChildProcess() {
  if (!pidfd_.valid() || reaped_) return;
  absl::StatusOr<ExitStatus> ended = KillAndWait(destructor_kill_timeout_);
  if (!is_child_ || !absl::IsDeadlineExceeded(ended.status())) return;
  // Killed, but the kernel cannot end it yet (a frozen v1 freezer, an
  // uninterruptible sleep): a thread reaps it whenever it ends, rather than
  // leave a zombie for as long as this process lives.
  const int pidfd = pidfd_.release();
  absl::StatusOr<std::thread> reaper = util::StartThread("a late reap", [pidfd] {
    siginfo_t info = {};
    while (waitid(P_PIDFD, static_cast<id_t>(pidfd), &info, WEXITED) != 0 && errno == EINTR) {
    }
    close(pidfd);
  });
  if (reaper.ok()) {
    reaper->detach();
  } else {
    close(pidfd);  // no thread to be had: the zombie stays
  }
}

absl::Status ChildProcess::Signal(int sig) {
  if (reaped_) {
    return absl::FailedPreconditionError(
        absl::StrCat("process ", pid_, " has already been reaped"));
  }
  if (syscall(SYS_pidfd_send_signal, pidfd_.get(), sig, nullptr, 0) != 0) {
    if (errno == ESRCH) return absl::OkStatus();  // exited, not yet reaped
    return ErrnoError(errno, absl::StrCat("pidfd_send_signal(", sig,
                                          ") to process ", pid_));
  }
  return absl::OkStatus();
}

absl::StatusOr<ExitStatus> ChildProcess::Wait(absl::Duration timeout) {
  if (reaped_) {
    return absl::FailedPreconditionError(
        absl::StrCat("process ", pid_, " has already been reaped"));
  }
  const absl::Time deadline = absl::Now() + timeout;
  for (;;) {
    struct pollfd pfd = {pidfd_.get(), POLLIN, 0};
    const int ready = util::PollUntil(&pfd, 1, deadline);
    if (ready < 0) return ErrnoError(errno, absl::StrCat("poll pidfd of ", pid_));
    if (ready == 0) {
      return absl::DeadlineExceededError(absl::StrCat(
          "process ", pid_, " still running after ", absl::FormatDuration(timeout)));
    }
    if (!is_child_) {
      reaped_ = true;
      ExitStatus status;
      status.known = false;
      return status;
    }
    siginfo_t info = {};
    if (waitid(P_PIDFD, static_cast<id_t>(pidfd_.get()), &info, WEXITED) != 0) {
      if (errno == EINTR) continue;
      return ErrnoError(errno, absl::StrCat("waitid process ", pid_));
    }
    reaped_ = true;
    ExitStatus status;
    if (info.si_code == CLD_EXITED) {
      status.code = info.si_status;
    } else {
      status.signaled = true;
      status.signal = info.si_status;
    }
    return status;
  }
}

absl::StatusOr<ExitStatus> ChildProcess::KillAndWait(absl::Duration timeout) {
  absl::Status status = Signal(SIGKILL);
  if (!status.ok()) return status;
  return Wait(timeout);
}

}  // namespace runsc::sandbox
