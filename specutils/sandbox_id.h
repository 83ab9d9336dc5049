// Validation of sandbox ids. An id names a state directory, a hostname and a
// cgroup, so it must be a safe single path component.
#ifndef RUNSC_SPECUTILS_SANDBOX_ID_H_
#define RUNSC_SPECUTILS_SANDBOX_ID_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace runsc::specutils {

// Ids are 1-64 characters of [A-Za-z0-9_.+-], not starting with '.' or '-'
// (the same alphabet runc accepts, bounded so it is a valid hostname length).
absl::Status ValidateSandboxId(absl::string_view id);

// A fresh random id: 16 lowercase hex characters.
std::string GenerateSandboxId();

}  // namespace runsc::specutils

#endif  // RUNSC_SPECUTILS_SANDBOX_ID_H_
