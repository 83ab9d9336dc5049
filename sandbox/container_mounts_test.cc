#include "sandbox/container_mounts.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace runsc::sandbox {
namespace {

using ::testing::ElementsAre;

// podman's storage, as /proc/self/mountinfo shows it (one line).
constexpr char kPodmanOverlay[] =
    "44 26 254:0 /var/lib/containers/storage/overlay /var/lib/containers/storage/overlay "
    "rw,relatime - ext4 /dev/vda rw\n"
    "48 44 0:40 / /var/lib/containers/storage/overlay/7093/merged rw,relatime - overlay overlay "
    "rw,lowerdir=/var/lib/containers/storage/overlay/l/2BNR:/var/lib/containers/storage/"
    "overlay/l/QQ7A,upperdir=/var/lib/containers/storage/overlay/7093/diff,workdir=/var/lib/"
    "containers/storage/overlay/7093/work,uuid=on\n";

TEST(RootMountPointsTest, OnlyThoseNotInAnEarlierMount) {
  // runc's default spec: /dev/pts and the rest lie in /dev's tmpfs, and
  // /sys/fs/cgroup in the sysfs.
  EXPECT_THAT(*RootMountPoints({"/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys",
                                "/sys/fs/cgroup"}),
              ElementsAre("/proc", "/dev", "/sys"));
  // A later mount at an earlier one's place lies on it; one that comes
  // before its parent lies in the root; a name that merely starts alike is
  // not inside; trailing slashes change nothing.
  EXPECT_THAT(*RootMountPoints({"/data/", "/data", "/data/x", "/database", "/a/b", "/a"}),
              ElementsAre("/data/", "/database", "/a/b", "/a"));
  EXPECT_TRUE(RootMountPoints({})->empty());
}

TEST(RootMountPointsTest, DotComponentsNeedAWalk) {
  EXPECT_FALSE(RootMountPoints({"/dev", "/dev/../etc"}).has_value());
  EXPECT_FALSE(RootMountPoints({"/./proc"}).has_value());
}

TEST(OverlayLayersTest, UpperFirstThenLowersTopToBottom) {
  auto layers = OverlayLayers("/var/lib/containers/storage/overlay/7093/merged", kPodmanOverlay);
  ASSERT_TRUE(layers.ok()) << layers.status();
  EXPECT_THAT(*layers, ElementsAre("/var/lib/containers/storage/overlay/7093/diff",
                                   "/var/lib/containers/storage/overlay/l/2BNR",
                                   "/var/lib/containers/storage/overlay/l/QQ7A"));
}

TEST(OverlayLayersTest, EscapesDataOnlyLayersAndTheTopMount) {
  // A space (\040) in the mount point, an escaped colon and comma in layer
  // paths, a data-only layer after "::", and a second overlay mounted over
  // the first: the top one counts.
  const std::string mountinfo =
      "50 44 0:41 / /run/a\\040b rw - overlay overlay rw,lowerdir=/old\n"
      "51 44 0:42 / /run/a\\040b rw - overlay overlay "
      "rw,lowerdir=/l/one\\:x:/l/two\\,y::/data,upperdir=/u\n";
  auto layers = OverlayLayers("/run/a b", mountinfo);
  ASSERT_TRUE(layers.ok()) << layers.status();
  EXPECT_THAT(*layers, ElementsAre("/u", "/l/one:x", "/l/two,y", "/data"));
}

TEST(OverlayLayersTest, NotAnOverlayIsNotFound) {
  auto layers = OverlayLayers("/var/lib/containers/storage/overlay", kPodmanOverlay);
  EXPECT_EQ(layers.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(OverlayLayers("/nowhere", "").status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace runsc::sandbox
