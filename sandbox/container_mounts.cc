#include "sandbox/container_mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "runsc/util/errno_status.h"
#include "runsc/util/status_macros.h"

namespace runsc::sandbox {

using util::ErrnoError;
using util::UniqueFd;

namespace {

// userns_fd < 0: no idmapping.
absl::StatusOr<UniqueFd> IdmappedClone(const std::string& path, bool recursive,
                                       bool readonly, int userns_fd) {
  unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0);
  UniqueFd tree(static_cast<int>(syscall(SYS_open_tree, AT_FDCWD, path.c_str(), flags)));
  if (!tree) return ErrnoError(errno, absl::StrCat("open_tree '", path, "'"));
  struct mount_attr attr = {};
  attr.attr_set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | (readonly ? MOUNT_ATTR_RDONLY : 0);
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

}  // namespace

absl::StatusOr<UniqueFd> PrepareBindSource(const std::string& source, bool recursive,
                                           bool readonly, int idmap_userns_fd) {
  return IdmappedClone(source, recursive, readonly, readonly ? idmap_userns_fd : -1);
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
  ASSIGN_OR_RETURN(UniqueFd lower, IdmappedClone(options.path, /*recursive=*/true,
                                                 /*readonly=*/true,
                                                 options.idmap_userns_fd));
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
    if (fchownat(layer.get(), dir, options.host_base + root_st.st_uid,
                 options.host_base + root_st.st_gid, 0) != 0) {
      return ErrnoError(errno, absl::StrCat("chown '", dir, "' in the writable layer"));
    }
  }
  UniqueFd upper(openat(layer.get(), "upper", O_PATH | O_DIRECTORY | O_CLOEXEC));
  UniqueFd work(openat(layer.get(), "work", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!upper || !work) return ErrnoError(errno, "open upper/work of the writable layer");

  UniqueFd overlay(static_cast<int>(syscall(SYS_fsopen, "overlay", FSOPEN_CLOEXEC)));
  if (!overlay) return ErrnoError(errno, "fsopen overlay");
  RETURN_IF_ERROR(FsConfigFd(overlay.get(), "lowerdir+", lower.get()));
  RETURN_IF_ERROR(FsConfigFd(overlay.get(), "upperdir", upper.get()));
  RETURN_IF_ERROR(FsConfigFd(overlay.get(), "workdir", work.get()));
  return CreateAndMount(overlay.get(), "overlay root",
                        MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
}

}  // namespace runsc::sandbox
