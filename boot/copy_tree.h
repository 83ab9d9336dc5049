// CopyTree: what a directory holds, copied into another, for a tmpfs mount
// with `tmpcopyup` (podman gives it to every tmpfs: `--tmpfs /run`, and
// the tmpfs mounts of `--read-only`). runc fills such a tmpfs with the
// image's directory it covers; without the copy an image's /run or /etc
// under a tmpfs came up empty.
//
// Directories, regular files, symbolic links and FIFOs are copied with
// their owners, modes and times; device nodes and sockets are left out (a
// user namespace cannot make a device node). Every step goes by fd from
// the two directories given, never by path: no symbolic link is followed,
// in the source or in the copy.
#ifndef RUNSC_BOOT_COPY_TREE_H_
#define RUNSC_BOOT_COPY_TREE_H_

#include <string>

#include "absl/status/status.h"

namespace runsc::boot {

// Copies the entries of directory `from` (an fd open for reading) into the
// empty directory `to`. `shown` names `from` in errors (its path in the
// container). Depth past kMaxCopyDepth is an error.
inline constexpr int kMaxCopyDepth = 128;
absl::Status CopyTree(int from, int to, const std::string& shown);

}  // namespace runsc::boot

#endif  // RUNSC_BOOT_COPY_TREE_H_
