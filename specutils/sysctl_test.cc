#include "specutils/sysctl.h"

#include <sched.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace runsc::specutils {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

TEST(SysctlTest, OnlyNamespacedParametersAreAllowed) {
  for (const char* key : {"net.ipv4.ip_forward", "net.ipv4.ping_group_range", "kernel.shmmax",
                          "kernel.sem", "fs.mqueue.msg_max", "kernel.domainname",
                          "net.ipv6.conf.all.disable_ipv6"}) {
    EXPECT_TRUE(ValidateSysctl(key, "1").ok()) << key;
  }
  for (const char* key : {"vm.swappiness", "kernel.pid_max", "kernel.shm_next_id_x",
                          "fs.file-max", "kernel.modprobe"}) {
    absl::Status s = ValidateSysctl(key, "1");
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << key;
    EXPECT_THAT(std::string(s.message()),
                HasSubstr(absl::StrCat("linux.sysctl[\"", key, "\"]: not scoped")));
  }
}

TEST(SysctlTest, TheHostnameIsTheHostnameFieldsToSet) {
  EXPECT_THAT(std::string(ValidateSysctl("kernel.hostname", "x").message()),
              HasSubstr("conflicts with the spec's hostname field"));
}

TEST(SysctlTest, KeysCannotNameAPathOutsideProcSys) {
  for (const char* key : {"net..ipv4", "net.ipv4/../../x", "net.", ".net", "net.ipv4.a b"}) {
    EXPECT_THAT(std::string(ValidateSysctl(key, "1").message()),
                HasSubstr("not a kernel parameter name"))
        << key;
  }
  EXPECT_FALSE(ValidateSysctl("net.ipv4.ip_forward", std::string(5000, '1')).ok());
}

TEST(SysctlTest, WritesSplitByNamespaceInAFixedOrder) {
  google::protobuf::Map<std::string, std::string> sysctl;
  sysctl["net.ipv4.ip_forward"] = "1";
  sysctl["kernel.shmmni"] = "2048";
  sysctl["fs.mqueue.msg_max"] = "20";
  sysctl["kernel.domainname"] = "example.org";
  EXPECT_THAT(SysctlWrites(sysctl, CLONE_NEWIPC, {}),
              ElementsAre(Pair("fs/mqueue/msg_max", "20"), Pair("kernel/shmmni", "2048")));
  EXPECT_THAT(SysctlWrites(sysctl, CLONE_NEWNET, {}),
              ElementsAre(Pair("net/ipv4/ip_forward", "1")));
  EXPECT_THAT(SysctlWrites(sysctl, CLONE_NEWUTS, {}),
              ElementsAre(Pair("kernel/domainname", "example.org")));
}

TEST(SysctlTest, PingGroupRangeIsTranslatedToTheWritersGids) {
  google::protobuf::Map<std::string, std::string> sysctl;
  const std::vector<IdMapping> nested = {{0, 100000, 65536}};
  auto ping = [&](const std::string& value, const std::vector<IdMapping>& map) {
    sysctl["net.ipv4.ping_group_range"] = value;
    return SysctlWrites(sysctl, CLONE_NEWNET, map).at(0).second;
  };
  // podman's "0 0": the container's root group.
  EXPECT_EQ(ping("0 0", nested), "100000 100000");
  // Kubernetes' "0 2147483647": every group the container has.
  EXPECT_EQ(ping("0 2147483647", nested), "100000 165535");
  EXPECT_EQ(ping("1000\t2000", {{0, 300000, 65536}}), "301000 302000");
  // Where the first mapped range starts inside lo..hi.
  EXPECT_EQ(ping("0 10", {{5, 700, 100}, {200, 900, 1}}), "700 705");
  // Nothing of it mapped: nobody may ping.
  EXPECT_EQ(ping("70000 80000", nested), "1 0");
  // Not two numbers: left for the kernel to refuse.
  EXPECT_EQ(ping("x", nested), "x");
}

}  // namespace
}  // namespace runsc::specutils
