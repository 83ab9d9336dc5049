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
// The tmpfs is mounted in a mount namespace of the daemon's own, made
// before any thread exists, whose mounts are slaves of the host's: the
// host never sees it, host mounts still reach the daemon, and it goes with
// the daemon (a sandbox's bind of the file keeps what it uses).
#ifndef RUNSC_UTIL_HUGE_PAGE_BINARY_H_
#define RUNSC_UTIL_HUGE_PAGE_BINARY_H_

#include <string>

#include "absl/status/statusor.h"

namespace runsc::util {

// Moves this process into a mount namespace of its own (slave of the one it
// was in), mounts a tmpfs with huge=always at `mount_point` (made 0700 if
// missing) and copies `binary`'s loadable segments into it. Returns the
// copy's path. Call before any thread exists (unshare(CLONE_NEWNS) refuses
// a process that shares its filesystem context). On an error the process
// may have left its namespace already, which is harmless: the caller goes
// on with `binary`.
absl::StatusOr<std::string> InstallOnHugePages(const std::string& binary,
                                               const std::string& mount_point);

// Whether this process's root mount is shared, so that a mount namespace
// made as InstallOnHugePages does (a slave of this one) still receives the
// host's later mounts and unmounts. Where it is private (no systemd, say), a
// copy would keep every mount of its time pinned and see none made after.
bool RootMountIsShared();

// The length of `fd`'s ELF file that its PT_LOAD segments span.
absl::StatusOr<size_t> LoadedLength(int fd);

}  // namespace runsc::util

#endif  // RUNSC_UTIL_HUGE_PAGE_BINARY_H_
