// The daemon's own fd limit. A daemon holds a few fds per live sandbox (its
// pidfd, its control connection, the stdio of calls in flight), so 1000
// sandboxes need more than the soft limit of 1024 that systemd and most
// shells hand out. RaiseFdLimit lifts the soft limit to the hard one for
// this process; the spawner puts the limit it found back for each sandbox
// it starts, so workloads inherit what they would have without it.
#ifndef RUNSC_UTIL_FD_LIMIT_H_
#define RUNSC_UTIL_FD_LIMIT_H_

#include <sys/resource.h>

#include "absl/status/status.h"

namespace runsc::util {

// Raises RLIMIT_NOFILE's soft limit to its hard limit, remembering the
// soft limit it found. Call once, before any thread exists.
absl::Status RaiseFdLimit();

// The soft limit RaiseFdLimit found, or RLIM_INFINITY if it never ran (the
// process's limit is then left as it is).
rlim_t InheritedFdSoftLimit();

}  // namespace runsc::util

#endif  // RUNSC_UTIL_FD_LIMIT_H_
