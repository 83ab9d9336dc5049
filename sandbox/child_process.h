// ChildProcess: owns one child process through its pidfd. Signals go through
// the pidfd, so a recycled pid can never be hit. If the owner is destroyed
// before the child has been reaped, the child is killed with SIGKILL and
// reaped: a ChildProcess never leaves a zombie or a stray process behind.
//
// Thread safety: not thread-safe; one owner uses it.
#ifndef RUNSC_SANDBOX_CHILD_PROCESS_H_
#define RUNSC_SANDBOX_CHILD_PROCESS_H_

#include <sys/types.h>

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "runsc/util/unique_fd.h"

namespace runsc::sandbox {

// How a process ended.
struct ExitStatus {
  // False for an adopted process: it exited, but its parent reaped it.
  bool known = true;
  bool signaled = false;
  int code = 0;    // exit code when !signaled
  int signal = 0;  // terminating signal when signaled

  // The shell's convention: the code, or 128+signal.
  int ShellCode() const { return signaled ? 128 + signal : code; }
  std::string ToString() const;
};

class ChildProcess final {
 public:
  ChildProcess(pid_t pid, util::UniqueFd pidfd);
  // Takes hold of a running process that is not our child (pidfd_open): it
  // can be signalled and waited for, but its exit status goes to its parent.
  static absl::StatusOr<ChildProcess> Adopt(pid_t pid);
  ChildProcess(ChildProcess&&) = default;
  ChildProcess& operator=(ChildProcess&&) = default;
  ~ChildProcess();

  pid_t pid() const { return pid_; }
  int pidfd() const { return pidfd_.get(); }
  bool reaped() const { return reaped_; }

  // Sends `sig` through the pidfd. Signalling an exited (but unreaped)
  // child succeeds and does nothing.
  absl::Status Signal(int sig);

  // Waits up to `timeout` for the child to exit and reaps it.
  // DEADLINE_EXCEEDED if it is still running; FAILED_PRECONDITION if it was
  // already reaped.
  absl::StatusOr<ExitStatus> Wait(absl::Duration timeout = absl::InfiniteDuration());

  // How long KillAndWait waits by default: a killed process is gone within
  // milliseconds, unless the kernel cannot end it yet (uninterruptible
  // sleep, a frozen v1 freezer cgroup).
  static constexpr absl::Duration kKillTimeout = absl::Seconds(10);

  // SIGKILL, then reap. Returns how it ended, or DEADLINE_EXCEEDED after
  // `timeout`, the process then still unreaped (a later Wait may reap it):
  // a process that cannot die never holds its owner for good.
  absl::StatusOr<ExitStatus> KillAndWait(absl::Duration timeout = kKillTimeout);

  // Lets go of the process without killing it: it keeps running.
  void Release();

  // How long the destructor's KillAndWait waits (kKillTimeout unless set).
  // A child still alive then (one the kernel cannot end yet) is reaped by a
  // thread of its own whenever it ends, so that no zombie is left behind.
  void set_destructor_kill_timeout(absl::Duration timeout) { destructor_kill_timeout_ = timeout; }

 private:
  pid_t pid_;
  util::UniqueFd pidfd_;
  bool reaped_ = false;
  bool is_child_ = true;
  absl::Duration destructor_kill_timeout_ = kKillTimeout;
};

}  // namespace runsc::sandbox

#endif  // RUNSC_SANDBOX_CHILD_PROCESS_H_
