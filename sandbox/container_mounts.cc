#include "sandbox/container_mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <linux/mount.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "boot/safe_path.h"
#include "runsc/util/errno_status.h"
#include "runsc/util/file_util.h"
#include "runsc/util/status_macros.h"

namespace runsc::sandbox {

using util::ErrnoError;
using util::UniqueFd;

namespace {

// userns_fd < 0: no idmapping.
absl::StatusOr<UniqueFd> IdmappedClone(const std::string& path, bool recursive, uint64_t ms_flags,
                                       int userns_fd) {
  unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0);
  UniqueFd tree(static_cast<int>(syscall(SYS_open_tree, AT_FDCWD, path.c_str(), flags)));
  if (!tree) return ErrnoError(errno, absl::StrCat("open_tree '", path, "'"));
  const MountAttrs attrs = MountAttrsOf(ms_flags);
  struct mount_attr attr = {};
  attr.attr_set = attrs.set;
  attr.attr_clr = attrs.clear;
  // A clone of a shared mount (systemd makes / shared) joins its peer
  // group: whatever the launcher mounted on it would appear on the host,
  // and pivot_root into it would fail. The container's trees are its own.
  attr.propagation = MS_PRIVATE;
  if (userns_fd >= 0) {
    attr.attr_set |= MOUNT_ATTR_IDMAP;
    attr.userns_fd = static_cast<uint64_t>(userns_fd);
  }
  if (syscall(SYS_mount_setattr, tree.get(), "",
              AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &attr, sizeof(attr)) != 0) {
    return ErrnoError(errno, absl::StrCat("idmap mount of '", path, "'"));
  }
  return tree;
}

absl::Status FsConfigString(int fs, const char* key, const std::string& value,
                            const char* what) {
  if (syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, key, value.c_str(), 0) != 0) {
    return ErrnoError(errno, absl::StrCat("fsconfig ", what, " ", key, "='", value, "'"));
  }
  return absl::OkStatus();
}

absl::Status FsConfigFd(int fs, const char* key, int fd) {
  if (syscall(SYS_fsconfig, fs, FSCONFIG_SET_FD, key, nullptr, fd) != 0) {
    return ErrnoError(errno, absl::StrCat("fsconfig overlay ", key));
  }
  return absl::OkStatus();
}

absl::StatusOr<UniqueFd> CreateAndMount(int fs, const char* what, unsigned attrs) {
  if (syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0) {
    return ErrnoError(errno, absl::StrCat("create ", what));
  }
  UniqueFd mnt(static_cast<int>(syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, attrs)));
  if (!mnt) return ErrnoError(errno, absl::StrCat("fsmount ", what));
  return mnt;
}

// mountinfo's escapes (octal, as in "\\040" for a space) and overlay's
// ("\\:" for a colon in a layer path) undone.
std::string Unescape(absl::string_view in) {
  std::string out;
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '\\' && i + 3 < in.size() && in[i + 1] >= '0' && in[i + 1] <= '3' &&
        in[i + 2] >= '0' && in[i + 2] <= '7' && in[i + 3] >= '0' && in[i + 3] <= '7') {
      out.push_back(static_cast<char>((in[i + 1] - '0') * 64 + (in[i + 2] - '0') * 8 +
                                      (in[i + 3] - '0')));
      i += 3;
    } else if (in[i] == '\\' && i + 1 < in.size()) {
      out.push_back(in[++i]);
    } else {
      out.push_back(in[i]);
    }
  }
  return out;
}

// Splits on `sep` where it is not escaped with a backslash.
std::vector<std::string> SplitUnescaped(absl::string_view in, char sep) {
  std::vector<std::string> out(1);
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '\\' && i + 1 < in.size()) {
      out.back().append(in.data() + i, 2);
      ++i;
    } else if (in[i] == sep) {
      out.emplace_back();
    } else {
      out.back().push_back(in[i]);
    }
  }
  return out;
}

// The host owner of the container's "/" for a rootfs root owned by
// `on_disk`: that owner as the container sees it (idmapped: the same id;
// else the id `map` gives it back), or the container's root where it has
// none.
uint32_t RootOwner(const std::vector<specutils::IdMapping>& map, uint32_t on_disk,
                   bool idmapped) {
  const std::optional<uint32_t> seen =
      idmapped ? std::optional<uint32_t>(on_disk) : specutils::UnmapId(map, on_disk);
  const std::optional<uint32_t> host = seen.has_value() ? specutils::MapId(map, *seen) : std::nullopt;
  return host.value_or(specutils::MapId(map, 0).value_or(specutils::kNobodyId));
}

}  // namespace

