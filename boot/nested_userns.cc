#include "boot/nested_userns.h"

#include <string>

#include "runsc/util/userns_holder.h"
#include "specutils/id_map.h"
#include "specutils/oci_spec.h"

namespace runsc::boot {

using util::UniqueFd;

absl::StatusOr<util::UserNamespace> CreateNestedUserns(
    const char* proc_dir, const runsc::boot::v1::ContainerConfig& container) {
  // Only the container ranges matter here, not which host ids they end at
  // (the host wrote those into the sandbox's own map): any base will do.
  const specutils::WorkloadIds ids = specutils::WorkloadIdsOf(container, /*host_base=*/0);
  const std::string uid_map = specutils::FormatIdMap(specutils::WorkloadNestedMap(ids.uids));
  const std::string gid_map = specutils::FormatIdMap(specutils::WorkloadNestedMap(ids.gids));
  return util::MakeUserNamespace(uid_map, gid_map, proc_dir);
}

}  // namespace runsc::boot
