#include "runsc/util/stdio_socket.h"

#include <errno.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <algorithm>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/wrappers.pb.h"
#include "runsc/util/errno_status.h"
#include "runsc/util/packet.h"
#include "runsc/util/status_macros.h"
#include "runsc/util/unique_fd.h"
#include "runsc/util/unix_address.h"

namespace runsc::util {

absl::StatusOr<std::string> NewStdioToken() {
  char raw[16];
  size_t got = 0;
  while (got < sizeof(raw)) {
    ssize_t n = getrandom(raw + got, sizeof(raw) - got, 0);
    if (n < 0 && errno != EINTR) return ErrnoError(errno, "getrandom for a stdio token");
    if (n > 0) got += static_cast<size_t>(n);
  }
  return absl::BytesToHexString(absl::string_view(raw, sizeof(raw)));
}

bool IsStdioToken(const std::string& token) {
  return token.size() == 32 && std::all_of(token.begin(), token.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

absl::Status SetSocketTimeout(int sock, int option, absl::Duration limit, absl::string_view what) {
  if (limit <= absl::ZeroDuration()) {
    return absl::DeadlineExceededError(absl::StrCat("no time left for ", what));
  }
  const int64_t us = std::max<int64_t>(absl::ToInt64Microseconds(limit), 1000);
  struct timeval tv = {static_cast<time_t>(us / 1000000), static_cast<suseconds_t>(us % 1000000)};
  if (setsockopt(sock, SOL_SOCKET, option, &tv, sizeof(tv)) != 0) {
    return ErrnoError(
        errno, absl::StrCat(option == SO_RCVTIMEO ? "SO_RCVTIMEO" : "SO_SNDTIMEO", " on ", what));
  }
  return absl::OkStatus();
}

absl::StatusOr<UniqueFd> SendOnStdioSocket(const std::string& socket_path,
                                           const google::protobuf::MessageLite& request,
                                           const std::vector<int>& fds, absl::Duration wait) {
  ASSIGN_OR_RETURN(UnixAddress addr, UnixAddress::Of(socket_path, "stdio socket"));
  UniqueFd sock(socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  if (!sock) return ErrnoError(errno, "socket(AF_UNIX, SOCK_SEQPACKET)");
  RETURN_IF_ERROR(SetSocketTimeout(sock.get(), SO_SNDTIMEO, wait, socket_path));
  if (connect(sock.get(), addr.get(), addr.size()) != 0) {
    if (errno == EAGAIN) {
      return absl::DeadlineExceededError(
          absl::StrCat("the sandbox took no connection on '", socket_path, "' within ",
                       absl::FormatDuration(wait), " (its backlog is full)"));
    }
    return ErrnoError(errno, absl::StrCat("connect '", socket_path, "'"));
  }
  RETURN_IF_ERROR(SendPacket(sock.get(), request, fds));
  return sock;
}

absl::StatusOr<UniqueFd> SendStdio(const std::string& socket_path, const std::vector<int>& fds,
                                   const std::string& token) {
  google::protobuf::StringValue chosen;
  chosen.set_value(token);
  return SendOnStdioSocket(socket_path, chosen, fds);
}

absl::StatusOr<std::string> ReadStdioAnswer(int conn) {
  RETURN_IF_ERROR(SetSocketTimeout(conn, SO_RCVTIMEO, kStdioSocketWait, "the stdio hand-off"));
  google::protobuf::StringValue token;
  RETURN_IF_ERROR(RecvPacket(conn, &token));
  if (token.value().empty()) return absl::InternalError("sandbox refused the stdio fds");
  return token.value();
}

absl::StatusOr<std::string> HandOffStdio(const std::string& socket_path,
                                         const std::vector<int>& fds) {
  ASSIGN_OR_RETURN(UniqueFd sock, SendStdio(socket_path, fds, ""));
  return ReadStdioAnswer(sock.get());
}

}  // namespace runsc::util
