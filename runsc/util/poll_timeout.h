// poll(2)'s timeout for a wait with a deadline, which may be years away or
// none: the millisecond count of a long wait no longer wraps an int.
#ifndef RUNSC_UTIL_POLL_TIMEOUT_H_
#define RUNSC_UTIL_POLL_TIMEOUT_H_

#include <poll.h>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace runsc::util {

// Milliseconds to poll for with `left` to go: -1 (no timeout) for an
// infinite wait, 0 for none left, else `left` rounded up (so that a wait
// never ends before its deadline) and at most INT_MAX, about 24.8 days. A
// caller whose poll timed out checks its deadline: a longer wait polls
// again (PollUntil does both).
int PollMillis(absl::Duration left);

// The same for a wait until `deadline` (InfiniteFuture: none).
inline int PollMillisUntil(absl::Time deadline) {
  return PollMillis(deadline == absl::InfiniteFuture() ? absl::InfiniteDuration()
                                                       : deadline - absl::Now());
}

// poll(2) on `fds` until one of them has an event or `deadline` passes
// (InfiniteFuture: never): an EINTR, or a timeout before the deadline (of
// a wait longer than one poll can be), polls again. Returns poll's count:
// 0 only once the deadline has passed; -1 with errno on an error.
int PollUntil(struct pollfd* fds, nfds_t count, absl::Time deadline);

}  // namespace runsc::util

#endif  // RUNSC_UTIL_POLL_TIMEOUT_H_
