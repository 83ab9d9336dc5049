#include "sandbox/container_setup.h"

#include <sys/mount.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "runsc/util/boot_fds.h"
#include "runsc/util/errno_status.h"
#include "runsc/util/status_macros.h"
#include "sandbox/container_mounts.h"
#include "sandbox/host_template.h"
#include "sandbox/joined_ns.h"
#include "specutils/id_map.h"

namespace runsc::sandbox {

using util::UniqueFd;

namespace {

UsernsCache& DefaultUsernsCache() {
  static UsernsCache* cache = new UsernsCache;
  return *cache;
}

}  // namespace

absl::StatusOr<JoinedNamespaces> OpenJoinedNamespaces(
    const runsc::boot::v1::ContainerConfig& container, runsc::boot::v1::BootConfig* config) {
  JoinedNamespaces joined;
  struct Wanted {
    const std::string& path;
    int type;
    const char* field;
    UniqueFd* fd;
    void (runsc::boot::v1::BootConfig::*mark)(bool);
  };
  for (const Wanted& w : {
           Wanted{container.network_ns_path(), CLONE_NEWNET, "linux.namespaces (network)",
                  &joined.net, &runsc::boot::v1::BootConfig::set_network_joined},
           Wanted{container.ipc_ns_path(), CLONE_NEWIPC, "linux.namespaces (ipc)", &joined.ipc,
                  &runsc::boot::v1::BootConfig::set_ipc_joined},
           Wanted{container.uts_ns_path(), CLONE_NEWUTS, "linux.namespaces (uts)", &joined.uts,
                  &runsc::boot::v1::BootConfig::set_uts_joined}}) {
    if (w.path.empty()) continue;
    ASSIGN_OR_RETURN(*w.fd, OpenNamespace(w.path, w.type, w.field));
    (config->*w.mark)(true);
  }
  return joined;
}

absl::Status PrewarmIdmap(const UidRange& range, UsernsCache* cache) {
  if (cache == nullptr) cache = &DefaultUsernsCache();
  const auto host_map = specutils::WorkloadHostMap(range.host_base);
  return cache->Get(host_map, host_map).status();
}

absl::StatusOr<std::vector<UniqueFd>> PrepareContainerMounts(
    const runsc::boot::v1::ContainerConfig& container, const UidRange& range,
    const specutils::WorkloadIds& ids, const Cgroup& cgroup, const JoinedNamespaces& joined,
    UsernsCache* cache,
    runsc::boot::v1::ContainerBoot* boot) {
  if (cache == nullptr) cache = &DefaultUsernsCache();
  // Files owned by host uid N show as container uid N: the trees are
  // idmapped into the private range. A spec with its own id mappings gets
  // no idmapping, as with runc: its caller has made the files' owners
  // match the mapping (podman chowns or idmaps its storage for --uidmap).
  // A new namespace's holder exits while the trees are made, and is reaped
  // on the way out.
  util::UsernsHolder holder;
  UniqueFd userns_fd;
  uint32_t host_base = 0;
  if (container.uid_mappings().empty()) {
    const auto host_map = specutils::WorkloadHostMap(range.host_base);
    ASSIGN_OR_RETURN(userns_fd, cache->Get(host_map, host_map, &holder));
    host_base = range.host_base;
  }
  const int userns = userns_fd ? userns_fd.get() : -1;
  std::vector<UniqueFd> fds;
  UniqueFd root;
  if (container.synthetic_root()) {
    if (host_base == 0) {
      return absl::InvalidArgumentError(
          "linux.uidMappings: the host template takes no id mappings");
    }
    ASSIGN_OR_RETURN(root, PrepareTemplateRoot(container, host_base));
  } else {
    RootfsOptions rootfs;
    rootfs.path = container.rootfs();
    rootfs.idmap_userns_fd = userns;
    // The writable layer's pages are charged to the container's memory
    // cgroup: with a memory limit, that limit is the layer's bound too (a
    // container may write as much to its root as it may hold in memory);
    // without one, the default size bounds it.
    if (container.resources().has_memory_max() && container.resources().memory_max() > 0) {
      rootfs.upper_size = absl::StrCat(container.resources().memory_max());
    }
    rootfs.ids = ids;
    std::vector<std::string> destinations;
    for (const auto& m : container.mounts()) destinations.push_back(m.destination());
    for (const auto& d : container.devices()) destinations.push_back(d.path());
    std::optional<std::vector<std::string>> points = RootMountPoints(destinations);
    rootfs.readonly = container.readonly_root() && points.has_value();
    if (points.has_value()) rootfs.mount_points = std::move(*points);
    ASSIGN_OR_RETURN(root, PrepareRootfs(rootfs));
  }
  *boot->mutable_config() = container;
  boot->set_rootfs_fd(util::kFirstMountFd);
  fds.push_back(std::move(root));
  for (int i = 0; i < container.mounts_size(); ++i) {
    const auto& m = container.mounts(i);
    // The sandbox cannot mount what shows a namespace it does not own.
    const int shown = m.type() == "sysfs" && joined.net    ? joined.net.get()
                      : m.type() == "mqueue" && joined.ipc ? joined.ipc.get()
                                                           : -1;
    if (shown >= 0) {
      absl::StatusOr<UniqueFd> fs =
          FilesystemOf(shown, m.type() == "sysfs" ? CLONE_NEWNET : CLONE_NEWIPC, m.type().c_str(),
                       MountAttrsOf(m.flags()).set);
      if (!fs.ok()) return util::Annotate(fs.status(), absl::StrCat("mounts[", i, "]"));
      boot->add_bind_fds(util::kFirstMountFd + static_cast<int>(fds.size()));
      fds.push_back(std::move(*fs));
      continue;
    }
    if (m.type() != "bind") {
      boot->add_bind_fds(-1);
      continue;
    }
    // The host template's binds (the host's /usr, /bin, /lib*) are not
    // idmapped: what host root owns would be the container root's, and a
    // group member's template workload would read what only root may (a
    // 0600 file). Unmapped, only their "other" bits count.
    absl::StatusOr<UniqueFd> tree = PrepareBindSource(m.source(), m.recursive(), m.flags(),
                                                      container.synthetic_root() ? -1 : userns);
    if (!tree.ok()) {
      return util::Annotate(tree.status(), absl::StrCat("mounts[", i, "]"));
    }
    boot->add_bind_fds(util::kFirstMountFd + static_cast<int>(fds.size()));
    fds.push_back(std::move(*tree));
  }
  std::vector<DeviceNode> nodes;
  for (int i = 0; i < container.devices_size(); ++i) {
    const auto& d = container.devices(i);
    const std::string f = absl::StrCat("linux.devices[", i, "]");
    // Owned by the container's ids, as the host sees them.
    std::optional<uint32_t> uid = specutils::MapId(ids.uids, d.uid());
    std::optional<uint32_t> gid = specutils::MapId(ids.gids, d.gid());
    if (!uid.has_value() || !gid.has_value()) {
      return absl::InvalidArgumentError(absl::StrCat(
          f, !uid.has_value() ? ".uid: " : ".gid: ", !uid.has_value() ? d.uid() : d.gid(),
          " is not an id of the container"));
    }
    nodes.push_back({d.type(), d.major(), d.minor(), d.file_mode(), *uid, *gid});
  }
  if (!nodes.empty()) {
    ASSIGN_OR_RETURN(UniqueFd made, MakeDeviceNodes(nodes));
    boot->set_devices_fd(util::kFirstMountFd + static_cast<int>(fds.size()));
    fds.push_back(std::move(made));
  }
  // A "cgroup" mount shows the container's own cgroup, read-only.
  if (std::none_of(container.mounts().begin(), container.mounts().end(), [](const auto& m) {
        return m.type() == "cgroup" || m.type() == "cgroup2";
      })) {
    return fds;
  }
  for (const auto& [controller, dir] : cgroup.ContainerView()) {
    ASSIGN_OR_RETURN(UniqueFd tree, PrepareBindSource(dir, false, MS_RDONLY, -1));
    auto* t = boot->add_cgroup_trees();
    t->set_controller(controller);
    t->set_fd(util::kFirstMountFd + static_cast<int>(fds.size()));
    fds.push_back(std::move(tree));
  }
  return fds;
}


}  // namespace runsc::sandbox
