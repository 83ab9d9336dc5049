#include "runsc/util/packet.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "runsc/util/errno_status.h"
#include "runsc/util/poll_timeout.h"

namespace runsc::util {

namespace {

absl::Status Send(int sock, const google::protobuf::MessageLite& message,
                  const std::vector<int>& fds, absl::Duration timeout) {
  std::string data = message.SerializeAsString();
  if (data.size() > kMaxPacketSize) {
    return absl::ResourceExhaustedError(
        absl::StrCat("message of ", data.size(), " bytes exceeds ", kMaxPacketSize));
  }
  if (fds.size() > static_cast<size_t>(kMaxPacketFds)) {
    return absl::InvalidArgumentError("too many fds for one packet");
  }
  // An empty message still needs one byte to be a packet.
  if (data.empty()) data.push_back('\0');
  struct iovec iov = {data.data(), data.size()};
  struct msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxPacketFds)] = {};
  if (!fds.empty()) {
    msg.msg_control = control;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
    struct cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    memcpy(CMSG_DATA(cmsg), fds.data(), sizeof(int) * fds.size());
  }
  const bool bounded = timeout != absl::InfiniteDuration();
  const absl::Time deadline = absl::Now() + timeout;
  for (;;) {
    if (sendmsg(sock, &msg, MSG_NOSIGNAL | (bounded ? MSG_DONTWAIT : 0)) >= 0) {
      return absl::OkStatus();
    }
    if (errno == EINTR) continue;
    if (!bounded || (errno != EAGAIN && errno != EWOULDBLOCK)) {
      return ErrnoError(errno, "sendmsg packet");
    }
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) {
      return absl::DeadlineExceededError(
          absl::StrCat("the peer took no packet within ", absl::FormatDuration(timeout)));
    }
    struct pollfd pfd = {sock, POLLOUT, 0};
    if (poll(&pfd, 1, PollMillis(left)) < 0 && errno != EINTR)
      return ErrnoError(errno, "poll for a packet's send");
  }
}

}  // namespace

absl::Status SendPacket(int sock, const google::protobuf::MessageLite& message,
                        const std::vector<int>& fds) {
  return Send(sock, message, fds, absl::InfiniteDuration());
}

absl::Status SendPacketWithin(int sock, const google::protobuf::MessageLite& message,
                              const std::vector<int>& fds, absl::Duration timeout) {
  return Send(sock, message, fds, timeout);
}

absl::Status RecvPacket(int sock, google::protobuf::MessageLite* message,
                        std::vector<UniqueFd>* fds) {
  // Not zeroed: recvmsg writes what the packet holds, and only that is
  // read. Zeroing all 64 KiB faulted in 16 fresh pages of heap at the first
  // packet of each sandbox process, the supervisor and the launcher (10 to
  // 17 us a fault on a host that shadows page tables).
  std::unique_ptr<char[]> data(new char[kMaxPacketSize]);
  struct iovec iov = {data.get(), kMaxPacketSize};
  struct msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxPacketFds)] = {};
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  ssize_t n;
  do {
    n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return ErrnoError(errno, "recvmsg packet");
  std::vector<UniqueFd> received;
  for (struct cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < count; ++i) {
      int fd;
      memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
      received.emplace_back(fd);
    }
  }
  if (n == 0) return absl::UnavailableError("peer closed the socket");
  if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
    return absl::DataLossError("packet or its fds were truncated");
  }
  // A lone NUL byte is the encoding of an empty message.
  size_t size = static_cast<size_t>(n);
  if (size == 1 && data[0] == '\0') size = 0;
  if (!message->ParseFromArray(data.get(), static_cast<int>(size))) {
    return absl::DataLossError("packet does not parse");
  }
  if (fds != nullptr) *fds = std::move(received);
  return absl::OkStatus();
}

}  // namespace runsc::util
