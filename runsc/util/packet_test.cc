#include "runsc/util/packet.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "proto/launcher.pb.h"

namespace runsc::util {
namespace {

TEST(PacketTest, MessageAndFdsRoundTrip) {
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
  UniqueFd a(sv[0]), b(sv[1]);
  int pipe_fds[2];
  ASSERT_EQ(pipe2(pipe_fds, O_CLOEXEC), 0);
  UniqueFd r(pipe_fds[0]), w(pipe_fds[1]);
  runsc::launcher::v1::LauncherRequest request;
  request.set_id(42);
  request.mutable_signal()->set_pid(7);
  ASSERT_TRUE(SendPacket(a.get(), request, {w.get()}).ok());
  runsc::launcher::v1::LauncherRequest got;
  std::vector<UniqueFd> fds;
  ASSERT_TRUE(RecvPacket(b.get(), &got, &fds).ok());
  EXPECT_EQ(got.id(), 42u);
  EXPECT_EQ(got.signal().pid(), 7);
  ASSERT_EQ(fds.size(), 1u);
  EXPECT_EQ(fcntl(fds[0].get(), F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
  // The received fd is the pipe's write end.
  ASSERT_EQ(write(fds[0].get(), "x", 1), 1);
  char c;
  ASSERT_EQ(read(r.get(), &c, 1), 1);
  EXPECT_EQ(c, 'x');
}

TEST(PacketTest, EmptyMessageAndEof) {
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
  UniqueFd a(sv[0]), b(sv[1]);
  ASSERT_TRUE(SendPacket(a.get(), runsc::launcher::v1::ListProcesses()).ok());
  runsc::launcher::v1::ListProcesses got;
  EXPECT_TRUE(RecvPacket(b.get(), &got).ok());
  a.reset();
  EXPECT_EQ(RecvPacket(b.get(), &got).code(), absl::StatusCode::kUnavailable);
}

// A peer that never reads: a bounded send gives up, names the wait, and
// leaves the socket blocking as it was; once the peer reads, it goes.
TEST(PacketTest, ABoundedSendToAPeerThatDoesNotReadGivesUp) {
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  UniqueFd a(sv[0]), b(sv[1]);
  // Fill the connection, then make `a` blocking again.
  ASSERT_EQ(fcntl(a.get(), F_SETFL, O_NONBLOCK), 0);
  std::string block(4096, 'x');
  while (write(a.get(), block.data(), block.size()) > 0) {
  }
  ASSERT_TRUE(errno == EAGAIN || errno == EWOULDBLOCK) << errno;
  ASSERT_EQ(fcntl(a.get(), F_SETFL, 0), 0);

  runsc::launcher::v1::ListProcesses message;
  const absl::Time start = absl::Now();
  absl::Status sent = SendPacketWithin(a.get(), message, {}, absl::Milliseconds(200));
  EXPECT_EQ(sent.code(), absl::StatusCode::kDeadlineExceeded) << sent;
  EXPECT_NE(sent.message().find("within 200ms"), std::string::npos) << sent;
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(200));
  EXPECT_EQ(fcntl(a.get(), F_GETFL) & O_NONBLOCK, 0);

  // The peer drains it: the next bounded send goes through.
  ASSERT_EQ(fcntl(b.get(), F_SETFL, O_NONBLOCK), 0);
  char sink[65536];
  while (read(b.get(), sink, sizeof(sink)) > 0) {
  }
  EXPECT_TRUE(SendPacketWithin(a.get(), message, {}, absl::Seconds(5)).ok());
}

TEST(PacketTest, GarbageIsDataLossAndTheSocketGoesOn) {
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
  UniqueFd a(sv[0]), b(sv[1]);
  ASSERT_EQ(write(a.get(), "\xff\xff\xff", 3), 3);
  runsc::launcher::v1::LauncherRequest got;
  EXPECT_EQ(RecvPacket(b.get(), &got).code(), absl::StatusCode::kDataLoss);
  runsc::launcher::v1::LauncherRequest sent;
  sent.set_id(7);
  ASSERT_TRUE(SendPacket(a.get(), sent).ok());
  ASSERT_TRUE(RecvPacket(b.get(), &got).ok());
  EXPECT_EQ(got.id(), 7u);
}

}  // namespace
}  // namespace runsc::util
