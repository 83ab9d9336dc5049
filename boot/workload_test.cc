#include "boot/workload.h"

#include "gtest/gtest.h"

namespace runsc::boot {
namespace {

TEST(WorkloadTest, HomeComesFromTheContainersPasswd) {
  const std::string passwd =
      "root:x:0:0:root:/root:/bin/sh\n"
      "daemon:x:1:1::/usr/sbin:/usr/sbin/nologin\n"
      "app:x:1000:1000:App:/home/app:/bin/sh\n";
  EXPECT_EQ(HomeFromPasswd(passwd, 0), "/root");
  EXPECT_EQ(HomeFromPasswd(passwd, 1000), "/home/app");
  EXPECT_EQ(HomeFromPasswd(passwd, 4242), "/");
  EXPECT_EQ(HomeFromPasswd("garbage\n::::\n", 0), "/");
}

TEST(WorkloadTest, FindEnvMatchesWholeKeys) {
  std::vector<std::string> env = {"PATHX=/nope", "PATH=/bin:/usr/bin", "HOME="};
  EXPECT_EQ(FindEnv(env, "PATH").value_or("?"), "/bin:/usr/bin");
  EXPECT_EQ(FindEnv(env, "HOME").value_or("?"), "");
  EXPECT_FALSE(FindEnv(env, "USER").has_value());
}

}  // namespace
}  // namespace runsc::boot
