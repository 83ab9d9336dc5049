#include "runsc/util/stdio_socket.h"

#include <errno.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "google/protobuf/wrappers.pb.h"
#include "gtest/gtest.h"
#include "runsc/util/test_dirs.h"
#include "runsc/util/unique_fd.h"

namespace runsc::util {
namespace {

// A sandbox that stopped accepting: once its backlog is full, a caller's
// connect would block for as long. It gets DEADLINE_EXCEEDED instead.
TEST(StdioSocketTest, ASandboxThatTakesNoConnectionIsGivenUpOn) {
  TempDir dir("runsc-stdio");
  const std::string path = dir.path() + "/stdio.sock";
  UniqueFd listener(socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  ASSERT_TRUE(listener);
  struct sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  path.copy(addr.sun_path, sizeof(addr.sun_path) - 1);
  ASSERT_EQ(bind(listener.get(), reinterpret_cast<struct sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(listener.get(), 1), 0);

  google::protobuf::StringValue request;
  std::vector<UniqueFd> queued;
  absl::Status refused;
  const absl::Time start = absl::Now();
  for (int i = 0; i < 8 && refused.ok(); ++i) {
    absl::StatusOr<UniqueFd> conn = SendOnStdioSocket(path, request, {}, absl::Milliseconds(200));
    if (conn.ok()) {
      queued.push_back(std::move(*conn));
    } else {
      refused = conn.status();
    }
  }
  EXPECT_TRUE(absl::IsDeadlineExceeded(refused)) << refused;
  EXPECT_NE(refused.message().find(path), std::string::npos) << refused;
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  EXPECT_GE(queued.size(), 1u) << "not even the backlog's first connection went through";
}

// A limit under a second is still a limit (a timeval of whole seconds made
// it {0, 0}, which is none), and no time left is an error at once.
TEST(StdioSocketTest, ASubsecondTimeoutBoundsTheRead) {
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
  UniqueFd mine(sv[0]), silent(sv[1]);
  ASSERT_TRUE(SetSocketTimeout(mine.get(), SO_RCVTIMEO, absl::Milliseconds(300), "test").ok());
  const absl::Time start = absl::Now();
  char byte;
  EXPECT_EQ(read(mine.get(), &byte, 1), -1);
  EXPECT_EQ(errno, EAGAIN);
  const absl::Duration took = absl::Now() - start;
  EXPECT_GE(took, absl::Milliseconds(250));
  EXPECT_LT(took, absl::Seconds(3));

  absl::Status none = SetSocketTimeout(mine.get(), SO_RCVTIMEO, absl::ZeroDuration(), "the wait");
  EXPECT_TRUE(absl::IsDeadlineExceeded(none)) << none;
  EXPECT_NE(none.message().find("the wait"), std::string::npos) << none;
}

}  // namespace
}  // namespace runsc::util