absl::StatusOr<std::vector<std::string>> OverlayLayers(const std::string& path,
                                                       const std::string& mountinfo) {
  std::vector<std::string> layers;
  bool found = false;
  for (absl::string_view line : absl::StrSplit(mountinfo, '\n', absl::SkipEmpty())) {
    std::vector<absl::string_view> f = absl::StrSplit(line, ' ');
    auto dash = std::find(f.begin(), f.end(), "-");
    if (f.size() < 5 || dash == f.end() || dash + 3 >= f.end()) continue;
    if (*(dash + 1) != "overlay" || Unescape(f[4]) != path) continue;
    // The last mount at `path` is the one on top.
    found = true;
    layers.clear();
    std::string upper;
    std::vector<std::string> lowers;
    for (const std::string& option : SplitUnescaped(*(dash + 3), ',')) {
      if (option.rfind("upperdir=", 0) == 0) upper = Unescape(option.substr(9));
      if (option.rfind("lowerdir=", 0) != 0) continue;
      // "::" marks data-only layers, which only metacopy redirects reach.
      for (const std::string& lower : SplitUnescaped(option.substr(9), ':')) {
        if (!lower.empty()) lowers.push_back(Unescape(lower));
      }
    }
    if (!upper.empty()) layers.push_back(upper);
    layers.insert(layers.end(), lowers.begin(), lowers.end());
  }
  if (!found || layers.empty()) {
    return absl::NotFoundError(absl::StrCat("no overlay mount with layers at '", path, "'"));
  }
  return layers;
}

std::optional<std::vector<std::string>> RootMountPoints(
    const std::vector<std::string>& destinations) {
  std::vector<std::string> points;
  for (size_t i = 0; i < destinations.size(); ++i) {
    const std::string& dest = destinations[i];
    for (absl::string_view part : absl::StrSplit(dest, '/', absl::SkipEmpty())) {
      if (part == "." || part == "..") return std::nullopt;
    }
    bool covered = false;
    for (size_t j = 0; j < i && !covered; ++j) {
      absl::string_view outer = absl::StripSuffix(destinations[j], "/");
      covered = !outer.empty() && (absl::StripSuffix(dest, "/") == outer ||
                                   absl::StartsWith(dest, absl::StrCat(outer, "/")));
    }
    if (!covered) points.push_back(dest);
  }
  return points;
}

MountAttrs MountAttrsOf(uint64_t ms_flags) {
  MountAttrs attrs;
  attrs.set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
  for (const auto& [ms, attr] : {std::pair<uint64_t, uint64_t>{MS_RDONLY, MOUNT_ATTR_RDONLY},
                                 {MS_NOEXEC, MOUNT_ATTR_NOEXEC},
                                 {MS_NOSYMFOLLOW, MOUNT_ATTR_NOSYMFOLLOW},
                                 {MS_NODIRATIME, MOUNT_ATTR_NODIRATIME}}) {
    if ((ms_flags & ms) != 0) attrs.set |= attr;
  }
  // One atime mode, as mount(8) picks it: noatime over strictatime over
  // relatime; none asked, the source's stays.
  const uint64_t atime = (ms_flags & MS_NOATIME) != 0       ? MOUNT_ATTR_NOATIME
                         : (ms_flags & MS_STRICTATIME) != 0 ? MOUNT_ATTR_STRICTATIME
                         : (ms_flags & MS_RELATIME) != 0    ? MOUNT_ATTR_RELATIME
                                                            : ~uint64_t{0};
  if (atime != ~uint64_t{0}) {
    attrs.set |= atime;
    attrs.clear |= MOUNT_ATTR__ATIME;
  }
  return attrs;
}

absl::StatusOr<UniqueFd> PrepareBindSource(const std::string& source, bool recursive,
                                           uint64_t ms_flags, int idmap_userns_fd) {
  return IdmappedClone(source, recursive, ms_flags,
                       (ms_flags & MS_RDONLY) != 0 ? idmap_userns_fd : -1);
}

absl::StatusOr<UniqueFd> MakeDeviceNodes(const std::vector<DeviceNode>& nodes) {
  UniqueFd fs(static_cast<int>(syscall(SYS_fsopen, "tmpfs", FSOPEN_CLOEXEC)));
  if (!fs) return ErrnoError(errno, "fsopen tmpfs for device nodes");
  RETURN_IF_ERROR(FsConfigString(fs.get(), "size", "4k", "tmpfs"));
  // Searchable by the sandbox, which is none of its owner's: never seen
  // but for the moment the sandbox binds from it.
  RETURN_IF_ERROR(FsConfigString(fs.get(), "mode", "0711", "tmpfs"));
  ASSIGN_OR_RETURN(UniqueFd dir, CreateAndMount(fs.get(), "tmpfs for device nodes",
                                                MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC));
  for (size_t i = 0; i < nodes.size(); ++i) {
    const DeviceNode& n = nodes[i];
    const std::string name = std::to_string(i);
    const std::string what = absl::StrCat(n.type == S_IFBLK   ? "block device "
                                          : n.type == S_IFIFO ? "FIFO "
                                                              : "character device ",
                                          n.major, ":", n.minor);
    if (mknodat(dir.get(), name.c_str(), n.type | 0600, makedev(n.major, n.minor)) != 0) {
      return ErrnoError(errno, absl::StrCat("mknod ", what));
    }
    // The mode whatever the umask, and the owner, as the spec has them.
    if (fchmodat(dir.get(), name.c_str(), n.mode & 07777, 0) != 0) {
      return ErrnoError(errno, absl::StrCat("chmod ", what));
    }
    if (fchownat(dir.get(), name.c_str(), n.uid, n.gid, AT_SYMLINK_NOFOLLOW) != 0) {
      return ErrnoError(errno, absl::StrCat("chown ", what));
    }
  }
  return dir;
}

