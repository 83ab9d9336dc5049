// IdMapping: one line of a user namespace's uid_map or gid_map, and the
// sandbox's fixed supervisor maps. Pure: formats and validates, never writes.
#ifndef RUNSC_SPECUTILS_ID_MAP_H_
#define RUNSC_SPECUTILS_ID_MAP_H_

#include <stdint.h>

#include <string>
#include <vector>

#include "absl/status/status.h"

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

// The sandbox process's uid map: 0 -> 65533 and 65534 -> 65534, plus
// 100000.. -> the workload range when `workload_host_base` is not 0.
std::vector<IdMapping> SandboxUidMap(uint32_t workload_host_base = 0);
// The sandbox process's gid map: 65534 -> 65534 (plus the workload range).
std::vector<IdMapping> SandboxGidMap(uint32_t workload_host_base = 0);
// The workloads' nested user namespace, as written from the sandbox's:
// 0..65535 -> 100000...
std::vector<IdMapping> WorkloadNestedMap();
// The same ids as the host sees them, for idmapped mounts: 0.. -> base..
std::vector<IdMapping> WorkloadHostMap(uint32_t workload_host_base);

// Checks sizes are non-zero, ranges do not wrap, and neither the inside nor
// the host ranges overlap each other (the kernel's rules for id maps).
absl::Status ValidateIdMap(const std::vector<IdMapping>& map);

// "0 65533 1\n65534 65534 1\n": the text written to /proc/PID/uid_map.
std::string FormatIdMap(const std::vector<IdMapping>& map);

}  // namespace runsc::specutils

#endif  // RUNSC_SPECUTILS_ID_MAP_H_
