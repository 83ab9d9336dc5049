// The address of a unix socket by path, with the one check every caller
// needs: that the path fits sun_path.
#ifndef RUNSC_UTIL_UNIX_ADDRESS_H_
#define RUNSC_UTIL_UNIX_ADDRESS_H_

#include <sys/un.h>

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace runsc::util {

// INVALID_ARGUMENT naming `what` ("--console-socket") when `path` is too long.
absl::StatusOr<struct sockaddr_un> UnixAddress(const std::string& path, absl::string_view what);

}  // namespace runsc::util

#endif  // RUNSC_UTIL_UNIX_ADDRESS_H_