absl::StatusOr<UniqueFd> PrepareRootfs(const RootfsOptions& options) {
  struct stat root_st;
  if (stat(options.path.c_str(), &root_st) != 0) {
    return ErrnoError(errno, absl::StrCat("rootfs '", options.path, "'"));
  }
  if (!S_ISDIR(root_st.st_mode)) {
    return absl::InvalidArgumentError(
        absl::StrCat("root.path: '", options.path, "' is not a directory"));
  }
  // The read-only layers. An overlay cannot be idmapped itself (podman
  // hands over its storage's overlay mount): its own layers, upper on top,
  // are idmapped one by one instead, and stacked under our writable layer.
  // Unidmapped, it is one layer as it stands.
  std::vector<UniqueFd> lowers;
  struct statfs fs;
  if (options.idmap_userns_fd >= 0 && statfs(options.path.c_str(), &fs) == 0 &&
      fs.f_type == OVERLAYFS_SUPER_MAGIC) {
    char real[PATH_MAX];
    if (realpath(options.path.c_str(), real) == nullptr) {
      return ErrnoError(errno, absl::StrCat("realpath '", options.path, "'"));
    }
    ASSIGN_OR_RETURN(std::vector<std::string> layers,
                     OverlayLayers(real, util::ReadFileOrEmpty("/proc/self/mountinfo")));
    for (const std::string& layer : layers) {
      ASSIGN_OR_RETURN(UniqueFd clone, IdmappedClone(layer, /*recursive=*/false, MS_RDONLY,
                                                     options.idmap_userns_fd));
      lowers.push_back(std::move(clone));
    }
  } else {
    ASSIGN_OR_RETURN(UniqueFd lower, IdmappedClone(options.path, /*recursive=*/true, MS_RDONLY,
                                                   options.idmap_userns_fd));
    lowers.push_back(std::move(lower));
  }
  if (options.readonly && lowers.size() == 1) {
    // Checked in the tree the container gets, with the launcher's own walk
    // (boot::OpenInRoot: in the root, symlinks included): if every mount
    // point is there, the launcher never creates one.
    const bool complete = std::all_of(options.mount_points.begin(), options.mount_points.end(),
                                      [&lowers](const std::string& p) {
                                        return boot::OpenInRoot(lowers[0].get(), p, O_PATH).ok();
                                      });
    if (complete) return std::move(lowers[0]);
  }
  // The writable layer: a detached tmpfs holding upper/ and work/.
  UniqueFd tmpfs(static_cast<int>(syscall(SYS_fsopen, "tmpfs", FSOPEN_CLOEXEC)));
  if (!tmpfs) return ErrnoError(errno, "fsopen tmpfs for the writable layer");
  RETURN_IF_ERROR(FsConfigString(tmpfs.get(), "size", options.upper_size, "tmpfs"));
  RETURN_IF_ERROR(FsConfigString(tmpfs.get(), "mode", "0700", "tmpfs"));
  ASSIGN_OR_RETURN(UniqueFd layer, CreateAndMount(tmpfs.get(), "tmpfs writable layer",
                                                  MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV));
  for (const char* dir : {"upper", "work"}) {
    if (mkdirat(layer.get(), dir, root_st.st_mode & 07777) != 0) {
      return ErrnoError(errno, absl::StrCat("mkdir '", dir, "' in the writable layer"));
    }
    // The overlay root takes its owner and mode from upper/: make it the
    // rootfs root's, shifted into the container's range.
    const bool idmapped = options.idmap_userns_fd >= 0;
    if (fchownat(layer.get(), dir, RootOwner(options.ids.uids, root_st.st_uid, idmapped),
                 RootOwner(options.ids.gids, root_st.st_gid, idmapped), 0) != 0) {
      return ErrnoError(errno, absl::StrCat("chown '", dir, "' in the writable layer"));
    }
  }
  UniqueFd upper(openat(layer.get(), "upper", O_PATH | O_DIRECTORY | O_CLOEXEC));
  UniqueFd work(openat(layer.get(), "work", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!upper || !work) return ErrnoError(errno, "open upper/work of the writable layer");

  UniqueFd overlay(static_cast<int>(syscall(SYS_fsopen, "overlay", FSOPEN_CLOEXEC)));
  if (!overlay) return ErrnoError(errno, "fsopen overlay");
  for (const UniqueFd& lower : lowers) {
    RETURN_IF_ERROR(FsConfigFd(overlay.get(), "lowerdir+", lower.get()));
  }
  RETURN_IF_ERROR(FsConfigFd(overlay.get(), "upperdir", upper.get()));
  RETURN_IF_ERROR(FsConfigFd(overlay.get(), "workdir", work.get()));
  return CreateAndMount(overlay.get(), "overlay root",
                        MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
}

}  // namespace runsc::sandbox
