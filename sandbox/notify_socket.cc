#include "sandbox/notify_socket.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "runsc/util/errno_status.h"
#include "runsc/util/unix_address.h"

namespace runsc::sandbox {

using util::ErrnoError;
using util::UniqueFd;

absl::StatusOr<NotifySocket> NotifySocket::Bind(const std::string& state_dir) {
  const std::string path = absl::StrCat(state_dir, "/", kNotifyDirName, "/", kNotifySocketName);
  absl::StatusOr<util::UnixAddress> addr = util::UnixAddress::Of(path, "notify socket");
  if (!addr.ok()) return addr.status();
  UniqueFd fd(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd) return ErrnoError(errno, "socket for the notify socket");
  if (unlink(path.c_str()) != 0 && errno != ENOENT) {
    return ErrnoError(errno, absl::StrCat("unlink '", path, "'"));
  }
  if (bind(fd.get(), addr->get(), addr->size()) != 0) {
    return ErrnoError(errno, absl::StrCat("bind '", path, "'"));
  }
  // The container's users are not ours; sending needs write permission.
  if (chmod(path.c_str(), 0777) != 0) return ErrnoError(errno, absl::StrCat("chmod '", path, "'"));
  return NotifySocket(std::move(fd));
}

absl::Status NotifySocket::RelayReady(const std::string& host_socket, pid_t main_pid,
                                      const std::function<bool()>& alive) {
  char buf[4096];
  for (;;) {
    struct pollfd p = {fd_.get(), POLLIN, 0};
    const int ready = poll(&p, 1, 100);
    if (ready < 0 && errno != EINTR) return ErrnoError(errno, "poll the notify socket");
    if (ready <= 0) {
      if (!alive()) return absl::OkStatus();
      continue;
    }
    const ssize_t n = recv(fd_.get(), buf, sizeof(buf), 0);
    if (n < 0) return ErrnoError(errno, "recv on the notify socket");
    // Newline-separated assignments; only readiness crosses.
    const absl::string_view message(buf, static_cast<size_t>(n));
    if (message == "READY=1" || absl::StartsWith(message, "READY=1\n") ||
        absl::StrContains(message, "\nREADY=1")) {
      break;
    }
  }
  absl::StatusOr<util::UnixAddress> addr = util::UnixAddress::Of(host_socket, "NOTIFY_SOCKET");
  if (!addr.ok()) return addr.status();
  UniqueFd out(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!out) return ErrnoError(errno, "socket for NOTIFY_SOCKET");
  const std::string ready = absl::StrCat("READY=1\nMAINPID=", main_pid, "\n");
  if (sendto(out.get(), ready.data(), ready.size(), 0, addr->get(), addr->size()) < 0) {
    return ErrnoError(errno, absl::StrCat("send READY=1 to NOTIFY_SOCKET '", host_socket, "'"));
  }
  return absl::OkStatus();
}

}  // namespace runsc::sandbox
