#include "runsc/util/poll_timeout.h"

#include <errno.h>
#include <limits.h>

namespace runsc::util {

int PollMillis(absl::Duration left) {
  if (left == absl::InfiniteDuration()) return -1;
  if (left <= absl::ZeroDuration()) return 0;
  const absl::Duration most = absl::Milliseconds(INT_MAX);
  if (left >= most) return INT_MAX;
  return static_cast<int>(absl::ToInt64Milliseconds(absl::Ceil(left, absl::Milliseconds(1))));
}

int PollUntil(struct pollfd* fds, nfds_t count, absl::Time deadline) {
  for (;;) {
    const int ready = poll(fds, count, PollMillisUntil(deadline));
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0 && absl::Now() < deadline) continue;
    return ready;
  }
}

}  // namespace runsc::util
