#include "specutils/id_map.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace runsc::specutils {

std::vector<IdMapping> SandboxUidMap(uint32_t workload_host_base) {
  std::vector<IdMapping> map = {{0, kSandboxRootHostUid, 1}, {kNobodyId, kNobodyId, 1}};
  if (workload_host_base != 0) {
    map.push_back({kWorkloadSandboxBase, workload_host_base, kWorkloadIdCount});
  }
  return map;
}

std::vector<IdMapping> SandboxGidMap(uint32_t workload_host_base) {
  std::vector<IdMapping> map = {{kNobodyId, kNobodyId, 1}};
  if (workload_host_base != 0) {
    map.push_back({kWorkloadSandboxBase, workload_host_base, kWorkloadIdCount});
  }
  return map;
}

std::vector<IdMapping> WorkloadNestedMap() {
  return {{0, kWorkloadSandboxBase, kWorkloadIdCount}};
}

std::vector<IdMapping> WorkloadHostMap(uint32_t workload_host_base) {
  return {{0, workload_host_base, kWorkloadIdCount}};
}

namespace {
bool Overlaps(uint64_t a, uint64_t a_len, uint64_t b, uint64_t b_len) {
  return a < b + b_len && b < a + a_len;
}
}  // namespace

absl::Status ValidateIdMap(const std::vector<IdMapping>& map) {
  if (map.empty()) return absl::InvalidArgumentError("id map is empty");
  if (map.size() > 340) {
    return absl::InvalidArgumentError("id map has more than 340 lines");
  }
  for (size_t i = 0; i < map.size(); ++i) {
    const IdMapping& m = map[i];
    if (m.size == 0) {
      return absl::InvalidArgumentError(absl::StrCat("id map line ", i, ": size is 0"));
    }
    if (uint64_t{m.container_id} + m.size > (uint64_t{1} << 32) - 1 ||
        uint64_t{m.host_id} + m.size > (uint64_t{1} << 32) - 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("id map line ", i, ": range wraps past 2^32-1"));
    }
    for (size_t j = 0; j < i; ++j) {
      const IdMapping& o = map[j];
      if (Overlaps(m.container_id, m.size, o.container_id, o.size)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "id map lines ", j, " and ", i, " overlap inside the namespace"));
      }
      if (Overlaps(m.host_id, m.size, o.host_id, o.size)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "id map lines ", j, " and ", i, " overlap on the host"));
      }
    }
  }
  return absl::OkStatus();
}

std::string FormatIdMap(const std::vector<IdMapping>& map) {
  std::string out;
  for (const IdMapping& m : map) {
    absl::StrAppend(&out, m.container_id, " ", m.host_id, " ", m.size, "\n");
  }
  return out;
}

}  // namespace runsc::specutils
