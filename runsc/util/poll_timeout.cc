#include "runsc/util/poll_timeout.h"

#include <limits.h>

namespace runsc::util {

int PollMillis(absl::Duration left) {
  if (left == absl::InfiniteDuration()) return -1;
  if (left <= absl::ZeroDuration()) return 0;
  const absl::Duration most = absl::Milliseconds(INT_MAX);
  if (left >= most) return INT_MAX;
  return static_cast<int>(absl::ToInt64Milliseconds(absl::Ceil(left, absl::Milliseconds(1))));
}

}  // namespace runsc::util
