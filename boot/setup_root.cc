#include "boot/setup_root.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "runsc/util/errno_status.h"
#include "runsc/util/status_macros.h"
#include "runsc/util/unique_fd.h"

namespace runsc::boot {

using util::ErrnoError;
using util::UniqueFd;

namespace {

// The new mount API has no glibc 2.36 wrappers.
int FsOpen(const char* fs, unsigned flags) {
  return static_cast<int>(syscall(SYS_fsopen, fs, flags));
}
int FsConfig(int fd, unsigned cmd, const char* key, const void* value, int aux) {
  return static_cast<int>(syscall(SYS_fsconfig, fd, cmd, key, value, aux));
}
int FsMount(int fd, unsigned flags, unsigned attrs) {
  return static_cast<int>(syscall(SYS_fsmount, fd, flags, attrs));
}
int MoveMount(int from_dfd, const char* from, int to_dfd, const char* to,
              unsigned flags) {
  return static_cast<int>(
      syscall(SYS_move_mount, from_dfd, from, to_dfd, to, flags));
}
int MountSetattr(int dfd, const char* path, unsigned flags,
                 struct mount_attr* attr) {
  return static_cast<int>(
      syscall(SYS_mount_setattr, dfd, path, flags, attr, sizeof(*attr)));
}

absl::Status SetReadOnly(const char* path) {
  struct mount_attr attr = {};
  attr.attr_set = MOUNT_ATTR_RDONLY;
  if (MountSetattr(AT_FDCWD, path, 0, &attr) != 0) {
    return ErrnoError(errno, absl::StrCat("mount_setattr(RDONLY) '", path, "'"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status MakeMountsPrivate() {
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    return ErrnoError(errno, "mount(MS_REC|MS_PRIVATE) '/'");
  }
  return absl::OkStatus();
}

absl::Status BringUpLoopback() {
  UniqueFd sock(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!sock) return ErrnoError(errno, "socket(AF_INET) for 'lo'");
  struct ifreq ifr = {};
  std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  if (ioctl(sock.get(), SIOCGIFFLAGS, &ifr) != 0) {
    return ErrnoError(errno, "SIOCGIFFLAGS 'lo'");
  }
  ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
  if (ioctl(sock.get(), SIOCSIFFLAGS, &ifr) != 0) {
    return ErrnoError(errno, "SIOCSIFFLAGS(IFF_UP) 'lo'");
  }
  return absl::OkStatus();
}

absl::Status SetHostname(absl::string_view hostname) {
  if (sethostname(hostname.data(), hostname.size()) != 0) {
    return ErrnoError(errno, absl::StrCat("sethostname '", hostname, "'"));
  }
  return absl::OkStatus();
}

absl::Status CreateRootTmpfs(absl::string_view size) {
  UniqueFd fs(FsOpen("tmpfs", FSOPEN_CLOEXEC));
  if (!fs) return ErrnoError(errno, "fsopen 'tmpfs'");
  std::string size_str(size);
  if (FsConfig(fs.get(), FSCONFIG_SET_STRING, "size", size_str.c_str(), 0) != 0) {
    return ErrnoError(errno, absl::StrCat("fsconfig tmpfs size='", size, "'"));
  }
  if (FsConfig(fs.get(), FSCONFIG_SET_STRING, "mode", "0755", 0) != 0) {
    return ErrnoError(errno, "fsconfig tmpfs mode='0755'");
  }
  if (FsConfig(fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0) {
    return ErrnoError(errno, "fsconfig(CMD_CREATE) 'tmpfs'");
  }
  UniqueFd mnt(FsMount(fs.get(), FSMOUNT_CLOEXEC,
                       MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC));
  if (!mnt) return ErrnoError(errno, "fsmount 'tmpfs'");
  if (MoveMount(mnt.get(), "", AT_FDCWD, "/", MOVE_MOUNT_F_EMPTY_PATH) != 0) {
    return ErrnoError(errno, "move_mount root tmpfs onto '/'");
  }
  if (fchdir(mnt.get()) != 0) return ErrnoError(errno, "fchdir root tmpfs");
  if (mkdir("proc", 0555) != 0) return ErrnoError(errno, "mkdir 'proc'");
  UniqueFd target(open("runsc", O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0555));
  if (!target) return ErrnoError(errno, "create mount point 'runsc'");
  return absl::OkStatus();
}

absl::Status MountProc() {
  if (mount("proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY,
            nullptr) != 0) {
    return ErrnoError(errno, "mount proc on 'proc'");
  }
  return absl::OkStatus();
}

absl::Status BindSelf() {
  // /proc/self/exe still resolves through the host's procfs here: the old
  // root stays reachable by absolute paths until pivot_root.
  if (mount("/proc/self/exe", "runsc", nullptr, MS_BIND, nullptr) != 0) {
    return ErrnoError(errno, "bind mount '/proc/self/exe' on 'runsc'");
  }
  return SetReadOnly("runsc");
}

absl::Status RemountRootReadOnly() { return SetReadOnly("."); }

absl::Status PivotIntoCwd() {
  if (syscall(SYS_pivot_root, ".", ".") != 0) {
    return ErrnoError(errno, "pivot_root('.', '.')");
  }
  // The old root is now stacked under the new one; detach it.
  if (umount2(".", MNT_DETACH) != 0) {
    return ErrnoError(errno, "umount2('.', MNT_DETACH) old root");
  }
  if (chdir("/") != 0) return ErrnoError(errno, "chdir '/'");
  return absl::OkStatus();
}

}  // namespace runsc::boot
