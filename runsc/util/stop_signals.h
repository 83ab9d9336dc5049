// Graceful-stop signals (SIGTERM, SIGINT) for a multi-threaded server: block
// them in every thread, then read them from a signalfd in the poll loop the
// server already has (no thread waits for them).
#ifndef RUNSC_UTIL_STOP_SIGNALS_H_
#define RUNSC_UTIL_STOP_SIGNALS_H_

#include "absl/status/statusor.h"
#include "runsc/util/unique_fd.h"

namespace runsc::util {

// Call before any thread exists. Resets an inherited SIG_IGN (which would
// discard the signals before the signalfd could take them), blocks SIGTERM
// and SIGINT, and ignores SIGPIPE.
void BlockStopSignals();

// A signalfd (non-blocking, close-on-exec) that becomes readable at the
// first SIGTERM or SIGINT, for a thread that polls already: no thread of
// its own. The signals must be blocked in every thread (BlockStopSignals).
absl::StatusOr<UniqueFd> StopSignalFd();

}  // namespace runsc::util

#endif  // RUNSC_UTIL_STOP_SIGNALS_H_
