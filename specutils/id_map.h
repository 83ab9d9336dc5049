// IdMapping: one line of a user namespace's uid_map or gid_map, and the
// sandbox's fixed supervisor maps. Pure: formats and validates, never writes.
#ifndef RUNSC_SPECUTILS_ID_MAP_H_
#define RUNSC_SPECUTILS_ID_MAP_H_

#include <stdint.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace runsc::specutils {

struct IdMapping {
  uint32_t container_id;  // first id inside the namespace
  uint32_t host_id;       // first id in the parent namespace
  uint32_t size;          // number of ids

  bool operator==(const IdMapping& o) const {
    return container_id == o.container_id && host_id == o.host_id &&
           size == o.size;
  }
};

// The host's overflow user: the sandbox supervisor runs as this uid/gid.
inline constexpr uint32_t kNobodyId = 65534;
// Container root of the sandbox process maps to nobody-1 on the host.
inline constexpr uint32_t kSandboxRootHostUid = 65533;

// Workload ids 0..65535 are ids 100000.. inside the sandbox's user namespace,
// which maps them to the sandbox's private host range.
inline constexpr uint32_t kWorkloadSandboxBase = 100000;
inline constexpr uint32_t kWorkloadIdCount = 65536;
// The sandboxes' private ranges (sandbox::UidRangeAllocator) are host ids
// from here up: far above any distro's system, user and subuid ranges.
inline constexpr uint32_t kPrivateRangesFirstHostId = 1u << 30;

// A container's uid and gid maps: container id -> host id.
struct WorkloadIds {
  std::vector<IdMapping> uids;
  std::vector<IdMapping> gids;
};

// The workloads' ids as the host sees them (container id -> host id) when
// the spec names none: 0..65535 -> the sandbox's private range at `base`.
// With linux.uidMappings/gidMappings, the spec's own mappings play this part.
std::vector<IdMapping> WorkloadHostMap(uint32_t workload_host_base);

// The sandbox process's uid map: 0 -> 65533 and 65534 -> 65534, plus each
// workload range (container id c -> host h) as sandbox id 100000+c -> h.
std::vector<IdMapping> SandboxUidMap(const std::vector<IdMapping>& workload = {});
// The sandbox process's gid map: 65534 -> 65534, plus the workload ranges.
std::vector<IdMapping> SandboxGidMap(const std::vector<IdMapping>& workload = {});
// The workloads' nested user namespace, as written from the sandbox's:
// each workload range as container id c -> sandbox id 100000+c.
std::vector<IdMapping> WorkloadNestedMap(const std::vector<IdMapping>& workload);

// `id` through `map` (inside -> outside), or nullopt where it is unmapped.
std::optional<uint32_t> MapId(const std::vector<IdMapping>& map, uint32_t id);
// `id` back through `map` (outside -> inside), or nullopt.
std::optional<uint32_t> UnmapId(const std::vector<IdMapping>& map, uint32_t id);

// Checks a workload map (linux.uidMappings or gidMappings, named by `field`)
// can be honoured: a valid id map whose container ids fit above the
// sandbox's 100000 offset, and whose host ids include neither root, nor the
// sandbox's own 65533 and 65534 (a workload holding those could signal or
// trace its supervisor), nor the private ranges (other sandboxes').
absl::Status ValidateWorkloadMap(const std::vector<IdMapping>& map, absl::string_view field);

// Checks sizes are non-zero, ranges do not wrap, and neither the inside nor
// the host ranges overlap each other (the kernel's rules for id maps).
absl::Status ValidateIdMap(const std::vector<IdMapping>& map);

// "0 65533 1\n65534 65534 1\n": the text written to /proc/PID/uid_map.
std::string FormatIdMap(const std::vector<IdMapping>& map);

}  // namespace runsc::specutils

#endif  // RUNSC_SPECUTILS_ID_MAP_H_
