#include "specutils/id_map.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace runsc::specutils {

namespace {

bool Overlaps(uint64_t a, uint64_t a_len, uint64_t b, uint64_t b_len) {
  return a < b + b_len && b < a + a_len;
}

// Each workload range, moved up by the sandbox's offset: the ids the
// sandbox's own user namespace gives the workloads.
void AppendShifted(const std::vector<IdMapping>& workload, std::vector<IdMapping>* map) {
  for (const IdMapping& m : workload) {
    map->push_back({kWorkloadSandboxBase + m.container_id, m.host_id, m.size});
  }
}

}  // namespace

std::vector<IdMapping> WorkloadHostMap(uint32_t workload_host_base) {
  return {{0, workload_host_base, kWorkloadIdCount}};
}

std::vector<IdMapping> SandboxUidMap(const std::vector<IdMapping>& workload) {
  std::vector<IdMapping> map = {{0, kSandboxRootHostUid, 1}, {kNobodyId, kNobodyId, 1}};
  AppendShifted(workload, &map);
  return map;
}

std::vector<IdMapping> SandboxGidMap(const std::vector<IdMapping>& workload) {
  std::vector<IdMapping> map = {{kNobodyId, kNobodyId, 1}};
  AppendShifted(workload, &map);
  return map;
}

std::vector<IdMapping> WorkloadNestedMap(const std::vector<IdMapping>& workload) {
  std::vector<IdMapping> map;
  for (const IdMapping& m : workload) {
    map.push_back({m.container_id, kWorkloadSandboxBase + m.container_id, m.size});
  }
  return map;
}

std::optional<uint32_t> MapId(const std::vector<IdMapping>& map, uint32_t id) {
  for (const IdMapping& m : map) {
    if (id >= m.container_id && id - m.container_id < m.size) {
      return m.host_id + (id - m.container_id);
    }
  }
  return std::nullopt;
}

std::optional<uint32_t> UnmapId(const std::vector<IdMapping>& map, uint32_t id) {
  for (const IdMapping& m : map) {
    if (id >= m.host_id && id - m.host_id < m.size) return m.container_id + (id - m.host_id);
  }
  return std::nullopt;
}

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

absl::Status ValidateWorkloadMap(const std::vector<IdMapping>& map, absl::string_view field) {
  absl::Status valid = ValidateIdMap(map);
  if (!valid.ok()) return absl::InvalidArgumentError(absl::StrCat(field, ": ", valid.message()));
  // The sandbox's map has its own two lines besides these.
  if (map.size() > 340 - 2) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": more than 338 lines"));
  }
  for (size_t i = 0; i < map.size(); ++i) {
    const IdMapping& m = map[i];
    if (uint64_t{kWorkloadSandboxBase} + m.container_id + m.size > (uint64_t{1} << 32) - 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, "[", i, "]: container ids up to ", uint64_t{m.container_id} + m.size - 1,
          " are beyond what runsc can map (the highest is ",
          (uint64_t{1} << 32) - 2 - kWorkloadSandboxBase, ")"));
    }
    if (uint64_t{m.host_id} + m.size > kPrivateRangesFirstHostId) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, "[", i, "]: host ids from ", kPrivateRangesFirstHostId,
                       " up are runsc's private ranges for other sandboxes"));
    }
    for (uint32_t reserved : {0u, kSandboxRootHostUid, kNobodyId}) {
      if (reserved >= m.host_id && reserved - m.host_id < m.size) {
        return absl::InvalidArgumentError(absl::StrCat(
            field, "[", i, "]: host id ", reserved,
            reserved == 0 ? " is the host's root"
                          : " belongs to the sandbox's supervisor",
            "; a workload may not hold it"));
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
