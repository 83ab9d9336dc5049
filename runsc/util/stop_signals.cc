#include "runsc/util/stop_signals.h"

#include <signal.h>

#include <thread>

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

void OnStopSignal(std::function<void()> on_stop) {
  std::thread([on_stop = std::move(on_stop)] {
    sigset_t set = StopSet();
    int sig = 0;
    while (sigwait(&set, &sig) != 0) {
    }
    on_stop();
  }).detach();
}

}  // namespace runsc::util
