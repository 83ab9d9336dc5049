#include "sandbox/bundle.h"

#include <fcntl.h>

#include "absl/strings/str_cat.h"
#include "runsc/util/errno_status.h"
#include "runsc/util/file_util.h"
#include "runsc/util/status_macros.h"
#include "specutils/oci_spec.h"

namespace runsc::sandbox {

absl::StatusOr<runsc::boot::v1::ContainerConfig> LoadBundle(const std::string& bundle) {
  if (bundle.empty() || bundle[0] != '/') {
    return absl::InvalidArgumentError(
        absl::StrCat("bundle: must be an absolute path, got '", bundle, "'"));
  }
  const std::string path = bundle + "/config.json";
  // Not a FIFO, which would hold the daemon's call until a writer came.
  absl::StatusOr<std::string> json =
      util::ReadRegularFile(path, specutils::kMaxSpecFileBytes, O_NOFOLLOW);
  if (!json.ok()) return util::Annotate(json.status(), "bundle");
  ASSIGN_OR_RETURN(runsc::oci::v1::Spec spec, specutils::ParseSpecJson(*json));
  return specutils::ToContainerConfig(spec, bundle);
}

}  // namespace runsc::sandbox
