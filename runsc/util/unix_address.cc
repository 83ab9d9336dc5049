#include "runsc/util/unix_address.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "absl/strings/str_cat.h"
#include "runsc/util/errno_status.h"

namespace runsc::util {

absl::StatusOr<UnixAddress> UnixAddress::Of(const std::string& path, absl::string_view what) {
  UnixAddress address;
  address.addr_.sun_family = AF_UNIX;
  std::string reachable = path;
  if (path.size() >= sizeof(address.addr_.sun_path)) {
    const size_t slash = path.rfind('/');
    if (slash == std::string::npos || slash + 1 == path.size()) {
      return absl::InvalidArgumentError(absl::StrCat(what, ": '", path, "' is longer than ",
                                                     sizeof(address.addr_.sun_path) - 1,
                                                     " bytes, the most a unix socket path may be"));
    }
    const std::string dir = slash == 0 ? "/" : path.substr(0, slash);
    address.dir_.reset(open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!address.dir_) {
      return ErrnoError(errno, absl::StrCat(what, ": open the directory of '", path, "'"));
    }
    reachable = absl::StrCat("/proc/self/fd/", address.dir_.get(), "/", path.substr(slash + 1));
    if (reachable.size() >= sizeof(address.addr_.sun_path)) {
      return absl::InvalidArgumentError(absl::StrCat(what, ": '", path,
                                                     "' has a name too long for a unix socket (",
                                                     path.size() - slash - 1, " bytes)"));
    }
  }
  memcpy(address.addr_.sun_path, reachable.data(), reachable.size());
  return address;
}

}  // namespace runsc::util
