#include "specutils/capabilities.h"

#include <linux/capability.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace runsc::specutils {
namespace {

using ::testing::HasSubstr;

TEST(CapabilitiesTest, TableMatchesKernelHeaders) {
  EXPECT_EQ(*CapabilityFromName("CAP_SYS_ADMIN", "f"), CAP_SYS_ADMIN);
  EXPECT_EQ(*CapabilityFromName("cap_net_raw", "f"), CAP_NET_RAW);
  EXPECT_EQ(*CapabilityFromName("CAP_CHECKPOINT_RESTORE", "f"),
            CAP_CHECKPOINT_RESTORE);
  EXPECT_EQ(CapabilityCount(), CAP_LAST_CAP + 1);
  EXPECT_EQ(CapabilityName(CAP_KILL), "CAP_KILL");
}

TEST(CapabilitiesTest, MaskSetsBits) {
  auto mask = CapabilityMask({"CAP_CHOWN", "CAP_KILL"}, "process.capabilities.bounding");
  ASSERT_TRUE(mask.ok());
  EXPECT_EQ(*mask, (uint64_t{1} << CAP_CHOWN) | (uint64_t{1} << CAP_KILL));
  EXPECT_EQ(*CapabilityMask({}, "x"), 0u);
}

TEST(CapabilitiesTest, UnknownNameIsNamedWithItsIndex) {
  auto mask = CapabilityMask({"CAP_CHOWN", "CAP_KILL", "CAP_FOO"},
                             "process.capabilities.bounding");
  ASSERT_FALSE(mask.ok());
  EXPECT_EQ(mask.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(mask.status().message()),
              HasSubstr("process.capabilities.bounding[2]: unknown capability 'CAP_FOO'"));
}

}  // namespace
}  // namespace runsc::specutils
