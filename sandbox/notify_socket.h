// systemd's readiness protocol across the sandbox boundary, as runc relays
// it. When the caller of `create` has NOTIFY_SOCKET set (systemd, or podman
// with --sdnotify=container), the container gets a socket of its own,
// <state>/<id>/notify/notify.sock bound in at /run/notify/notify.sock, and
// NOTIFY_SOCKET pointing there. `start` binds it before the main process
// runs, waits for the container's READY=1 and sends READY=1 with MAINPID
// (the pid-file process) to the caller's socket. The host socket is never
// visible inside.
#ifndef RUNSC_SANDBOX_NOTIFY_SOCKET_H_
#define RUNSC_SANDBOX_NOTIFY_SOCKET_H_

#include <sys/types.h>

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "runsc/util/unique_fd.h"

namespace runsc::sandbox {

inline constexpr char kNotifyDirName[] = "notify";
inline constexpr char kNotifySocketName[] = "notify.sock";
inline constexpr char kContainerNotifyDir[] = "/run/notify";

class NotifySocket {
 public:
  // Binds the container's socket in <state_dir>/notify (replacing a stale
  // one), writable by every container user.
  static absl::StatusOr<NotifySocket> Bind(const std::string& state_dir);

  // Waits for a message with READY=1 while `alive()` holds, then sends
  // "READY=1\nMAINPID=<main_pid>" to the datagram socket at `host_socket`.
  // A container that ends first has nothing to relay: OK.
  absl::Status RelayReady(const std::string& host_socket, pid_t main_pid,
                          const std::function<bool()>& alive);

 private:
  explicit NotifySocket(util::UniqueFd fd) : fd_(std::move(fd)) {}
  util::UniqueFd fd_;
};

}  // namespace runsc::sandbox

#endif  // RUNSC_SANDBOX_NOTIFY_SOCKET_H_
