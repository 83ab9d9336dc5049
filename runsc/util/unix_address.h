// The address of a unix socket by path, for bind, connect or sendto, for a
// path of any length.
#ifndef RUNSC_UTIL_UNIX_ADDRESS_H_
#define RUNSC_UTIL_UNIX_ADDRESS_H_

#include <sys/socket.h>
#include <sys/un.h>

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "runsc/util/unique_fd.h"

namespace runsc::util {

// sun_path holds 107 bytes of a path. A longer one (a deep state root, as
// containerd's per-namespace roots with 64-character ids make) is reached
// through an fd of its directory, as /proc/self/fd/N/NAME, which the address
// holds open while it lives: use it while it does.
class UnixAddress final {
 public:
  // INVALID_ARGUMENT naming `what` ("--console-socket") where even that does
  // not fit (a socket's own name over about 90 bytes); the directory's
  // error where it cannot be opened.
  static absl::StatusOr<UnixAddress> Of(const std::string& path, absl::string_view what);

  const struct sockaddr* get() const { return reinterpret_cast<const struct sockaddr*>(&addr_); }
  socklen_t size() const { return sizeof(addr_); }

 private:
  UnixAddress() = default;
  struct sockaddr_un addr_ = {};
  UniqueFd dir_;
};

}  // namespace runsc::util

#endif  // RUNSC_UTIL_UNIX_ADDRESS_H_
