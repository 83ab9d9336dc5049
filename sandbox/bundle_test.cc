#include "sandbox/bundle.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "gtest/gtest.h"
#include "runsc/util/test_dirs.h"

namespace runsc::sandbox {
namespace {

using util::TempDir;

class BundleTest : public ::testing::Test {
 protected:
  std::string config() const { return dir_.path() + "/config.json"; }

  TempDir dir_{"runsc-test-bundle"};
};

// A FIFO in config.json's place held the open, and with it the daemon's
// CreateSandbox and its slot among the creations under way, until a writer
// came (for good, if none did). It is refused at once, by name.
TEST_F(BundleTest, AFifoForConfigJsonIsRefusedWithoutWaitingForAWriter) {
  ASSERT_EQ(mkfifo(config().c_str(), 0644), 0);
  absl::StatusOr<runsc::boot::v1::ContainerConfig> loaded = LoadBundle(dir_.path());
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kInvalidArgument) << loaded.status();
  EXPECT_NE(loaded.status().message().find("'" + config() + "' is not a regular file"),
            std::string::npos)
      << loaded.status();
}

TEST_F(BundleTest, ADirectoryForConfigJsonIsRefusedByName) {
  ASSERT_EQ(mkdir(config().c_str(), 0755), 0);
  absl::StatusOr<runsc::boot::v1::ContainerConfig> loaded = LoadBundle(dir_.path());
  EXPECT_FALSE(loaded.ok());
  EXPECT_NE(loaded.status().message().find(config()), std::string::npos) << loaded.status();
}

TEST_F(BundleTest, ARegularConfigJsonIsRead) {
  const std::string json = R"({"ociVersion":"1.0.2","process":{"args":["/bin/true"],"cwd":"/"},)"
                           R"("root":{"path":"rootfs"}})";
  int fd = open(config().c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, json.data(), json.size()), static_cast<ssize_t>(json.size()));
  close(fd);
  absl::StatusOr<runsc::boot::v1::ContainerConfig> loaded = LoadBundle(dir_.path());
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  ASSERT_EQ(loaded->process().args_size(), 1);
  EXPECT_EQ(loaded->process().args(0), "/bin/true");
}

}  // namespace
}  // namespace runsc::sandbox
