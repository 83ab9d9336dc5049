// Host-side preparation of a container's filesystem as detached mount trees
// that a sandbox can attach without seeing any host path.
//
// The rootfs becomes an overlay whose lower layer is an idmapped clone of the
// bundle's rootfs (files owned by host uid N appear owned by host uid base+N,
// i.e. container uid N) and whose upper layer is a fresh tmpfs, so neither the
// workload's writes nor the mount points the launcher creates reach the
// bundle. A read-only root (root.readonly) is made read-only by the launcher
// once its mounts are in place. Each result is a mount fd (a detached
// tree) that the sandbox attaches with move_mount.
//
// See DEVELOPERS.md, "Kernel facts", for why this happens on the host.
#ifndef RUNSC_SANDBOX_CONTAINER_MOUNTS_H_
#define RUNSC_SANDBOX_CONTAINER_MOUNTS_H_

#include <stdint.h>
#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "runsc/util/unique_fd.h"
#include "specutils/id_map.h"

namespace runsc::sandbox {

struct RootfsOptions {
  std::string path;         // absolute host path of the rootfs
  int idmap_userns_fd = -1; // a namespace mapping container ids -> host range,
                            // or -1: the files' owners stand as they are
  // The container's ids (container id -> host id). The container's "/"
  // (the writable layer's root) belongs to whoever owns the rootfs root, as
  // the container sees that owner; to the container's root where it has no
  // id for it (a bundle nobody chowned for a spec's mapping).
  specutils::WorkloadIds ids;
  // Size of the writable tmpfs layer: the container's memory limit where it
  // has one, else this.
  std::string upper_size = "256m";
  // root.readonly, and the mount points that must then be in the rootfs
  // (RootMountPoints): with all of them there, nothing is ever written
  // under the root, which needs no writable layer.
  bool readonly = false;
  std::vector<std::string> mount_points;
};

// A detached mount tree for the container's root: an overlay of the rootfs
// under a writable tmpfs layer, so that the bundle is never written (the
// mount points the spec needs are made in that layer). A rootfs that is
// itself an overlay mount (podman's storage) cannot be idmapped; its layers
// are, one by one, and become the lower layers of the container's overlay.
// A read-only root that already has its mount points is the idmapped
// rootfs alone, with no overlay to build or, at the end, to tear down
// (an RCU grace period and a tmpfs).
absl::StatusOr<util::UniqueFd> PrepareRootfs(const RootfsOptions& options);

// Of the spec's mount destinations, in order, those that lie in the root
// itself rather than in an earlier mount of the spec (/dev/pts lies in
// /dev's tmpfs): the ones a root needs before anything is mounted. Nullopt
// if a destination has a "." or ".." component, whose place only a walk
// can tell.
std::optional<std::vector<std::string>> RootMountPoints(
    const std::vector<std::string>& destinations);

// The layers of the overlay mounted at `path`, per `mountinfo` (the text of
// /proc/self/mountinfo): its upper directory first, then its lower ones, top
// to bottom. NOT_FOUND if no overlay is mounted there.
absl::StatusOr<std::vector<std::string>> OverlayLayers(const std::string& path,
                                                       const std::string& mountinfo);

// The mount attributes (mount_setattr(2), fsmount(2)) that a spec's mount
// flags (MS_*) ask of a tree the host makes for the container: read-only,
// noexec, nosymfollow, nodiratime and the atime mode. `clear` holds what
// must be cleared for the atime mode to be set. Always nosuid and nodev.
struct MountAttrs {
  uint64_t set = 0;
  uint64_t clear = 0;
};
MountAttrs MountAttrsOf(uint64_t ms_flags);

// A detached clone of `source` (recursive for rbind, its attributes then on
// every mount of it) with the attributes `ms_flags` ask (MountAttrsOf);
// idmapped if read-only.
absl::StatusOr<util::UniqueFd> PrepareBindSource(const std::string& source, bool recursive,
                                                 uint64_t ms_flags, int idmap_userns_fd);

// A device node (or a FIFO) for the container, with host ids.
struct DeviceNode {
  mode_t type = 0;  // S_IFCHR, S_IFBLK or S_IFIFO
  uint32_t major = 0;
  uint32_t minor = 0;
  mode_t mode = 0666;  // permission bits
  uid_t uid = 0;
  gid_t gid = 0;
};

// A detached tmpfs of the host's holding each node, made as runc makes it
// (mknod, chmod, chown), named 0, 1, ... in order: a user namespace can
// make no device node, and a tmpfs it mounted opens none. nosuid and
// noexec; the sandbox binds each node from it.
absl::StatusOr<util::UniqueFd> MakeDeviceNodes(const std::vector<DeviceNode>& nodes);

}  // namespace runsc::sandbox

#endif  // RUNSC_SANDBOX_CONTAINER_MOUNTS_H_
