#include "boot/container_fs.h"

#include "gtest/gtest.h"

namespace runsc::boot {
namespace {

TEST(ContainerFsTest, TmpfsGetsContainerRootAsOwner) {
  EXPECT_EQ(TranslateMountData("tmpfs", "mode=755,size=65536k"),
            "mode=755,size=65536k,uid=100000,gid=100000");
}

TEST(ContainerFsTest, ExplicitIdsAreShiftedIntoTheSandboxRange) {
  EXPECT_EQ(TranslateMountData("devpts", "newinstance,ptmxmode=0666,mode=0620,gid=5"),
            "newinstance,ptmxmode=0666,mode=0620,gid=100005");
  EXPECT_EQ(TranslateMountData("tmpfs", "uid=1000,gid=1000"), "uid=101000,gid=101000");
}

TEST(ContainerFsTest, OtherOptionsAreUntouched) {
  EXPECT_EQ(TranslateMountData("mqueue", ""), "");
  EXPECT_EQ(TranslateMountData("devpts", "uidx=3,gid=notanumber"), "uidx=3,gid=notanumber");
}

}  // namespace
}  // namespace runsc::boot
