#include "runsc/util/sync_message.h"

#include <errno.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runsc/util/unique_fd.h"

namespace runsc::util {
namespace {

using ::testing::HasSubstr;

struct Pair {
  UniqueFd a, b;
};

Pair MakePair() {
  int fds[2];
  EXPECT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds), 0);
  return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

TEST(SyncMessageTest, ErrorRoundTripNamesStageAndErrno) {
  Pair p = MakePair();
  ASSERT_TRUE(WriteSyncMessage(p.a.get(), SyncType::kError,
                               SetupStage::kRootTmpfs, EINVAL,
                               "fsconfig size=bogus"));
  auto message = ReadSyncMessage(p.b.get(), absl::Seconds(5));
  ASSERT_TRUE(message.ok()) << message.status();
  EXPECT_EQ(message->type, SyncType::kError);
  EXPECT_EQ(message->stage, SetupStage::kRootTmpfs);
  EXPECT_EQ(message->err, EINVAL);
  absl::Status status = SyncErrorToStatus(*message);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("'root-tmpfs'"));
  EXPECT_THAT(std::string(status.message()), HasSubstr("EINVAL"));
  EXPECT_THAT(std::string(status.message()), HasSubstr("fsconfig size=bogus"));
}

TEST(SyncMessageTest, LongTextIsTruncatedAndTerminated) {
  Pair p = MakePair();
  std::string text(1000, 'x');
  ASSERT_TRUE(WriteSyncMessage(p.a.get(), SyncType::kError, SetupStage::kServe,
                               0, text.c_str()));
  auto message = ReadSyncMessage(p.b.get(), absl::Seconds(5));
  ASSERT_TRUE(message.ok());
  EXPECT_EQ(std::string(message->text).size(), sizeof(message->text) - 1);
  EXPECT_EQ(SyncErrorToStatus(*message).code(), absl::StatusCode::kInternal);
}

TEST(SyncMessageTest, EofIsUnavailable) {
  Pair p = MakePair();
  p.a.reset();
  auto message = ReadSyncMessage(p.b.get(), absl::Seconds(5));
  EXPECT_EQ(message.status().code(), absl::StatusCode::kUnavailable);
}

TEST(SyncMessageTest, SilenceTimesOut) {
  Pair p = MakePair();
  auto message = ReadSyncMessage(p.b.get(), absl::Milliseconds(20));
  EXPECT_EQ(message.status().code(), absl::StatusCode::kDeadlineExceeded);
}

TEST(SyncMessageTest, ForeignRecordIsRejected) {
  Pair p = MakePair();
  ASSERT_EQ(write(p.a.get(), "hello", 5), 5);
  auto message = ReadSyncMessage(p.b.get(), absl::Seconds(5));
  EXPECT_EQ(message.status().code(), absl::StatusCode::kInternal);
}

TEST(SyncMessageTest, AnExitReportCarriesAWaitStatusTheKernelsMacrosRead) {
  Pair p = MakePair();
  SyncMessage exited = MakeSyncMessage(SyncType::kExited, SetupStage::kNone, 0, "");
  exited.pid = 7;
  exited.wait_status = EncodeWaitStatus(/*signaled=*/false, 42, 0);
  ASSERT_TRUE(WriteSyncRecord(p.a.get(), exited));
  auto message = ReadSyncMessage(p.b.get(), absl::Seconds(5));
  ASSERT_TRUE(message.ok()) << message.status();
  EXPECT_EQ(message->type, SyncType::kExited);
  EXPECT_EQ(message->pid, 7);
  EXPECT_TRUE(WIFEXITED(message->wait_status));
  EXPECT_EQ(WEXITSTATUS(message->wait_status), 42);

  const int killed = EncodeWaitStatus(/*signaled=*/true, 0, SIGKILL);
  EXPECT_TRUE(WIFSIGNALED(killed));
  EXPECT_EQ(WTERMSIG(killed), SIGKILL);
  EXPECT_FALSE(WIFEXITED(killed));
}

}  // namespace
}  // namespace runsc::util
