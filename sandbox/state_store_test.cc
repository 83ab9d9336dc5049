#include "sandbox/state_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runsc/util/errno_status.h"
#include "runsc/util/out_of_fds.h"
#include "runsc/util/test_dirs.h"
#include "specutils/spec_json.h"

namespace runsc::sandbox {
namespace {

using util::ListDir;
using util::TempDir;

TEST(StateStoreTest, SaveAndLoadRoundTrip) {
  TempDir temp("state");
  const std::string dir = temp.path();
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
  EXPECT_EQ(ListDir(dir), std::vector<std::string>{kStateFileName});
}

// A prepared record is made ahead and put in place whole: before its
// commit readers see the old record, after it the new one, with no
// placeholder bytes; the old one waits under the prepared file's name.
TEST(StateStoreTest, APreparedRecordReplacesTheOldOneWhole) {
  TempDir temp("state");
  const std::string dir = temp.path();
  const std::string next = dir + "/" + kNextStateFileName;
  struct stat st;
  runsc::state::v1::SandboxRecord record;
  record.set_id("first");
  // No record yet: the prepared file becomes it.
  PreparedRecord prepared = PreparedRecord::Prepare(dir);
  ASSERT_TRUE(prepared.prepared());
  EXPECT_EQ(LoadRecord(dir).status().code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(std::move(prepared).Commit(record).ok());
  EXPECT_EQ(LoadRecord(dir)->id(), "first");
  EXPECT_NE(stat(next.c_str(), &st), 0);

  // Replacing it, with a record larger than the placeholder.
  prepared = PreparedRecord::Prepare(dir);
  ASSERT_TRUE(prepared.prepared());
  EXPECT_EQ(LoadRecord(dir)->id(), "first");
  record.set_id("second");
  for (int i = 0; i < 100; ++i) {
    (*record.mutable_labels())[absl::StrCat("label", i)] = std::string(64, 'v');
  }
  ASSERT_TRUE(std::move(prepared).Commit(record).ok());
  absl::StatusOr<runsc::state::v1::SandboxRecord> loaded = LoadRecord(dir);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->id(), "second");
  EXPECT_EQ(loaded->labels_size(), 100);
  ASSERT_EQ(stat(RecordPath(dir).c_str(), &st), 0);
  EXPECT_GT(st.st_size, 4096);

  // A smaller one over a larger placeholder: no bytes of it remain.
  prepared = PreparedRecord::Prepare(dir);
  ASSERT_TRUE(prepared.prepared());
  record.clear_labels();
  record.set_id("third");
  ASSERT_TRUE(std::move(prepared).Commit(record).ok());
  EXPECT_EQ(LoadRecord(dir)->id(), "third");
  ASSERT_EQ(stat(RecordPath(dir).c_str(), &st), 0);
  EXPECT_LT(st.st_size, 4096);
  // The record it replaced, whole, under the prepared file's name.
  std::ifstream old(next);
  std::string text((std::istreambuf_iterator<char>(old)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("second"), std::string::npos);
}

// Where the file cannot be made ahead, the commit saves as SaveRecord does.
TEST(StateStoreTest, ARecordThatCouldNotBePreparedIsStillSaved) {
  TempDir temp("state");
  const std::string dir = temp.path();
  ASSERT_EQ(mkdir((dir + "/" + kNextStateFileName).c_str(), 0700), 0);  // in the way
  runsc::state::v1::SandboxRecord record;
  record.set_id("unprepared");
  PreparedRecord prepared = PreparedRecord::Prepare(dir);
  EXPECT_FALSE(prepared.prepared());
  ASSERT_TRUE(std::move(prepared).Commit(record).ok());
  EXPECT_EQ(LoadRecord(dir)->id(), "unprepared");
}

TEST(StateStoreTest, MissingAndCorruptRecords) {
  TempDir temp("state");
  const std::string dir = temp.path();
  EXPECT_EQ(LoadRecord(dir).status().code(), absl::StatusCode::kNotFound);
  EXPECT_FALSE(RecordExists(dir));
  // Not a SandboxRecord (a field number of 0), and an empty file.
  std::ofstream(RecordPath(dir)) << std::string("\0\0\0", 3);
  EXPECT_TRUE(RecordExists(dir));
  absl::Status status = LoadRecord(dir).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()),
              ::testing::HasSubstr("/state.pb' (3 bytes) is not a SandboxRecord"));
  std::ofstream(RecordPath(dir)) << "";
  status = LoadRecord(dir).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), ::testing::HasSubstr("/state.pb' has no id"));
  // An earlier build's record, as JSON, is named the same way.
  ASSERT_EQ(unlink(RecordPath(dir).c_str()), 0);
  std::ofstream(dir + "/state.json") << "{ not json";
  EXPECT_TRUE(RecordExists(dir));
  EXPECT_EQ(LoadRecord(dir).status().code(), absl::StatusCode::kInvalidArgument);
  std::ofstream(dir + "/state.json") << R"({"id": "b", "pid": "x"})";
  EXPECT_THAT(std::string(LoadRecord(dir).status().message()),
              ::testing::HasSubstr("/state.json': pid: expected an integer, got x"));
}

