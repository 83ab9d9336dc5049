// poll(2)'s timeout for a wait with a deadline, which may be years away or
// none: the millisecond count of a long wait no longer wraps an int.
#ifndef RUNSC_UTIL_POLL_TIMEOUT_H_
#define RUNSC_UTIL_POLL_TIMEOUT_H_

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace runsc::util {

// Milliseconds to poll for with `left` to go: -1 (no timeout) for an
// infinite wait, 0 for none left, else `left` rounded up (so that a wait
// never ends before its deadline) and at most INT_MAX, about 24.8 days. A
// caller whose poll timed out checks its deadline: a longer wait polls
// again.
int PollMillis(absl::Duration left);

// The same for a wait until `deadline` (InfiniteFuture: none).
inline int PollMillisUntil(absl::Time deadline) {
  return PollMillis(deadline == absl::InfiniteFuture() ? absl::InfiniteDuration()
                                                       : deadline - absl::Now());
}

}  // namespace runsc::util

#endif  // RUNSC_UTIL_POLL_TIMEOUT_H_
