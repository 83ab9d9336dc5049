#include "sandbox/netns.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "runsc/util/errno_status.h"
#include "runsc/util/file_util.h"
#include "runsc/util/log.h"

namespace runsc::sandbox {

using util::ErrnoError;
using util::UniqueFd;

absl::StatusOr<UniqueFd> OpenNetns(const std::string& path, const std::string& field) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return ErrnoError(errno, absl::StrCat(field, ": open '", path, "'"));
  const int type = ioctl(fd.get(), NS_GET_NSTYPE);
  if (type != CLONE_NEWNET) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": '", path, "' is not a network namespace"));
  }
  return fd;
}

absl::StatusOr<ScopedNetns> ScopedNetns::Enter(int fd) {
  UniqueFd previous(open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  if (!previous) return ErrnoError(errno, "open our own network namespace");
  if (setns(fd, CLONE_NEWNET) != 0) return ErrnoError(errno, "setns into the network namespace");
  return ScopedNetns(std::move(previous));
}

ScopedNetns::~ScopedNetns() {
  if (!previous_) return;  // moved from
  if (setns(previous_.get(), CLONE_NEWNET) != 0) {
    // This thread would go on in the wrong namespace: nothing may.
    util::Log(util::LogLevel::kError, "sandbox", "cannot return to our network namespace");
    abort();
  }
}

absl::StatusOr<UniqueFd> SysfsOfNetns(int fd) {
  absl::StatusOr<ScopedNetns> inside = ScopedNetns::Enter(fd);
  if (!inside.ok()) return inside.status();
  UniqueFd fs(static_cast<int>(syscall(SYS_fsopen, "sysfs", FSOPEN_CLOEXEC)));
  if (!fs) return ErrnoError(errno, "fsopen sysfs");
  if (syscall(SYS_fsconfig, fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0) {
    return ErrnoError(errno, "create sysfs for the joined network namespace");
  }
  UniqueFd mnt(static_cast<int>(syscall(
      SYS_fsmount, fs.get(), FSMOUNT_CLOEXEC,
      MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC)));
  if (!mnt) return ErrnoError(errno, "fsmount sysfs");
  return mnt;
}

absl::Status WriteSysctlsIn(int fd,
                            const std::vector<std::pair<std::string, std::string>>& writes) {
  if (writes.empty()) return absl::OkStatus();
  absl::StatusOr<ScopedNetns> inside = ScopedNetns::Enter(fd);
  if (!inside.ok()) return inside.status();
  for (const auto& [path, value] : writes) {
    absl::Status written = util::WriteKernelFile(absl::StrCat("/proc/sys/", path), value);
    if (!written.ok()) {
      return util::Annotate(written, absl::StrCat("linux.sysctl (", path, ")"));
    }
  }
  return absl::OkStatus();
}

}  // namespace runsc::sandbox