// Sandboxes made by builds before the binary record keep their JSON one:
// it is read while it is the only one, and the first save replaces it,
// whichever way it saves.
TEST(StateStoreTest, AnEarlierBuildsJsonRecordIsReadUntilASaveReplacesIt) {
  TempDir temp("state");
  const std::string dir = temp.path();
  runsc::state::v1::SandboxRecord record;
  record.set_id("older");
  record.set_pid(4321);
  (*record.mutable_labels())["team"] = "infra";
  record.mutable_container()->mutable_process()->add_args("sleep");
  std::ofstream(dir + "/" + kLegacyStateFileName) << specutils::SpecJson(record);
  absl::StatusOr<runsc::state::v1::SandboxRecord> loaded = LoadRecord(dir);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->id(), "older");
  EXPECT_EQ(loaded->pid(), 4321);
  EXPECT_EQ(loaded->labels().at("team"), "infra");
  EXPECT_EQ(loaded->container().process().args(0), "sleep");

  record.set_pid(5678);
  ASSERT_TRUE(SaveRecord(dir, record).ok());
  EXPECT_EQ(ListDir(dir), std::vector<std::string>{kStateFileName});
  EXPECT_EQ(LoadRecord(dir)->pid(), 5678);

  // A prepared record's commit, over a JSON record and its prepared file
  // and no binary record.
  ASSERT_EQ(unlink(RecordPath(dir).c_str()), 0);
  for (const char* name : {kLegacyStateFileName, kLegacyNextStateFileName}) {
    std::ofstream(dir + "/" + name) << specutils::SpecJson(record);
  }
  PreparedRecord prepared = PreparedRecord::Prepare(dir);
  record.set_pid(9876);
  ASSERT_TRUE(std::move(prepared).Commit(record).ok());
  EXPECT_EQ(ListDir(dir), std::vector<std::string>{kStateFileName});
  EXPECT_EQ(LoadRecord(dir)->pid(), 9876);

  // Both (a save cut short between its rename and the unlink): this
  // build's is the newer, and the next commit, an exchange, removes the
  // other.
  record.set_pid(1111);
  std::ofstream(dir + "/" + kLegacyStateFileName) << specutils::SpecJson(record);
  EXPECT_EQ(LoadRecord(dir)->pid(), 9876);
  prepared = PreparedRecord::Prepare(dir);
  record.set_pid(2222);
  ASSERT_TRUE(std::move(prepared).Commit(record).ok());
  EXPECT_EQ(ListDir(dir), (std::vector<std::string>{kNextStateFileName, kStateFileName}));
  EXPECT_EQ(LoadRecord(dir)->pid(), 2222);
}

// A state directory that is gone, or is not a directory, holds no record.
TEST(StateStoreTest, NoDirectoryIsNoRecord) {
  TempDir temp("state");
  const std::string dir = temp.path();
  EXPECT_EQ(LoadRecord(dir + "/gone").status().code(), absl::StatusCode::kNotFound);
  std::ofstream(dir + "/file") << "not a directory";
  EXPECT_EQ(LoadRecord(dir + "/file").status().code(), absl::StatusCode::kNotFound);
  EXPECT_FALSE(RecordExists(dir + "/file"));
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

// Out of fds, /proc cannot be read: that is no word on the process. It was
// taken for gone, and a live sandbox's uid range and cgroups reclaimed.
TEST(StateStoreTest, StartTimeOutOfFdsIsAnErrorNotGone) {
  auto [start, out] = util::WithoutFds([] { return ProcessStartTime(getpid()); });
  ASSERT_TRUE(out);
  ASSERT_FALSE(start.ok());
  EXPECT_FALSE(absl::IsNotFound(start.status())) << start.status();
  EXPECT_EQ(util::ErrnoOf(start.status()), EMFILE) << start.status();
  EXPECT_TRUE(ProcessStartTime(getpid()).ok());
}

// One holder at a time; a lock is on what the path names, and none is
// taken where nothing is.
TEST(StateStoreTest, LockStateDirTakesTurnsOnWhatThePathNames) {
  TempDir root;
  const std::string dir = root.path() + "/c";
  EXPECT_TRUE(absl::IsNotFound(LockStateDir(dir).status()));
  ASSERT_EQ(mkdir(dir.c_str(), 0700), 0);
  absl::StatusOr<util::UniqueFd> first = LockStateDir(dir);
  ASSERT_TRUE(first.ok()) << first.status();
  absl::StatusOr<util::UniqueFd> second = LockStateDir(dir, absl::Milliseconds(20));
  EXPECT_EQ(util::ErrnoOf(second.status()), EWOULDBLOCK) << second.status();
  // The holder removes the directory and the id is made anew: a waiter gets
  // the new one's lock, not the old one's.
  std::thread holder([&] {
    absl::SleepFor(absl::Milliseconds(50));
    ASSERT_EQ(rename(dir.c_str(), (root.path() + "/gone").c_str()), 0);
    ASSERT_EQ(mkdir(dir.c_str(), 0700), 0);
    first->reset();
  });
  second = LockStateDir(dir, absl::Seconds(10));
  holder.join();
  ASSERT_TRUE(second.ok()) << second.status();
  struct stat held, now;
  ASSERT_EQ(fstat(second->get(), &held), 0);
  ASSERT_EQ(stat(dir.c_str(), &now), 0);
  EXPECT_EQ(held.st_ino, now.st_ino);
}

}  // namespace
}  // namespace runsc::sandbox
