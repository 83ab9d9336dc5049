#include "specutils/mount_options.h"

#include <sys/mount.h>

#include "gtest/gtest.h"

namespace runsc::specutils {
namespace {

TEST(MountOptionsTest, RuncDefaultsForProcAndDev) {
  MountOptions dev = ParseMountOptions({"nosuid", "strictatime", "mode=755", "size=65536k"});
  EXPECT_EQ(dev.flags, MS_NOSUID | MS_STRICTATIME);
  EXPECT_EQ(dev.data, "mode=755,size=65536k");
  EXPECT_FALSE(dev.bind);
}

TEST(MountOptionsTest, BindReadOnlyPrivate) {
  MountOptions b = ParseMountOptions({"rbind", "ro", "rprivate", "nosuid"});
  EXPECT_TRUE(b.bind);
  EXPECT_TRUE(b.recursive);
  EXPECT_EQ(b.flags, MS_BIND | MS_REC | MS_RDONLY | MS_NOSUID);
  EXPECT_EQ(b.propagation, MS_PRIVATE | MS_REC);
  EXPECT_EQ(b.data, "");
}

TEST(MountOptionsTest, TmpcopyupIsACopyUpNotData) {
  MountOptions m = ParseMountOptions({"rw", "tmpcopyup", "size=1m"});
  EXPECT_TRUE(m.copy_up);
  EXPECT_EQ(m.data, "size=1m");
  EXPECT_FALSE(ParseMountOptions({"size=1m"}).copy_up);
}

TEST(MountOptionsTest, ClearingOptionsRemoveBits) {
  MountOptions m = ParseMountOptions({"ro", "nosuid", "rw", "suid", "noexec"});
  EXPECT_EQ(m.flags, MS_NOEXEC);
}

// runc's recursive forms, and nosymfollow: they were file system data,
// which a bind ignores, so an "rro" volume was writable.
TEST(MountOptionsTest, RecursiveFormsAndNosymfollowAreFlags) {
  MountOptions m = ParseMountOptions(
      {"rbind", "rro", "rnoexec", "rnosuid", "rnodev", "rnosymfollow", "rnoatime", "rnodiratime"});
  EXPECT_EQ(m.flags, MS_BIND | MS_REC | MS_RDONLY | MS_NOEXEC | MS_NOSUID | MS_NODEV |
                         MS_NOSYMFOLLOW | MS_NOATIME | MS_NODIRATIME);
  EXPECT_EQ(m.data, "");
  MountOptions n = ParseMountOptions({"nosymfollow", "rro", "rrw", "rsymfollow", "rexec"});
  EXPECT_EQ(n.flags, 0u);
  EXPECT_EQ(n.data, "");
}

}  // namespace
}  // namespace runsc::specutils
