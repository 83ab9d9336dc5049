// Resolving container paths without symlink escapes. Every lookup goes
// through openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS) relative to the
// container root's fd, so ".." and absolute symlinks stop at the container
// root and /proc magic links are refused; mounts then target the returned
// O_PATH fd (via /proc/self/fd), never the path again.
#ifndef RUNSC_BOOT_SAFE_PATH_H_
#define RUNSC_BOOT_SAFE_PATH_H_

#include <stdint.h>
#include <sys/types.h>

#include <optional>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "runsc/util/unique_fd.h"

namespace runsc::boot {

// Opens `path` (absolute in the container) with `flags` | O_CLOEXEC;
// `resolve`: more RESOLVE_* flags (RESOLVE_NO_SYMLINKS).
absl::StatusOr<util::UniqueFd> OpenInRoot(int root_fd, absl::string_view path, int flags,
                                          uint64_t resolve = 0);

// Opens directory `path`, creating it and any missing parents (mode 0755,
// and owned by `owner` (uid, gid) where given: our own ids otherwise).
absl::StatusOr<util::UniqueFd> MkdirAllInRoot(
    int root_fd, absl::string_view path,
    std::optional<std::pair<uid_t, gid_t>> owner = std::nullopt);

// Opens `path` as an O_PATH fd of a file, creating an empty file (and its
// parents) if it is missing; a mount point for a file bind.
absl::StatusOr<util::UniqueFd> TouchInRoot(int root_fd, absl::string_view path);

// "/proc/self/fd/N": the path that makes mount(2) act on an open fd.
std::string FdPath(int fd);

}  // namespace runsc::boot

#endif  // RUNSC_BOOT_SAFE_PATH_H_
