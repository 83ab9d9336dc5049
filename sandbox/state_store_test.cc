#include "sandbox/state_store.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace runsc::sandbox {
namespace {

std::string TempDir() {
  char tmpl[] = "/tmp/state-XXXXXX";
  return mkdtemp(tmpl);
}

TEST(StateStoreTest, SaveAndLoadRoundTrip) {
  const std::string dir = TempDir();
  runsc::state::v1::SandboxRecord record;
  record.set_id("box");
  record.set_pid(1234);
  record.set_start_time(987654321);
  record.set_range_base(1u << 30);
  record.add_cgroup_paths("/sys/fs/cgroup/memory/runsc/box.0");
  (*record.mutable_labels())["team"] = "infra";
  record.mutable_container()->mutable_process()->add_args("sh");
  ASSERT_TRUE(SaveRecord(dir, record).ok());
  auto loaded = LoadRecord(dir);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->id(), "box");
  EXPECT_EQ(loaded->start_time(), 987654321u);
  EXPECT_EQ(loaded->labels().at("team"), "infra");
  EXPECT_EQ(loaded->container().process().args(0), "sh");
  // Overwrite is atomic: no temp file stays behind.
  record.set_pid(5678);
  ASSERT_TRUE(SaveRecord(dir, record).ok());
  EXPECT_EQ(LoadRecord(dir)->pid(), 5678);
  struct stat st;
  EXPECT_NE(stat((dir + "/.state.json.tmp").c_str(), &st), 0);
}

TEST(StateStoreTest, MissingAndCorruptRecords) {
  const std::string dir = TempDir();
  EXPECT_EQ(LoadRecord(dir).status().code(), absl::StatusCode::kNotFound);
  std::ofstream(dir + "/state.json") << "{ not json";
  EXPECT_EQ(LoadRecord(dir).status().code(), absl::StatusCode::kInvalidArgument);
  std::ofstream(dir + "/state.json") << R"({"id": "b", "pid": "x"})";
  EXPECT_THAT(std::string(LoadRecord(dir).status().message()),
              ::testing::HasSubstr("/state.json': pid: expected an integer, got x"));
}

TEST(StateStoreTest, StartTimeIdentifiesLiveProcessesOnly) {
  auto self = ProcessStartTime(getpid());
  ASSERT_TRUE(self.ok()) << self.status();
  EXPECT_GT(*self, 0u);
  EXPECT_EQ(ProcessStartTime(getpid()).value(), *self);
  pid_t child = fork();
  if (child == 0) _exit(0);
  // Until reaped the child is a zombie, which counts as gone.
  for (int i = 0; i < 1000; ++i) {
    if (!ProcessStartTime(child).ok()) break;
    usleep(1000);
  }
  EXPECT_EQ(ProcessStartTime(child).status().code(), absl::StatusCode::kNotFound);
  waitpid(child, nullptr, 0);
  EXPECT_EQ(ProcessStartTime(child).status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace runsc::sandbox
