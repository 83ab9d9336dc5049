#ifndef RUNSC_SANDBOX_CONTAINER_SETUP_H_
#define RUNSC_SANDBOX_CONTAINER_SETUP_H_

// What the host prepares for a container before its sandbox is spawned:
// the namespaces it joins by path (linux.namespaces[].path), opened and
// checked, and its detached mount trees (the rootfs, bind sources, the
// filesystems of joined namespaces and the container's cgroups), which the
// sandbox receives as fds.

#include <sched.h>

#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "proto/boot.pb.h"
#include "runsc/util/unique_fd.h"
#include "sandbox/cgroup.h"
#include "sandbox/uid_range.h"
#include "sandbox/userns_cache.h"
#include "specutils/id_map.h"

namespace runsc::sandbox {

// The namespaces a container joins by path (linux.namespaces[].path),
// opened and checked.
struct JoinedNamespaces {
  util::UniqueFd net, ipc, uts;

  // (fd, type) of each one joined.
  std::vector<std::pair<int, int>> List() const {
    std::vector<std::pair<int, int>> list;
    if (net) list.emplace_back(net.get(), CLONE_NEWNET);
    if (ipc) list.emplace_back(ipc.get(), CLONE_NEWIPC);
    if (uts) list.emplace_back(uts.get(), CLONE_NEWUTS);
    return list;
  }
};

// Opens the namespaces `container` names by path, and marks each one
// joined in `config`. Errors name the linux.namespaces entry.
absl::StatusOr<JoinedNamespaces> OpenJoinedNamespaces(
    const runsc::boot::v1::ContainerConfig& container, runsc::boot::v1::BootConfig* config);

// Makes, in `cache` (nullptr: the process-wide one), the idmap user
// namespace PrepareContainerMounts will want for a container in `range`
// with the default id mapping: a warm sandbox's, ahead of its request.
absl::Status PrewarmIdmap(const UidRange& range, UsernsCache* cache);

// Builds the container's detached mount trees and records their fd numbers
// (as the sandbox will see them) in `boot`. The trees are idmapped into
// `range` unless the spec maps ids itself; `cache` (nullptr: a process-wide
// one) holds the idmap user namespaces. Errors name the mounts[] entry.
absl::StatusOr<std::vector<util::UniqueFd>> PrepareContainerMounts(
    const runsc::boot::v1::ContainerConfig& container, const UidRange& range,
    const specutils::WorkloadIds& ids, const Cgroup& cgroup, const JoinedNamespaces& joined,
    UsernsCache* cache, runsc::boot::v1::ContainerBoot* boot);

}  // namespace runsc::sandbox

#endif  // RUNSC_SANDBOX_CONTAINER_SETUP_H_
