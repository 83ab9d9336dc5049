// Builds the container's filesystem in the launcher: uid 0 of the sandbox's
// user namespace, pid 1 of the container's PID namespace, in the container's
// own mount namespace (a private copy of the sandbox's, before the sandbox
// built its own root).
//
//   PrepareProc()          fresh procfs of the container's PID namespace over
//                          /proc (needed to write the nested userns maps, and
//                          it keeps a fully visible procfs for later mounts)
//   BuildContainerRoot()   attaches the rootfs tree over "/", mounts the
//                          spec's mounts (bind sources come as mount trees),
//                          a minimal /dev, masked and read-only paths, sets
//                          the hostname, and pivots into the root.
//
// Every container path is resolved with boot/safe_path.h. tmpfs and devpts
// uid=/gid= options are translated into the sandbox's ids, and tmpfs mounts
// without an owner belong to container root.
#ifndef RUNSC_BOOT_CONTAINER_FS_H_
#define RUNSC_BOOT_CONTAINER_FS_H_

#include <string>

#include "absl/status/status.h"
#include "proto/boot.pb.h"

namespace runsc::boot {

absl::Status PrepareProc();

// Writes the container's linux.sysctl through PrepareProc's /proc/sys, for
// each of its IPC, UTS and network namespaces that was not joined (the host
// wrote those). ping_group_range's gids are translated into the sandbox's
// ids.
absl::Status ApplySysctls(const runsc::boot::v1::BootConfig& boot);

// Closes the mount tree fds `boot` names (the rootfs, bind sources and
// cgroup trees): once the launcher has attached them, or in the process
// that only hands them on.
void CloseMountTrees(const runsc::boot::v1::ContainerBoot& boot);

// Sets `hostname` and `domainname` (empty: leaves each), then builds the
// root, the main process's working directory made if missing. Errors are
// prefixed with the mount or path they concern.
absl::Status BuildContainerRoot(const runsc::boot::v1::ContainerBoot& boot,
                                const std::string& hostname, const std::string& domainname);

// Exposed for tests: rewrites uid=N/gid=N in mount data into sandbox ids,
// and adds uid=/gid= of container root to tmpfs data that has none.
std::string TranslateMountData(const std::string& type, const std::string& data);

}  // namespace runsc::boot

#endif  // RUNSC_BOOT_CONTAINER_FS_H_
