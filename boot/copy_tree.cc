#include "boot/copy_tree.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
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

// The owner, mode and times of `st` on `fd` (a file or directory of the
// copy's). The mode goes after the owner: a chown clears set-id bits.
absl::Status Attributes(int fd, const struct stat& st, const std::string& shown) {
  if (fchown(fd, st.st_uid, st.st_gid) != 0) {
    return ErrnoError(errno, absl::StrCat("chown the copy of '", shown, "'"));
  }
  if (fchmod(fd, st.st_mode & 07777) != 0) {
    return ErrnoError(errno, absl::StrCat("chmod the copy of '", shown, "'"));
  }
  const struct timespec times[2] = {st.st_atim, st.st_mtim};
  if (futimens(fd, times) != 0) {
    return ErrnoError(errno, absl::StrCat("set the times of the copy of '", shown, "'"));
  }
  return absl::OkStatus();
}

absl::Status CopyData(int in, int out, const std::string& shown) {
  for (;;) {
    ssize_t n = copy_file_range(in, nullptr, out, nullptr, 1 << 30, 0);
    if (n == 0) return absl::OkStatus();
    if (n > 0) continue;
    if (errno == EINTR) continue;
    if (errno != EXDEV && errno != ENOSYS && errno != EINVAL && errno != EOPNOTSUPP) {
      return ErrnoError(errno, absl::StrCat("copy '", shown, "'"));
    }
    break;  // across file systems on an older kernel: by hand
  }
  std::string buffer(64 * 1024, '\0');  // not on the stack: a frame of a deep tree's walk
  char* buf = buffer.data();
  for (;;) {
    ssize_t n = read(in, buf, buffer.size());
    if (n == 0) return absl::OkStatus();
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError(errno, absl::StrCat("read '", shown, "'"));
    }
    for (ssize_t done = 0; done < n;) {
      ssize_t w = write(out, buf + done, n - done);
      if (w < 0) {
        if (errno == EINTR) continue;
        return ErrnoError(errno, absl::StrCat("write the copy of '", shown, "'"));
      }
      done += w;
    }
  }
}

absl::Status CopyEntries(int from, int to, const std::string& shown, int depth) {
  if (depth > kMaxCopyDepth) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", shown, "' is more than ", kMaxCopyDepth, " directories deep"));
  }
  // A descriptor of its own for the listing: readdir moves its offset.
  UniqueFd listing(openat(from, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!listing) return ErrnoError(errno, absl::StrCat("open '", shown, "'"));
  DIR* dir = fdopendir(listing.get());
  if (dir == nullptr) return ErrnoError(errno, absl::StrCat("list '", shown, "'"));
  (void)listing.release();  // the DIR's now
  struct Closer {
    DIR* d;
    ~Closer() { closedir(d); }
  } closer{dir};
  for (;;) {
    errno = 0;
    struct dirent* e = readdir(dir);
    if (e == nullptr) {
      if (errno != 0) return ErrnoError(errno, absl::StrCat("list '", shown, "'"));
      return absl::OkStatus();
    }
    const std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    const std::string path = absl::StrCat(shown == "/" ? "" : shown, "/", name);
    struct stat st;
    if (fstatat(from, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      return ErrnoError(errno, absl::StrCat("stat '", path, "'"));
    }
    // A file and a directory are opened, then their attributes read from
    // the fd: what a shared volume's other writer swaps in after the stat
    // above gets neither the first one's owner and mode, nor blocks us (a
    // FIFO).
    auto reread = [&](int fd, mode_t type) -> absl::Status {
      if (fstat(fd, &st) != 0) return ErrnoError(errno, absl::StrCat("fstat '", path, "'"));
      if ((st.st_mode & S_IFMT) != type) {
        return absl::AbortedError(absl::StrCat("'", path, "' changed while it was copied"));
      }
      return absl::OkStatus();
    };
    if (S_ISDIR(st.st_mode)) {
      UniqueFd sub_from(
          openat(from, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!sub_from) return ErrnoError(errno, absl::StrCat("open '", path, "'"));
      RETURN_IF_ERROR(reread(sub_from.get(), S_IFDIR));
      if (mkdirat(to, name.c_str(), 0700) != 0) {
        return ErrnoError(errno, absl::StrCat("make the copy of '", path, "'"));
      }
      UniqueFd sub_to(openat(to, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!sub_to) return ErrnoError(errno, absl::StrCat("open the copy of '", path, "'"));
      RETURN_IF_ERROR(CopyEntries(sub_from.get(), sub_to.get(), path, depth + 1));
      // Its own mode last: a read-only one is filled first.
      RETURN_IF_ERROR(Attributes(sub_to.get(), st, path));
    } else if (S_ISREG(st.st_mode)) {
      UniqueFd in(openat(from, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
      if (!in) return ErrnoError(errno, absl::StrCat("open '", path, "'"));
      RETURN_IF_ERROR(reread(in.get(), S_IFREG));
      UniqueFd out(
          openat(to, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
      if (!out) return ErrnoError(errno, absl::StrCat("make the copy of '", path, "'"));
      RETURN_IF_ERROR(CopyData(in.get(), out.get(), path));
      RETURN_IF_ERROR(Attributes(out.get(), st, path));
    } else if (S_ISLNK(st.st_mode)) {
      std::string target(PATH_MAX, '\0');
      const ssize_t n = readlinkat(from, name.c_str(), target.data(), target.size());
      if (n < 0 || n == static_cast<ssize_t>(target.size())) {
        return ErrnoError(n < 0 ? errno : ENAMETOOLONG, absl::StrCat("readlink '", path, "'"));
      }
      target.resize(n);
      if (symlinkat(target.c_str(), to, name.c_str()) != 0) {
        return ErrnoError(errno, absl::StrCat("make the copy of '", path, "'"));
      }
      if (fchownat(to, name.c_str(), st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) != 0) {
        return ErrnoError(errno, absl::StrCat("chown the copy of '", path, "'"));
      }
    } else if (S_ISFIFO(st.st_mode)) {
      if (mkfifoat(to, name.c_str(), 0600) != 0 ||
          fchownat(to, name.c_str(), st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) != 0 ||
          fchmodat(to, name.c_str(), st.st_mode & 07777, 0) != 0) {
        return ErrnoError(errno, absl::StrCat("make the copy of '", path, "'"));
      }
    }
    // Device nodes and sockets: none can be made here, and runc's copy
    // would not give a working socket either.
  }
}

}  // namespace

absl::Status CopyTree(int from, int to, const std::string& shown) {
  return CopyEntries(from, to, shown, 0);
}

}  // namespace runsc::boot
