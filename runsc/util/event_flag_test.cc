#include "runsc/util/event_flag.h"

#include <poll.h>

#include "gtest/gtest.h"

namespace runsc::util {
namespace {

bool Readable(int fd) {
  struct pollfd p = {fd, POLLIN, 0};
  return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

TEST(EventFlagTest, ReadableForGoodOnceRaised) {
  UniqueFd flag = NewEventFlag();
  ASSERT_TRUE(flag);
  EXPECT_FALSE(Readable(flag.get()));
  RaiseEventFlag(flag.get());
  EXPECT_TRUE(Readable(flag.get()));
  RaiseEventFlag(flag.get());  // raising again changes nothing
  EXPECT_TRUE(Readable(flag.get()));
}

}  // namespace
}  // namespace runsc::util
