#include "runsc/util/unix_address.h"

#include <string.h>
#include <sys/socket.h>

#include "absl/strings/str_cat.h"

namespace runsc::util {

absl::StatusOr<struct sockaddr_un> UnixAddress(const std::string& path, absl::string_view what) {
  struct sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr.sun_path)) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": '", path, "' is longer than ",
                                                   sizeof(addr.sun_path) - 1,
                                                   " bytes, the most a unix socket path may be"));
  }
  memcpy(addr.sun_path, path.data(), path.size());
  return addr;
}

}  // namespace runsc::util
