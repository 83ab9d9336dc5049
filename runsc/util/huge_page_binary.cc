#include "runsc/util/huge_page_binary.h"

#include <elf.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "runsc/util/errno_status.h"
#include "runsc/util/status_macros.h"
#include "runsc/util/unique_fd.h"

namespace runsc::util {

absl::StatusOr<size_t> LoadedLength(int fd) {
  Elf64_Ehdr header;
  if (pread(fd, &header, sizeof(header), 0) != static_cast<ssize_t>(sizeof(header)) ||
      memcmp(header.e_ident, ELFMAG, SELFMAG) != 0 || header.e_ident[EI_CLASS] != ELFCLASS64 ||
      header.e_phentsize != sizeof(Elf64_Phdr) || header.e_phnum == 0) {
    return absl::InvalidArgumentError("not a 64-bit ELF file");
  }
  std::vector<Elf64_Phdr> segments(header.e_phnum);
  const ssize_t want = static_cast<ssize_t>(segments.size() * sizeof(Elf64_Phdr));
  if (pread(fd, segments.data(), want, static_cast<off_t>(header.e_phoff)) != want) {
    return absl::InvalidArgumentError("truncated ELF program headers");
  }
  size_t end = 0;
  for (const Elf64_Phdr& s : segments) {
    if (s.p_type == PT_LOAD) end = std::max<size_t>(end, s.p_offset + s.p_filesz);
  }
  // The headers themselves are read at exec: never cut below them.
  end = std::max<size_t>(end, header.e_phoff + want);
  if (end == 0) return absl::InvalidArgumentError("an ELF file with nothing to load");
  return end;
}

bool RootMountIsShared() {
  std::ifstream mountinfo("/proc/self/mountinfo");
  bool shared = false;
  for (std::string line; std::getline(mountinfo, line);) {
    // id parent major:minor root mount-point options [optional...] - ...
    // The last mount on "/" is the one in use (others are stacked under).
    std::vector<std::string> fields = absl::StrSplit(line, ' ');
    if (fields.size() < 7 || fields[4] != "/") continue;
    shared = false;
    for (size_t i = 6; i < fields.size() && fields[i] != "-"; ++i) {
      if (absl::StartsWith(fields[i], "shared:")) shared = true;
    }
  }
  return shared;
}

absl::StatusOr<std::string> InstallOnHugePages(const std::string& binary,
                                               const std::string& mount_point) {
  UniqueFd source(open(binary.c_str(), O_RDONLY | O_CLOEXEC));
  if (!source) return ErrnoError(errno, absl::StrCat("open '", binary, "'"));
  ASSIGN_OR_RETURN(size_t length, LoadedLength(source.get()));
  if (unshare(CLONE_NEWNS) != 0) return ErrnoError(errno, "unshare(CLONE_NEWNS)");
  // Nothing mounted here reaches the host; the host's mounts still reach us.
  if (mount(nullptr, "/", nullptr, MS_SLAVE | MS_REC, nullptr) != 0) {
    return ErrnoError(errno, "make '/' a recursive slave");
  }
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
  const std::string copy = absl::StrCat(mount_point, "/runsc");
  UniqueFd target(open(copy.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0555));
  if (!target) return ErrnoError(errno, absl::StrCat("create '", copy, "'"));
  off_t offset = 0;
  while (static_cast<size_t>(offset) < length) {
    const ssize_t n = sendfile(target.get(), source.get(), &offset, length - offset);
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

}  // namespace runsc::util
