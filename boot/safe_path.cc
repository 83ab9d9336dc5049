#include "boot/safe_path.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "runsc/util/errno_status.h"

namespace runsc::boot {

using util::ErrnoError;
using util::UniqueFd;

namespace {

std::string Relative(absl::string_view path) {
  while (!path.empty() && path.front() == '/') path.remove_prefix(1);
  return path.empty() ? "." : std::string(path);
}

int Openat2(int root_fd, const std::string& rel, int flags, mode_t mode, uint64_t resolve = 0) {
  struct open_how how = {};
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
  how.mode = (flags & O_CREAT) ? mode : 0;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | resolve;
  // EAGAIN: a rename somewhere in the tree raced the lookup. Bounded, so
  // that a co-tenant renaming without end cannot hold the build.
  int fd = -1;
  for (int tries = 0; tries < 64; ++tries) {
    fd = static_cast<int>(syscall(SYS_openat2, root_fd, rel.c_str(), &how, sizeof(how)));
    if (fd >= 0 || errno != EAGAIN) break;
  }
  return fd;
}

}  // namespace

std::string FdPath(int fd) { return absl::StrCat("/proc/self/fd/", fd); }

absl::StatusOr<UniqueFd> OpenInRoot(int root_fd, absl::string_view path, int flags,
                                    uint64_t resolve) {
  UniqueFd fd(Openat2(root_fd, Relative(path), flags, 0, resolve));
  if (!fd) return ErrnoError(errno, absl::StrCat("open '", path, "' in the container"));
  return fd;
}

absl::StatusOr<UniqueFd> MkdirAllInRoot(int root_fd, absl::string_view path,
                                        std::optional<std::pair<uid_t, gid_t>> owner) {
  // Mount points mostly exist (the image's, or made by an earlier mount):
  // one resolution then, where the walk below makes one a component (and
  // on failure names the component at fault).
  UniqueFd whole(Openat2(root_fd, Relative(path), O_PATH | O_DIRECTORY, 0));
  if (whole) return whole;
  std::vector<absl::string_view> parts = absl::StrSplit(path, '/', absl::SkipEmpty());
  UniqueFd dir(Openat2(root_fd, ".", O_PATH | O_DIRECTORY, 0));
  if (!dir) return ErrnoError(errno, "open container root");
  for (size_t i = 0; i < parts.size(); ++i) {
    std::string prefix = absl::StrJoin(parts.begin(), parts.begin() + i + 1, "/");
    UniqueFd next(Openat2(root_fd, prefix, O_PATH | O_DIRECTORY, 0));
    if (!next && errno == ENOENT) {
      // Create the missing component inside the directory resolved so far.
      std::string name(parts[i]);
      if (mkdirat(dir.get(), name.c_str(), 0755) == 0) {
        // Ours for certain (just made, in a directory no workload runs in
        // yet): given to its owner, its mode whatever our umask.
        // By an fd of the directory made, not its name: a symlink swapped
        // in meanwhile is neither followed nor changed.
        if (owner.has_value()) {
          UniqueFd made(
              openat(dir.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
          if (!made || fchown(made.get(), owner->first, owner->second) != 0 ||
              fchmod(made.get(), 0755) != 0) {
            return ErrnoError(errno, absl::StrCat("chown '/", prefix, "' in the container"));
          }
        }
      } else if (errno != EEXIST) {
        return ErrnoError(errno, absl::StrCat("mkdir '/", prefix, "' in the container"));
      }
      next.reset(Openat2(root_fd, prefix, O_PATH | O_DIRECTORY, 0));
    }
    if (!next) {
      return ErrnoError(errno, absl::StrCat("open directory '/", prefix, "' in the container"));
    }
    dir = std::move(next);
  }
  return dir;
}

absl::StatusOr<UniqueFd> TouchInRoot(int root_fd, absl::string_view path) {
  UniqueFd fd(Openat2(root_fd, Relative(path), O_PATH, 0));
  if (fd) return fd;
  if (errno != ENOENT) return ErrnoError(errno, absl::StrCat("open '", path, "' in the container"));
  size_t slash = path.rfind('/');
  absl::string_view parent = slash == absl::string_view::npos ? "/" : path.substr(0, slash);
  std::string name(path.substr(slash + 1));
  absl::StatusOr<UniqueFd> dir = MkdirAllInRoot(root_fd, parent);
  if (!dir.ok()) return dir.status();
  // O_PATH dirfds are fine for openat; O_NOFOLLOW: a racing symlink fails.
  UniqueFd created(openat(dir->get(), name.c_str(),
                          O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644));
  if (!created && errno != EEXIST) {
    return ErrnoError(errno, absl::StrCat("create '", path, "' in the container"));
  }
  return OpenInRoot(root_fd, path, O_PATH);
}

}  // namespace runsc::boot
