// HugePageBinary: the daemon's own binary, copied onto a tmpfs of huge
// pages, for every sandbox process it spawns to run.
//
// Each sandbox execs this binary twice (the supervisor's re-exec and the
// launcher), and on a host that shadows the guest's page tables every page
// fault is dear (about 10 us on the benchmarks' VM): an exec of the binary
// from disk took 93 faults and 2.2 ms, from a tmpfs mounted with
// huge=always, whose file pages are 2 MiB and mapped by PMD, 42 faults and
// 1.5 ms. The copy holds only what the kernel loads (the PT_LOAD segments,
// without the line tables after them).
//
// Where the tmpfs is mounted depends on the host (ChooseHugePagePlace):
//   - where the root mount is shared (a systemd host), in a mount namespace
//     of the daemon's own, made before any thread exists, whose mounts are
//     slaves of the host's: the host never sees it, host mounts still reach
//     the daemon, and it goes with the daemon;
//   - elsewhere (a private root, where such a namespace would miss every
//     later host mount and pin every mount of its time), in the host's
//     namespace under the state root, if the mount holding that is not
//     shared either (nothing propagates): the daemon detaches it when it
//     stops, and the next daemon detaches what a daemon that died left.
// Either way the daemon removes the mount point when it stops.
// A sandbox's bind of the file keeps what it uses after either goes.
#ifndef RUNSC_UTIL_HUGE_PAGE_BINARY_H_
#define RUNSC_UTIL_HUGE_PAGE_BINARY_H_

#include <string>

#include "absl/status/statusor.h"

namespace runsc::util {

enum class HugePagePlace {
  kOwnNamespace,   // a mount namespace of this process's own
  kHostNamespace,  // the namespace this process was started in
};

// Where a tmpfs at `mount_point` (under an existing directory) may go, as
// above; FAILED_PRECONDITION naming the mount when neither way is safe.
absl::StatusOr<HugePagePlace> ChooseHugePagePlace(const std::string& mount_point);

// Mounts a tmpfs with huge=always at `mount_point` (made 0700 if missing),
// in `place`, and copies `binary`'s loadable segments into it, read-only.
// Returns the copy's path. kOwnNamespace first moves this process into a
// mount namespace of its own (slave of the one it was in): call it before
// any thread exists (unshare(CLONE_NEWNS) refuses a process that shares its
// filesystem context). kHostNamespace first detaches what is mounted at
// `mount_point` already (an earlier daemon's). On an error the process may
// have left its namespace already, which is harmless: the caller goes on
// with `binary`; a kHostNamespace mount made before the error is detached.
absl::StatusOr<std::string> InstallOnHugePages(const std::string& binary,
                                               const std::string& mount_point, HugePagePlace place);

// Detaches every mount at `mount_point` in this process's namespace
// (lazily: the sandboxes running the copy keep it), then removes the
// directory if it is empty. Whether any mount was there.
bool DetachHugePages(const std::string& mount_point);

// Whether the mount holding `path` (absolute, without symlinks) is shared:
// mounts and unmounts made under it propagate to other namespaces.
bool MountIsShared(const std::string& path);
// MountIsShared("/"): where a namespace made as InstallOnHugePages does (a
// slave of this one) still receives the host's later mounts and unmounts.
bool RootMountIsShared();

}  // namespace runsc::util

#endif  // RUNSC_UTIL_HUGE_PAGE_BINARY_H_
