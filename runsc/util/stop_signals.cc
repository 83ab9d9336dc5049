#include "runsc/util/stop_signals.h"

#include <errno.h>
#include <signal.h>
#include <sys/signalfd.h>

#include "runsc/util/errno_status.h"

namespace runsc::util {
namespace {
sigset_t StopSet() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}
}  // namespace

void BlockStopSignals() {
  signal(SIGTERM, SIG_DFL);
  signal(SIGINT, SIG_DFL);
  signal(SIGPIPE, SIG_IGN);
  sigset_t set = StopSet();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

absl::StatusOr<UniqueFd> StopSignalFd() {
  sigset_t set = StopSet();
  UniqueFd fd(signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC));
  if (!fd) return ErrnoError(errno, "signalfd for SIGTERM and SIGINT");
  return fd;
}

}  // namespace runsc::util
