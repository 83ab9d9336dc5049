#include "runsc/util/fd_limit.h"

#include <errno.h>

#include "runsc/util/errno_status.h"

namespace runsc::util {

namespace {
rlim_t inherited_soft = RLIM_INFINITY;
}  // namespace

absl::Status RaiseFdLimit() {
  struct rlimit limit;
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return ErrnoError(errno, "getrlimit(RLIMIT_NOFILE)");
  inherited_soft = limit.rlim_cur;
  if (limit.rlim_cur == limit.rlim_max) return absl::OkStatus();
  limit.rlim_cur = limit.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &limit) != 0) {
    return ErrnoError(errno, "raise RLIMIT_NOFILE's soft limit to the hard limit");
  }
  return absl::OkStatus();
}

rlim_t InheritedFdSoftLimit() { return inherited_soft; }

}  // namespace runsc::util
