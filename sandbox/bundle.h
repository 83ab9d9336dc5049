// Loading an OCI bundle: reads <bundle>/config.json (at most 1 MiB, no
// symlink at the last component) and converts it with specutils.
#ifndef RUNSC_SANDBOX_BUNDLE_H_
#define RUNSC_SANDBOX_BUNDLE_H_

#include <string>

#include "absl/status/statusor.h"
#include "proto/boot.pb.h"

namespace runsc::sandbox {

// `bundle` must be absolute; errors name the field "bundle".
absl::StatusOr<runsc::boot::v1::ContainerConfig> LoadBundle(const std::string& bundle);

}  // namespace runsc::sandbox

#endif  // RUNSC_SANDBOX_BUNDLE_H_
