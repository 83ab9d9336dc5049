#include "runsc/util/poll_timeout.h"

#include <limits.h>
#include <unistd.h>

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

// 0 only once the deadline has passed; an event before it, at once.
TEST(PollTimeoutTest, PollUntilReturnsAtTheEventOrPastTheDeadline) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  struct pollfd p = {fds[0], POLLIN, 0};
  const absl::Time deadline = absl::Now() + absl::Milliseconds(30);
  EXPECT_EQ(PollUntil(&p, 1, deadline), 0);
  EXPECT_GE(absl::Now(), deadline);
  EXPECT_EQ(PollUntil(&p, 1, absl::InfinitePast()), 0);
  ASSERT_EQ(write(fds[1], "x", 1), 1);
  EXPECT_EQ(PollUntil(&p, 1, absl::InfiniteFuture()), 1);
  EXPECT_NE(p.revents & POLLIN, 0);
  close(fds[0]);
  close(fds[1]);
}

}  // namespace
}  // namespace runsc::util
