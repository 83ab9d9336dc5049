#include "runsc/util/poll_timeout.h"

#include <limits.h>

#include "gtest/gtest.h"

namespace runsc::util {
namespace {

TEST(PollTimeoutTest, RoundsUpAndNeverWraps) {
  EXPECT_EQ(PollMillis(absl::InfiniteDuration()), -1);
  EXPECT_EQ(PollMillis(absl::ZeroDuration()), 0);
  EXPECT_EQ(PollMillis(-absl::Seconds(3)), 0);
  EXPECT_EQ(PollMillis(-absl::InfiniteDuration()), 0);
  EXPECT_EQ(PollMillis(absl::Microseconds(1)), 1);
  EXPECT_EQ(PollMillis(absl::Microseconds(1500)), 2);
  EXPECT_EQ(PollMillis(absl::Seconds(2)), 2000);
  // 2^32 ms and a little: an int cast made it 204 ms; 2^31 ms, negative
  // (no timeout at all).
  EXPECT_EQ(PollMillis(absl::Seconds(4294967.5)), INT_MAX);
  EXPECT_EQ(PollMillis(absl::Milliseconds(int64_t{1} << 31)), INT_MAX);
  EXPECT_EQ(PollMillis(absl::Hours(24 * 365 * 100)), INT_MAX);
  EXPECT_EQ(PollMillisUntil(absl::InfiniteFuture()), -1);
  EXPECT_EQ(PollMillisUntil(absl::InfinitePast()), 0);
  EXPECT_GT(PollMillisUntil(absl::Now() + absl::Seconds(10)), 9000);
}

}  // namespace
}  // namespace runsc::util
