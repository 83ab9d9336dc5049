#include "runsc/util/errno_status.h"

#include <string.h>

#include <string>

#include "absl/strings/str_cat.h"

namespace runsc::util {

std::string ErrnoName(int err) {
  const char* name = strerrorname_np(err);
  if (name == nullptr) return absl::StrCat("errno ", err);
  return name;
}

absl::Status ErrnoError(int err, absl::string_view what) {
  return absl::ErrnoToStatus(
      err, absl::StrCat(what, ": ", ErrnoName(err), " (", strerror(err), ")"));
}

absl::Status Annotate(const absl::Status& status, absl::string_view context) {
  if (status.ok()) return status;
  return absl::Status(status.code(),
                      absl::StrCat(context, ": ", status.message()));
}

}  // namespace runsc::util
