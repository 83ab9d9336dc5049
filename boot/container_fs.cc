#include "boot/container_fs.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <optional>
#include <set>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "boot/copy_tree.h"
#include "boot/safe_path.h"
#include "runsc/util/errno_status.h"
#include "runsc/util/file_util.h"
#include "runsc/util/log.h"
#include "runsc/util/status_macros.h"
#include "specutils/id_map.h"
#include "specutils/oci_spec.h"
#include "specutils/sysctl.h"

namespace runsc::boot {

using runsc::boot::v1::MountConfig;
using util::Annotate;
using util::ErrnoError;
using util::UniqueFd;

namespace {

constexpr const char* kDevices[] = {"null", "zero", "full", "random", "urandom", "tty"};

absl::Status MountAt(const char* source, int target_fd, const std::string& type,
                     unsigned long flags, const std::string& data,
                     const std::string& what) {
  std::string target = FdPath(target_fd);
  if (mount(source, target.c_str(), type.empty() ? nullptr : type.c_str(), flags,
            data.empty() ? nullptr : data.c_str()) != 0) {
    return ErrnoError(errno, absl::StrCat("mount ", type.empty() ? "bind" : type,
                                          " on '", what, "'",
                                          data.empty() ? "" : " (" + data + ")"));
  }
  return absl::OkStatus();
}

// Whether `dest` (in the container) is, or passes through, a symlink: an
// error naming it if so. A missing tail is no error (it is made as real
// directories).
absl::Status CheckNoSymlinks(int root_fd, const std::string& dest, const std::string& type) {
  absl::StatusOr<UniqueFd> fd = OpenInRoot(root_fd, dest, O_PATH, RESOLVE_NO_SYMLINKS);
  if (fd.ok() || absl::IsNotFound(fd.status())) return absl::OkStatus();
  if (util::ErrnoOf(fd.status()) == ELOOP) {
    return absl::InvalidArgumentError(
        absl::StrCat("a ", type, " mount's destination '", dest,
                     "' is or passes through a symlink in the rootfs, which would move it where "
                     "linux.maskedPaths and readonlyPaths do not look"));
  }
  return fd.status();
}

absl::Status MountOne(int root_fd, const MountConfig& m, int bind_fd) {
  const std::string& dest = m.destination();
  if (m.type() == "proc" || m.type() == "sysfs") {
    // Never where a symlink of the image's leads (/proc -> /dev/x, with
    // /dev/x then covered by the /dev tmpfs): linux.maskedPaths and
    // readonlyPaths, which name their files, would find none there and
    // leave the whole file system bare (runc's CVE-2019-19921). A sysfs of
    // a joined network namespace comes as a tree (bind_fd) too.
    RETURN_IF_ERROR(CheckNoSymlinks(root_fd, dest, m.type()));
  }
  // A tree the host made: a bind source, or a sysfs of a joined network
  // namespace.
  if (m.type() == "bind" || bind_fd >= 0) {
    struct stat st;
    if (fstat(bind_fd, &st) != 0) return ErrnoError(errno, "fstat bind source tree");
    absl::StatusOr<UniqueFd> target =
        S_ISDIR(st.st_mode) ? MkdirAllInRoot(root_fd, dest) : TouchInRoot(root_fd, dest);
    if (!target.ok()) return target.status();
    if (syscall(SYS_move_mount, bind_fd, "", target->get(), "",
                MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) != 0) {
      return ErrnoError(errno, absl::StrCat("attach bind mount on '", dest, "'"));
    }
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(UniqueFd target, MkdirAllInRoot(root_fd, dest));
  unsigned long flags = m.flags();
  std::string type = m.type();
  if (type == "proc") flags |= MS_NOSUID | MS_NODEV | MS_NOEXEC;
  if (type == "sysfs") flags |= MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;
  if (type == "cgroup" || type == "cgroup2") {
    // v1 hierarchies cannot be mounted in a user namespace; the sandbox's
    // cgroup namespace makes a cgroup2 mount show only its own subtree.
    absl::Status status = MountAt("cgroup2", target.get(), "cgroup2",
                                  flags | MS_NOSUID | MS_NODEV | MS_NOEXEC, "", dest);
    if (!status.ok()) {
      util::Log(util::LogLevel::kWarning, "launcher",
                absl::StrCat("skipping cgroup mount: ", status.message()));
    }
    return absl::OkStatus();
  }
  // tmpcopyup: what the tmpfs covers, held open before it is covered, is
  // copied in; into a writable tmpfs, made read-only after.
  UniqueFd covered;
  if (m.copy_up()) {
    ASSIGN_OR_RETURN(covered, OpenInRoot(root_fd, dest, O_RDONLY | O_DIRECTORY));
  }
  RETURN_IF_ERROR(MountAt(type.c_str(), target.get(), type,
                          covered ? flags & ~static_cast<unsigned long>(MS_RDONLY) : flags,
                          TranslateMountData(type, m.data()), dest));
  if (covered) {
    ASSIGN_OR_RETURN(UniqueFd fresh, OpenInRoot(root_fd, dest, O_RDONLY | O_DIRECTORY));
    RETURN_IF_ERROR(CopyTree(covered.get(), fresh.get(), dest));
    // And its mode, as runc gives a tmpfs the mode of what it covers.
    struct stat st;
    if (fstat(covered.get(), &st) != 0 || fchmod(fresh.get(), st.st_mode & 07777) != 0) {
      return ErrnoError(errno, absl::StrCat("give the tmpfs at '", dest, "' its mode"));
    }
    if (flags & MS_RDONLY) {
      struct mount_attr attr = {};
      attr.attr_set = MOUNT_ATTR_RDONLY;
      if (syscall(SYS_mount_setattr, fresh.get(), "", AT_EMPTY_PATH, &attr, sizeof(attr)) != 0) {
        return ErrnoError(errno, absl::StrCat("make the tmpfs at '", dest, "' read-only"));
      }
    }
  }
  if (type == "tmpfs" && dest == "/dev") {
    // A minimal /dev: the host's device nodes (mknod is not possible in a
    // user namespace), and the usual links. The tmpfs was made just now and
    // is empty: each node is made in it directly (O_EXCL, O_NOFOLLOW), with
    // no walk from the root.
    ASSIGN_OR_RETURN(UniqueFd dev, OpenInRoot(root_fd, "/dev", O_PATH | O_DIRECTORY));
    for (const char* name : kDevices) {
      const std::string path = absl::StrCat("/dev/", name);
      UniqueFd node(
          openat(dev.get(), name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644));
      if (!node) return ErrnoError(errno, absl::StrCat("create '", path, "' in the container"));
      RETURN_IF_ERROR(MountAt(path.c_str(), node.get(), "", MS_BIND, "", path));
    }
    const std::pair<const char*, const char*> links[] = {
        {"/proc/self/fd", "fd"},     {"/proc/self/fd/0", "stdin"},
        {"/proc/self/fd/1", "stdout"}, {"/proc/self/fd/2", "stderr"},
        {"pts/ptmx", "ptmx"},
    };
    for (const auto& [to, name] : links) {
      if (symlinkat(to, dev.get(), name) != 0 && errno != EEXIST) {
        return ErrnoError(errno, absl::StrCat("symlink '/dev/", name, "'"));
      }
    }
  }
  if (m.propagation() != 0) {
    ASSIGN_OR_RETURN(UniqueFd mounted, OpenInRoot(root_fd, dest, O_PATH));
    RETURN_IF_ERROR(MountAt(nullptr, mounted.get(), "", m.propagation(), "", dest));
  }
  return absl::OkStatus();
}

// The spec's devices, bound from the host's tmpfs of their nodes (at
// `devices_fd`, detached), each on a file made for it at its path. A mount
// is cloned only from the caller's own namespace: the tmpfs is attached
// over our /proc for the while (nothing here reads /proc by path
// meanwhile; every step goes by fd), then detached. `dev_set_up`: /dev is
// not a bind, and its ptmx is devpts's, as runc keeps it then.
absl::Status AttachDevices(int root_fd, const runsc::boot::v1::ContainerConfig& config,
                           int devices_fd, bool dev_set_up) {
  if (config.devices_size() == 0) return absl::OkStatus();
  if (devices_fd <= 0) return absl::InternalError("linux.devices: no tmpfs of their nodes");
  if (syscall(SYS_move_mount, devices_fd, "", AT_FDCWD, "/proc", MOVE_MOUNT_F_EMPTY_PATH) != 0) {
    return ErrnoError(errno, "linux.devices: attach the tmpfs of their nodes");
  }
  absl::Status status;
  std::set<std::string> made;
  for (int i = 0; i < config.devices_size() && status.ok(); ++i) {
    const std::string& path = config.devices(i).path();
    if (dev_set_up && path == "/dev/ptmx") continue;
    // A path given twice keeps its first node, as runc's mknod of the
    // second finds the first.
    if (!made.insert(path).second) continue;
    status = [&]() -> absl::Status {
      ASSIGN_OR_RETURN(UniqueFd target, TouchInRoot(root_fd, path));
      UniqueFd node(static_cast<int>(syscall(SYS_open_tree, devices_fd, std::to_string(i).c_str(),
                                             OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC)));
      if (!node) return ErrnoError(errno, "clone the node");
      if (syscall(SYS_move_mount, node.get(), "", target.get(), "",
                  MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) != 0) {
        return ErrnoError(errno, absl::StrCat("attach the node on '", path, "'"));
      }
      return absl::OkStatus();
    }();
    status = Annotate(status, absl::StrCat("linux.devices[", i, "]"));
  }
  if (umount2("/proc", MNT_DETACH) != 0 && status.ok()) {
    status = ErrnoError(errno, "linux.devices: detach the tmpfs of their nodes");
  }
  return status;
}

absl::Status MaskPath(int root_fd, const std::string& path) {
  absl::StatusOr<UniqueFd> fd = OpenInRoot(root_fd, path, O_PATH);
  if (!fd.ok()) {
    if (absl::IsNotFound(fd.status())) return absl::OkStatus();
    return fd.status();
  }
  struct stat st;
  if (fstat(fd->get(), &st) != 0) return ErrnoError(errno, absl::StrCat("fstat '", path, "'"));
  if (S_ISDIR(st.st_mode)) {
    return MountAt("tmpfs", fd->get(), "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                   "size=0", path);
  }
  return MountAt("/dev/null", fd->get(), "", MS_BIND, "", path);
}

absl::Status ReadonlyPath(int root_fd, const std::string& path) {
  absl::StatusOr<UniqueFd> fd = OpenInRoot(root_fd, path, O_PATH);
  if (!fd.ok()) {
    if (absl::IsNotFound(fd.status())) return absl::OkStatus();
    return fd.status();
  }
  // A read-only clone of what is there, attached over it: by fd from the
  // one lookup to the end, so nothing swapped in between is made read-only
  // in its place.
  UniqueFd tree(static_cast<int>(
      syscall(SYS_open_tree, fd->get(), "",
              OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE | AT_EMPTY_PATH)));
  if (!tree) return ErrnoError(errno, absl::StrCat("open_tree of '", path, "'"));
  struct mount_attr attr = {};
  attr.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
  if (syscall(SYS_mount_setattr, tree.get(), "", AT_EMPTY_PATH | AT_RECURSIVE, &attr,
              sizeof(attr)) != 0) {
    return ErrnoError(errno, absl::StrCat("mount_setattr on '", path, "'"));
  }
  if (syscall(SYS_move_mount, tree.get(), "", fd->get(), "",
              MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) != 0) {
    return ErrnoError(errno, absl::StrCat("attach the read-only '", path, "'"));
  }
  return absl::OkStatus();
}

// A "cgroup" mount from the host's trees of the container's own cgroup:
// one tree (v2) at `dest`, or a tmpfs with one directory per v1 controller.
absl::Status MountCgroupTrees(int root_fd, const MountConfig& m,
                              const google::protobuf::RepeatedPtrField<v1::CgroupTree>& trees) {
  const std::string& dest = m.destination();
  ASSIGN_OR_RETURN(UniqueFd target, MkdirAllInRoot(root_fd, dest));
  auto attach = [&](int fd, int at, const std::string& where) -> absl::Status {
    if (syscall(SYS_move_mount, fd, "", at, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) !=
        0) {
      return ErrnoError(errno, absl::StrCat("attach the cgroup tree on '", where, "'"));
    }
    return absl::OkStatus();
  };
  if (trees.size() == 1 && trees[0].controller().empty()) {
    return attach(trees[0].fd(), target.get(), dest);
  }
  RETURN_IF_ERROR(MountAt("tmpfs", target.get(), "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                          TranslateMountData("tmpfs", "mode=755,size=64k"), dest));
  ASSIGN_OR_RETURN(UniqueFd tmpfs, OpenInRoot(root_fd, dest, O_PATH | O_DIRECTORY));
  for (const auto& tree : trees) {
    if (mkdirat(tmpfs.get(), tree.controller().c_str(), 0755) != 0) {
      return ErrnoError(errno, absl::StrCat("mkdir '", dest, "/", tree.controller(), "'"));
    }
    const std::string where = absl::StrCat(dest, "/", tree.controller());
    ASSIGN_OR_RETURN(UniqueFd dir, OpenInRoot(root_fd, where, O_PATH | O_DIRECTORY));
    RETURN_IF_ERROR(attach(tree.fd(), dir.get(), where));
  }
  if (m.flags() & MS_RDONLY) {
    struct mount_attr attr = {};
    attr.attr_set = MOUNT_ATTR_RDONLY;
    if (syscall(SYS_mount_setattr, tmpfs.get(), "", AT_EMPTY_PATH, &attr, sizeof(attr)) != 0) {
      return ErrnoError(errno, absl::StrCat("make '", dest, "' read-only"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::string TranslateMountData(const std::string& type, const std::string& data) {
  std::vector<std::string> out;
  bool has_uid = false, has_gid = false;
  for (absl::string_view opt : absl::StrSplit(data, ',', absl::SkipEmpty())) {
    std::pair<absl::string_view, absl::string_view> kv = absl::StrSplit(opt, '=');
    uint32_t id;
    if ((kv.first == "uid" || kv.first == "gid") && absl::SimpleAtoi(kv.second, &id) &&
        uint64_t{id} + specutils::kWorkloadSandboxBase < 0xFFFFFFFFu) {
      out.push_back(absl::StrCat(kv.first, "=", specutils::kWorkloadSandboxBase + id));
      (kv.first == "uid" ? has_uid : has_gid) = true;
    } else {
      out.emplace_back(opt);
    }
  }
  if (type == "tmpfs") {
    if (!has_uid) out.push_back(absl::StrCat("uid=", specutils::kWorkloadSandboxBase));
    if (!has_gid) out.push_back(absl::StrCat("gid=", specutils::kWorkloadSandboxBase));
  }
  return absl::StrJoin(out, ",");
}

void CloseMountTrees(const runsc::boot::v1::ContainerBoot& boot) {
  close(boot.rootfs_fd());
  for (int fd : boot.bind_fds()) {
    if (fd >= 0) close(fd);
  }
  for (const auto& tree : boot.cgroup_trees()) close(tree.fd());
  if (boot.devices_fd() > 0) close(boot.devices_fd());
}

absl::Status PrepareProc() {
  if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0) {
    return ErrnoError(errno, "mount the container's procfs on '/proc'");
  }
  return absl::OkStatus();
}

absl::Status ApplySysctls(const runsc::boot::v1::BootConfig& boot) {
  const auto& config = boot.container().config();
  const auto gids = specutils::WorkloadNestedMap(specutils::WorkloadIdsOf(config, 0).gids);
  for (const auto& [type, joined] : {std::make_pair(CLONE_NEWIPC, boot.ipc_joined()),
                                     std::make_pair(CLONE_NEWUTS, boot.uts_joined()),
                                     std::make_pair(CLONE_NEWNET, boot.network_joined())}) {
    if (joined) continue;
    auto writes = specutils::SysctlWrites(config.sysctl(), type, gids);
    if (type == CLONE_NEWNET && config.open_low_ports()) writes.push_back(specutils::kOpenLowPorts);
    RETURN_IF_ERROR(util::WriteSysctls(writes));
  }
  return absl::OkStatus();
}

// The main process's working directory, if the image has none (a
// Kubernetes workingDir, say), as runc makes it: after the mounts, before
// the root goes read-only, 0755, as the container's root with its
// capabilities (any directory on the way may be made). Each directory made
// is then given to the container's root: the ids the workloads' namespace
// maps it to here. One that exists is left as it is.
absl::Status MakeWorkingDirectory(int root_fd, const runsc::boot::v1::ContainerConfig& config) {
  const specutils::WorkloadIds ids = specutils::WorkloadIdsOf(config, /*host_base=*/0);
  const std::optional<uint32_t> uid = specutils::MapId(specutils::WorkloadNestedMap(ids.uids), 0);
  const std::optional<uint32_t> gid = specutils::MapId(specutils::WorkloadNestedMap(ids.gids), 0);
  std::optional<std::pair<uid_t, gid_t>> owner;
  if (uid.has_value() && gid.has_value()) owner.emplace(*uid, *gid);
  return MkdirAllInRoot(root_fd, config.process().cwd(), owner).status();
}

absl::Status BuildContainerRoot(const runsc::boot::v1::ContainerBoot& boot,
                                const std::string& hostname, const std::string& domainname) {
  const auto& config = boot.config();
  const int root_fd = boot.rootfs_fd();
  if (!hostname.empty() && sethostname(hostname.data(), hostname.size()) != 0) {
    return ErrnoError(errno, absl::StrCat("sethostname '", hostname, "'"));
  }
  if (!domainname.empty() && setdomainname(domainname.data(), domainname.size()) != 0) {
    return ErrnoError(errno, absl::StrCat("setdomainname '", domainname, "'"));
  }
  if (syscall(SYS_move_mount, root_fd, "", AT_FDCWD, "/", MOVE_MOUNT_F_EMPTY_PATH) != 0) {
    return ErrnoError(errno, "attach the container root over '/'");
  }
  bool cgroup_trees_used = false;
  for (int i = 0; i < config.mounts_size(); ++i) {
    const MountConfig& m = config.mounts(i);
    int bind_fd = i < boot.bind_fds_size() ? boot.bind_fds(i) : -1;
    absl::Status status;
    if ((m.type() == "cgroup" || m.type() == "cgroup2") && boot.cgroup_trees_size() > 0 &&
        !cgroup_trees_used) {
      // A tree attaches once; a second cgroup mount gets a plain cgroup2.
      cgroup_trees_used = true;
      status = MountCgroupTrees(root_fd, m, boot.cgroup_trees());
    } else {
      status = MountOne(root_fd, m, bind_fd);
    }
    if (!status.ok()) return Annotate(status, absl::StrCat("mounts[", i, "]"));
  }
  const bool dev_set_up = std::none_of(
      config.mounts().begin(), config.mounts().end(),
      [](const MountConfig& m) { return m.type() == "bind" && m.destination() == "/dev"; });
  RETURN_IF_ERROR(AttachDevices(root_fd, config, boot.devices_fd(), dev_set_up));
  for (const std::string& path : config.masked_paths()) {
    RETURN_IF_ERROR(Annotate(MaskPath(root_fd, path), "linux.maskedPaths"));
  }
  for (const std::string& path : config.readonly_paths()) {
    RETURN_IF_ERROR(Annotate(ReadonlyPath(root_fd, path), "linux.readonlyPaths"));
  }
  if (!config.process().cwd().empty()) {
    RETURN_IF_ERROR(Annotate(MakeWorkingDirectory(root_fd, config), "process.cwd"));
  }
  if (config.readonly_root()) {
    // Only the root mount: /dev, /tmp and the other mounts keep their own.
    struct mount_attr attr = {};
    attr.attr_set = MOUNT_ATTR_RDONLY;
    if (syscall(SYS_mount_setattr, root_fd, "", AT_EMPTY_PATH, &attr, sizeof(attr)) != 0) {
      return ErrnoError(errno, "make the container root read-only (root.readonly)");
    }
  }
  if (fchdir(root_fd) != 0) return ErrnoError(errno, "fchdir container root");
  if (syscall(SYS_pivot_root, ".", ".") != 0) {
    return ErrnoError(errno, "pivot_root into the container root");
  }
  if (umount2(".", MNT_DETACH) != 0) return ErrnoError(errno, "detach the old root");
  if (chdir("/") != 0) return ErrnoError(errno, "chdir '/'");
  return absl::OkStatus();
}

}  // namespace runsc::boot
