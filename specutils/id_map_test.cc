#include "specutils/id_map.h"

#include "gtest/gtest.h"

namespace runsc::specutils {
namespace {

TEST(IdMapTest, SandboxMapsAreTheRootToNobodyTrick) {
  EXPECT_EQ(FormatIdMap(SandboxUidMap()), "0 65533 1\n65534 65534 1\n");
  EXPECT_EQ(FormatIdMap(SandboxGidMap()), "65534 65534 1\n");
  EXPECT_TRUE(ValidateIdMap(SandboxUidMap()).ok());
  EXPECT_TRUE(ValidateIdMap(SandboxGidMap()).ok());
}

TEST(IdMapTest, WorkloadRangeExtendsTheSandboxMaps) {
  const uint32_t base = 1u << 30;
  EXPECT_EQ(FormatIdMap(SandboxUidMap(base)),
            "0 65533 1\n65534 65534 1\n100000 1073741824 65536\n");
  EXPECT_EQ(FormatIdMap(SandboxGidMap(base)),
            "65534 65534 1\n100000 1073741824 65536\n");
  EXPECT_TRUE(ValidateIdMap(SandboxUidMap(base)).ok());
  EXPECT_EQ(FormatIdMap(WorkloadNestedMap()), "0 100000 65536\n");
  EXPECT_EQ(FormatIdMap(WorkloadHostMap(base)), "0 1073741824 65536\n");
}

TEST(IdMapTest, RejectsEmptyZeroSizeAndOverlaps) {
  EXPECT_FALSE(ValidateIdMap({}).ok());
  EXPECT_FALSE(ValidateIdMap({{0, 1000, 0}}).ok());
  // Inside ranges overlap.
  EXPECT_FALSE(ValidateIdMap({{0, 1000, 10}, {5, 5000, 10}}).ok());
  // Host ranges overlap.
  EXPECT_FALSE(ValidateIdMap({{0, 1000, 10}, {100, 1005, 10}}).ok());
  // Wraps.
  EXPECT_FALSE(ValidateIdMap({{0, 0xfffffff0u, 0x100}}).ok());
  // Adjacent is fine.
  EXPECT_TRUE(ValidateIdMap({{0, 1000, 10}, {10, 1010, 10}}).ok());
}

}  // namespace
}  // namespace runsc::specutils
