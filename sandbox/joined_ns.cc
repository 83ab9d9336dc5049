#include "sandbox/joined_ns.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <stdlib.h>
#include <linux/magic.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "runsc/util/errno_status.h"
#include "runsc/util/file_util.h"
#include "runsc/util/log.h"

namespace runsc::sandbox {

using util::ErrnoError;
using util::UniqueFd;

namespace {

// The namespace's name in messages and in /proc/thread-self/ns.
struct Kind {
  const char* name;
  const char* proc;
  const char* article;
};

Kind KindOf(int type) {
  switch (type) {
    case CLONE_NEWNET:
      return {"network", "net", "a"};
    case CLONE_NEWIPC:
      return {"IPC", "ipc", "an"};
    case CLONE_NEWUTS:
      return {"UTS", "uts", "a"};
  }
  return {"unknown", "?", "an"};
}

}  // namespace

absl::StatusOr<UniqueFd> OpenNamespace(const std::string& path, int type,
                                       const std::string& field) {
  const absl::Status not_one = absl::InvalidArgumentError(absl::StrCat(
      field, ": '", path, "' is not ", KindOf(type).article, " ", KindOf(type).name, " namespace"));
  // O_PATH first: opening a FIFO or a device for reading, as root, could
  // block or act. Only an nsfs file is opened for real.
  UniqueFd handle(open(path.c_str(), O_PATH | O_CLOEXEC));
  if (!handle) return ErrnoError(errno, absl::StrCat(field, ": open '", path, "'"));
  struct statfs fs;
  if (fstatfs(handle.get(), &fs) != 0) {
    return ErrnoError(errno, absl::StrCat(field, ": fstatfs '", path, "'"));
  }
  if (fs.f_type != NSFS_MAGIC) return not_one;
  const std::string again = absl::StrCat("/proc/self/fd/", handle.get());
  UniqueFd fd(open(again.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return ErrnoError(errno, absl::StrCat(field, ": open '", path, "'"));
  if (ioctl(fd.get(), NS_GET_NSTYPE) != type) return not_one;
  return fd;
}

bool IsHostNamespace(int fd, int type) {
  struct stat joined;
  if (fstat(fd, &joined) != 0) return true;  // unknown: assume the worst
  // The runtime's own namespace, and init's where we may look at it.
  for (const char* pid : {"thread-self", "1"}) {
    struct stat host;
    const std::string path = absl::StrCat("/proc/", pid, "/ns/", KindOf(type).proc);
    if (stat(path.c_str(), &host) == 0 && joined.st_dev == host.st_dev &&
        joined.st_ino == host.st_ino) {
      return true;
    }
  }
  return false;
}

absl::StatusOr<ScopedNamespace> ScopedNamespace::Enter(int fd, int type) {
  const Kind kind = KindOf(type);
  const std::string own = absl::StrCat("/proc/thread-self/ns/", kind.proc);
  UniqueFd previous(open(own.c_str(), O_RDONLY | O_CLOEXEC));
  if (!previous) return ErrnoError(errno, absl::StrCat("open our own ", kind.name, " namespace"));
  if (setns(fd, type) != 0) {
    return ErrnoError(errno, absl::StrCat("setns into the ", kind.name, " namespace"));
  }
  return ScopedNamespace(std::move(previous), type);
}

ScopedNamespace::~ScopedNamespace() {
  if (!previous_) return;  // moved from
  if (setns(previous_.get(), type_) != 0) {
    // This thread would go on in the wrong namespace: nothing may.
    util::Log(util::LogLevel::kError, "sandbox",
              absl::StrCat("cannot return to our ", KindOf(type_).name, " namespace"));
    abort();
  }
}

absl::StatusOr<UniqueFd> FilesystemOf(int fd, int type, const char* fstype, uint64_t attrs) {
  absl::StatusOr<ScopedNamespace> inside = ScopedNamespace::Enter(fd, type);
  if (!inside.ok()) return inside.status();
  UniqueFd fs(static_cast<int>(syscall(SYS_fsopen, fstype, FSOPEN_CLOEXEC)));
  if (!fs) return ErrnoError(errno, absl::StrCat("fsopen ", fstype));
  if (syscall(SYS_fsconfig, fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0) {
    return ErrnoError(errno, absl::StrCat("create ", fstype, " for the joined ",
                                          KindOf(type).name, " namespace"));
  }
  attrs |= MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC;
  if (type == CLONE_NEWNET) attrs |= MOUNT_ATTR_RDONLY;
  UniqueFd mnt(static_cast<int>(
      syscall(SYS_fsmount, fs.get(), FSMOUNT_CLOEXEC, static_cast<unsigned int>(attrs))));
  if (!mnt) return ErrnoError(errno, absl::StrCat("fsmount ", fstype));
  return mnt;
}

absl::Status WriteSysctlsIn(int fd, int type,
                            const std::vector<std::pair<std::string, std::string>>& writes) {
  if (writes.empty()) return absl::OkStatus();
  absl::StatusOr<ScopedNamespace> inside = ScopedNamespace::Enter(fd, type);
  if (!inside.ok()) return inside.status();
  return util::WriteSysctls(writes);
}

absl::Status SetUtsNamesIn(int fd, const std::string& hostname, const std::string& domainname) {
  absl::StatusOr<ScopedNamespace> inside = ScopedNamespace::Enter(fd, CLONE_NEWUTS);
  if (!inside.ok()) return inside.status();
  if (!hostname.empty() && sethostname(hostname.data(), hostname.size()) != 0) {
    return ErrnoError(errno, absl::StrCat("sethostname '", hostname, "' in the joined UTS namespace"));
  }
  if (!domainname.empty() && setdomainname(domainname.data(), domainname.size()) != 0) {
    return ErrnoError(errno,
                      absl::StrCat("setdomainname '", domainname, "' in the joined UTS namespace"));
  }
  return absl::OkStatus();
}

}  // namespace runsc::sandbox
