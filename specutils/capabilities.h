// Linux capability names <-> numbers, and OCI capability lists -> bitmasks.
// Pure: a fixed table of the kernel's capabilities (0 .. CAP_CHECKPOINT_RESTORE).
#ifndef RUNSC_SPECUTILS_CAPABILITIES_H_
#define RUNSC_SPECUTILS_CAPABILITIES_H_

#include <stdint.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace runsc::specutils {

// The number of capabilities in the table.
int CapabilityCount();

// "CAP_SYS_ADMIN" (any case) -> 21. INVALID_ARGUMENT naming `field` if unknown.
absl::StatusOr<int> CapabilityFromName(absl::string_view name,
                                       absl::string_view field);

// "CAP_SYS_ADMIN" for 21.
std::string CapabilityName(int cap);

// Bitmask of a list of names; errors name the element: "field[2]".
absl::StatusOr<uint64_t> CapabilityMask(const std::vector<std::string>& names,
                                        absl::string_view field);

// The capability set runc gives a container by default (its `runc spec`).
std::vector<std::string> DefaultCapabilities();

}  // namespace runsc::specutils

#endif  // RUNSC_SPECUTILS_CAPABILITIES_H_
