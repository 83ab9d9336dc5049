#include "specutils/device_rules.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace runsc::specutils {
namespace {

using ::testing::HasSubstr;

struct Rule {
  bool allow;
  std::string type;
  int64_t major = -1, minor = -1;  // -1: absent (any)
  std::string access = "rwm";
};

absl::StatusOr<DeviceRules> Rules(const std::vector<Rule>& rules) {
  google::protobuf::RepeatedPtrField<runsc::oci::v1::DeviceCgroup> out;
  for (const Rule& r : rules) {
    auto* d = out.Add();
    d->set_allow(r.allow);
    d->set_type(r.type);
    if (r.major >= 0) d->set_major(r.major);
    if (r.minor >= 0) d->set_minor(r.minor);
    d->set_access(r.access);
  }
  return DeviceRules::FromSpec(out, "linux.resources.devices");
}

TEST(DeviceRulesTest, DockersAndPodmansListsAllowWhatTheyName) {
  // All denied, then each device allowed (podman --device /dev/fuse, and
  // docker's mknod of any).
  auto rules = Rules({{false, "", -1, -1, "rwm"},
                      {true, "c", -1, -1, "m"},
                      {true, "c", 10, 229, "rwm"},
                      {true, "b", 8, 0, "rw"}});
  ASSERT_TRUE(rules.ok()) << rules.status();
  EXPECT_TRUE(rules->Allows('c', 10, 229, "rw"));
  EXPECT_TRUE(rules->Allows('b', 8, 0, "rw"));
  EXPECT_FALSE(rules->Allows('b', 8, 0, "rwm"));
  EXPECT_FALSE(rules->Allows('b', 8, 1, "r"));
  EXPECT_FALSE(rules->Allows('c', 10, 230, "r"));
  EXPECT_TRUE(rules->Allows('c', 10, 230, "m"));
}

TEST(DeviceRulesTest, NoRulesLeaveRuncsOwnAllowancesAlone) {
  auto rules = Rules({});
  ASSERT_TRUE(rules.ok()) << rules.status();
  for (const auto& [major, minor] : std::vector<std::pair<int, int>>{
           {1, 3}, {1, 5}, {1, 7}, {1, 8}, {1, 9}, {5, 0}, {5, 2}, {136, 4}, {10, 200}}) {
    EXPECT_TRUE(rules->Allows('c', major, minor, "rw")) << major << ":" << minor;
  }
  EXPECT_FALSE(rules->Allows('c', 10, 229, "r"));  // /dev/fuse is not runc's
  EXPECT_FALSE(rules->Allows('b', 1, 3, "r"));     // a block device is another
}

TEST(DeviceRulesTest, AnOpenNeedsOneRuleWithAllItAsks) {
  // The kernel's allow-list: one exception must cover the whole access;
  // read from one rule and write from a wider one is no read-write open.
  auto rules = Rules({{false, "a"}, {true, "b", 7, 7, "r"}, {true, "b", -1, -1, "w"}});
  ASSERT_TRUE(rules.ok()) << rules.status();
  EXPECT_TRUE(rules->Allows('b', 7, 7, "r"));
  EXPECT_TRUE(rules->Allows('b', 7, 7, "w"));
  EXPECT_FALSE(rules->Allows('b', 7, 7, "rw"));
  // The same numbers again add to the one rule.
  rules = Rules({{false, "a"}, {true, "b", 7, 7, "r"}, {true, "b", 7, 7, "w"}});
  ASSERT_TRUE(rules.ok());
  EXPECT_TRUE(rules->Allows('b', 7, 7, "rw"));
}

TEST(DeviceRulesTest, AllDevicesRulesStartTheListAgain) {
  // An "a" rule's numbers and access do not narrow it: it is all or none.
  auto rules = Rules({{true, "c", 10, 229}, {false, "a", 7, -1, "w"}});
  ASSERT_TRUE(rules.ok()) << rules.status();
  EXPECT_FALSE(rules->Allows('c', 10, 229, "r"));
  EXPECT_TRUE(rules->Allows('c', 1, 3, "rw"));  // runc's, after the spec's
  // Allowed all (--privileged), then a deny-list.
  rules = Rules({{true, "a"}, {false, "b", 8, 0, "w"}});
  ASSERT_TRUE(rules.ok()) << rules.status();
  EXPECT_TRUE(rules->Allows('b', 8, 0, "r"));
  EXPECT_FALSE(rules->Allows('b', 8, 0, "rw"));
  EXPECT_TRUE(rules->Allows('b', 8, 1, "rw"));
}

TEST(DeviceRulesTest, WhatRuncRefusesIsRefusedByRule) {
  auto empty = Rules({{false, "a"}, {true, "c", 1, 3, ""}});
  EXPECT_THAT(std::string(empty.status().message()),
              HasSubstr("linux.resources.devices[1].access: '' is not a set of r, w and m"));
  auto unknown = Rules({{true, "u", 1, 3}});
  EXPECT_THAT(std::string(unknown.status().message()),
              HasSubstr("linux.resources.devices[0].type: 'u' is not a, b or c"));
  auto bad = Rules({{true, "c", 1, 3, "rwx"}});
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  // A deny of one device out of a wildcard allow: the kernel keeps the
  // wildcard whole, and runc refuses rather than pretend.
  auto hole = Rules({{false, "a"}, {true, "c", 10, -1, "rw"}, {false, "c", 10, 229, "w"}});
  EXPECT_EQ(hole.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(hole.status().message()),
              HasSubstr("linux.resources.devices[2]: cannot take c 10:229 out of the wider rule "
                        "c 10:-1"));
  // A deny of exactly an allowed rule takes its access away.
  auto taken = Rules({{false, "a"}, {true, "c", 10, 229, "rw"}, {false, "c", 10, 229, "w"}});
  ASSERT_TRUE(taken.ok()) << taken.status();
  EXPECT_TRUE(taken->Allows('c', 10, 229, "r"));
  EXPECT_FALSE(taken->Allows('c', 10, 229, "w"));
}

}  // namespace
}  // namespace runsc::specutils
