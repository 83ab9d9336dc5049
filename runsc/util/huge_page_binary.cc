#include "runsc/util/huge_page_binary.h"

#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "runsc/util/elf_file.h"
#include "runsc/util/errno_status.h"
#include "runsc/util/file_util.h"
#include "runsc/util/status_macros.h"
#include "runsc/util/unique_fd.h"

namespace runsc::util {

namespace {

bool IsOctal(char c) { return c >= '0' && c <= '7'; }

// A mountinfo field with its octal escapes (\040 for a space) undone.
std::string Unescape(const std::string& field) {
  std::string out;
  for (size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && i + 3 < field.size() && IsOctal(field[i + 1]) &&
        IsOctal(field[i + 2]) && IsOctal(field[i + 3])) {
      out.push_back(static_cast<char>((field[i + 1] - '0') * 64 + (field[i + 2] - '0') * 8 +
                                      (field[i + 3] - '0')));
      i += 3;
    } else {
      out.push_back(field[i]);
    }
  }
  return out;
}

// Whether `path` is `mount_point` or below it.
bool Under(const std::string& path, const std::string& mount_point) {
  if (mount_point == "/") return true;
  return path == mount_point ||
         (absl::StartsWith(path, mount_point) && path[mount_point.size()] == '/');
}

}  // namespace

bool MountIsShared(const std::string& path) {
  // Read with O_CLOEXEC (an ifstream's open is not): the daemon's threads
  // spawn sandboxes meanwhile.
  std::istringstream mountinfo(ReadFileOrEmpty("/proc/self/mountinfo"));
  size_t best = 0;
  bool shared = false;
  for (std::string line; std::getline(mountinfo, line);) {
    // id parent major:minor root mount-point options [optional...] - ...
    // The deepest mount point holding `path` is the mount; of several on
    // the same point, the last (the others are stacked under it).
    std::vector<std::string> fields = absl::StrSplit(line, ' ');
    if (fields.size() < 7) continue;
    const std::string point = Unescape(fields[4]);
    if (!Under(path, point) || point.size() < best) continue;
    best = point.size();
    shared = false;
    for (size_t i = 6; i < fields.size() && fields[i] != "-"; ++i) {
      if (absl::StartsWith(fields[i], "shared:")) shared = true;
    }
  }
  return shared;
}

bool RootMountIsShared() { return MountIsShared("/"); }

absl::StatusOr<HugePagePlace> ChooseHugePagePlace(const std::string& mount_point) {
  if (RootMountIsShared()) return HugePagePlace::kOwnNamespace;
  const size_t slash = mount_point.find_last_of('/');
  const std::string parent = slash == 0 ? "/" : mount_point.substr(0, slash);
  char real[PATH_MAX];
  if (slash == std::string::npos || realpath(parent.c_str(), real) == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", mount_point, "' is not under an existing directory"));
  }
  if (MountIsShared(real)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the root mount is private (a namespace of the daemon's own would miss later host "
        "mounts) and the mount holding '",
        real, "' is shared (a tmpfs there would propagate)"));
  }
  return HugePagePlace::kHostNamespace;
}

bool DetachHugePages(const std::string& mount_point) {
  bool any = false;
  // Stacked mounts come off one at a time; a bound keeps a loop finite.
  for (int i = 0; i < 64 && umount2(mount_point.c_str(), MNT_DETACH | UMOUNT_NOFOLLOW) == 0; ++i) {
    any = true;
  }
  rmdir(mount_point.c_str());  // a state root without it when nothing holds it
  return any;
}

namespace {

absl::StatusOr<std::string> MountAndCopy(int source, size_t length, const std::string& binary,
                                         const std::string& mount_point) {
  if (mkdir(mount_point.c_str(), 0700) != 0 && errno != EEXIST) {
    return ErrnoError(errno, absl::StrCat("mkdir '", mount_point, "'"));
  }
  // Room for the copy, in whole huge pages, and no more.
  constexpr size_t kHugePage = size_t{2} << 20;
  const size_t size = (length + kHugePage - 1) / kHugePage * kHugePage;
  const std::string data = absl::StrCat("huge=always,mode=0711,size=", size);
  if (mount("runsc-binary", mount_point.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, data.c_str()) !=
      0) {
    return ErrnoError(errno, absl::StrCat("mount a tmpfs (", data, ") on '", mount_point, "'"));
  }
  // Shared with nothing, whatever it inherited.
  if (mount(nullptr, mount_point.c_str(), nullptr, MS_PRIVATE, nullptr) != 0) {
    return ErrnoError(errno, absl::StrCat("make '", mount_point, "' private"));
  }
  const std::string copy = absl::StrCat(mount_point, "/runsc");
  UniqueFd target(open(copy.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0555));
  if (!target) return ErrnoError(errno, absl::StrCat("create '", copy, "'"));
  off_t offset = 0;
  while (static_cast<size_t>(offset) < length) {
    const ssize_t n = sendfile(target.get(), source, &offset, length - offset);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      return ErrnoError(n < 0 ? errno : EIO, absl::StrCat("copy '", binary, "' to '", copy, "'"));
    }
  }
  // Read-only from here: the mount too, so that no one, root included,
  // changes what the sandboxes run without remounting it.
  target.reset();
  if (mount(nullptr, mount_point.c_str(), nullptr, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV,
            data.c_str()) != 0) {
    return ErrnoError(errno, absl::StrCat("remount '", mount_point, "' read-only"));
  }
  return copy;
}

}  // namespace

absl::StatusOr<std::string> InstallOnHugePages(const std::string& binary,
                                               const std::string& mount_point,
                                               HugePagePlace place) {
  UniqueFd source(open(binary.c_str(), O_RDONLY | O_CLOEXEC));
  if (!source) return ErrnoError(errno, absl::StrCat("open '", binary, "'"));
  ASSIGN_OR_RETURN(size_t length, LoadedLength(source.get()));
  if (place == HugePagePlace::kOwnNamespace) {
    if (unshare(CLONE_NEWNS) != 0) return ErrnoError(errno, "unshare(CLONE_NEWNS)");
    // Nothing mounted here reaches the host; the host's mounts still reach us.
    if (mount(nullptr, "/", nullptr, MS_SLAVE | MS_REC, nullptr) != 0) {
      return ErrnoError(errno, "make '/' a recursive slave");
    }
  }
  // An earlier daemon's, left when it died (or, in a namespace of our own,
  // one the host had when we made it).
  DetachHugePages(mount_point);
  absl::StatusOr<std::string> copy = MountAndCopy(source.get(), length, binary, mount_point);
  if (!copy.ok() && place == HugePagePlace::kHostNamespace) DetachHugePages(mount_point);
  return copy;
}

}  // namespace runsc::util
