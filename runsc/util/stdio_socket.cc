#include "runsc/util/stdio_socket.h"

#include <errno.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/empty.pb.h"
#include "google/protobuf/wrappers.pb.h"
#include "runsc/util/errno_status.h"
#include "runsc/util/packet.h"
#include "runsc/util/status_macros.h"
#include "runsc/util/unique_fd.h"
#include "runsc/util/unix_address.h"

namespace runsc::util {

absl::StatusOr<std::string> HandOffStdio(const std::string& socket_path,
                                         const std::vector<int>& fds) {
  ASSIGN_OR_RETURN(struct sockaddr_un addr, UnixAddress(socket_path, "stdio socket"));
  UniqueFd sock(socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  if (!sock) return ErrnoError(errno, "socket(AF_UNIX, SOCK_SEQPACKET)");
  if (connect(sock.get(), reinterpret_cast<struct sockaddr*>(&addr), sizeof(addr)) != 0) {
    return ErrnoError(errno, absl::StrCat("connect '", socket_path, "'"));
  }
  RETURN_IF_ERROR(SendPacket(sock.get(), google::protobuf::Empty(), fds));
  google::protobuf::StringValue token;
  RETURN_IF_ERROR(RecvPacket(sock.get(), &token));
  if (token.value().empty()) return absl::InternalError("sandbox refused the stdio fds");
  return token.value();
}

}  // namespace runsc::util
