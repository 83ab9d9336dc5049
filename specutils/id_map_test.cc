#include "specutils/id_map.h"

#include "gmock/gmock.h"
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
  const auto workload = WorkloadHostMap(base);
  EXPECT_EQ(FormatIdMap(workload), "0 1073741824 65536\n");
  EXPECT_EQ(FormatIdMap(SandboxUidMap(workload)),
            "0 65533 1\n65534 65534 1\n100000 1073741824 65536\n");
  EXPECT_EQ(FormatIdMap(SandboxGidMap(workload)),
            "65534 65534 1\n100000 1073741824 65536\n");
  EXPECT_TRUE(ValidateIdMap(SandboxUidMap(workload)).ok());
  EXPECT_EQ(FormatIdMap(WorkloadNestedMap(workload)), "0 100000 65536\n");
}

TEST(IdMapTest, SpecMappingsPassThroughTheSandboxAtTheirOwnContainerIds) {
  // podman --uidmap 0:200000:1000 --uidmap 1000:5000:1
  const std::vector<IdMapping> spec = {{0, 200000, 1000}, {1000, 5000, 1}};
  ASSERT_TRUE(ValidateWorkloadMap(spec, "linux.uidMappings").ok());
  EXPECT_EQ(FormatIdMap(SandboxUidMap(spec)),
            "0 65533 1\n65534 65534 1\n100000 200000 1000\n101000 5000 1\n");
  EXPECT_EQ(FormatIdMap(WorkloadNestedMap(spec)), "0 100000 1000\n1000 101000 1\n");
  EXPECT_TRUE(ValidateIdMap(SandboxUidMap(spec)).ok());
  EXPECT_EQ(MapId(spec, 0), 200000u);
  EXPECT_EQ(MapId(spec, 999), 200999u);
  EXPECT_EQ(MapId(spec, 1000), 5000u);
  EXPECT_EQ(MapId(spec, 1001), std::nullopt);
  EXPECT_EQ(UnmapId(spec, 5000), 1000u);
  EXPECT_EQ(UnmapId(spec, 201000), std::nullopt);
}

TEST(IdMapTest, WorkloadMapsMayNotHoldRootOrTheSupervisorsIds) {
  for (const std::vector<IdMapping>& bad : std::vector<std::vector<IdMapping>>{
           {{0, 0, 65536}}, {{0, 65000, 1000}}, {{0, 65534, 1}}, {{0, 65533, 1}}}) {
    absl::Status s = ValidateWorkloadMap(bad, "linux.uidMappings");
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << FormatIdMap(bad);
    EXPECT_NE(s.message().find("linux.uidMappings[0]: host id"), std::string::npos) << s;
  }
  // Container ids so high that 100000 above them wraps.
  absl::Status high = ValidateWorkloadMap({{0xFFFF0000u, 300000, 10}}, "linux.gidMappings");
  EXPECT_NE(high.message().find("linux.gidMappings[0]: container ids"), std::string::npos)
      << high;
  EXPECT_NE(ValidateWorkloadMap({}, "linux.uidMappings").message().find("linux.uidMappings"),
            std::string::npos);
  EXPECT_THAT(std::string(ValidateWorkloadMap({{0, (1u << 30) - 10, 65536}}, "linux.uidMappings")
                              .message()),
              ::testing::HasSubstr("linux.uidMappings[0]: host ids from 1073741824 up are runsc's"));
  EXPECT_TRUE(ValidateWorkloadMap({{0, 65535, 1}, {1, 65536, 65535}}, "x").ok());
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
