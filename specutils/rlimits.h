// OCI rlimit names ("RLIMIT_NOFILE") -> resource numbers. Pure.
#ifndef RUNSC_SPECUTILS_RLIMITS_H_
#define RUNSC_SPECUTILS_RLIMITS_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace runsc::specutils {

// INVALID_ARGUMENT naming `field` for an unknown name.
absl::StatusOr<int> RlimitFromName(absl::string_view name, absl::string_view field);

}  // namespace runsc::specutils

#endif  // RUNSC_SPECUTILS_RLIMITS_H_
