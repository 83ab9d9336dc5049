// BinaryCache: a copy of the runsc binary, kept on disk in a cache
// directory, whose page cache the kernel holds in 2 MiB folios, for the
// sandboxes that the CLI (runsc create, run; podman's and containerd's
// runtime) starts to exec.
//
// Each sandbox execs the binary twice (the supervisor and the launcher), and
// on a host that shadows the guest's page tables every page fault is dear.
// A file whose page cache is made of PMD-sized folios is mapped by PMD at
// exec, 2 MiB a fault, wherever its text's address and file offset agree
// modulo 2 MiB (true of this static, non-PIE binary). Filesystems with large
// folios (ext4 since Linux 6.16, xfs since 5.18) make such folios for
// writes of whole, aligned 2 MiB blocks: so the copy is written that way,
// once, and every later exec of it finds them. The installed binary's own
// page cache cannot be redone so: it is mapped (by the caller, by running
// sandboxes) as it was first read, in small folios.
//
// The daemon has its own way, a tmpfs of huge pages (huge_page_binary.h);
// the CLI has no process to hold such a mount, so it keeps a file.
//
// The copy is runsc-<build id> in the directory; written under a temporary
// name, synced and renamed, so that an exec never finds it half-written.
// It is used only if it is a regular file of the caller's, with no write
// bits, and of the length expected; anything else at that name is replaced.
// Copies of other builds that are over an hour old are removed.
//
// Page cache is reclaimable: the kernel may drop the copy's (memory
// pressure, or a host's reclaim of cold memory: DAMON pages out what was
// not touched for a minute on the benchmarks' VM), and an exec reads it
// back in small folios. So each call maps the copy's 2 MiB blocks as exec
// would, with MADV_HUGEPAGE (whose readahead brings an uncached block back
// in one folio), and asks the page tables which took a PMD (PAGEMAP_SCAN,
// Linux 6.7; without it the copy is taken as it is): about 0.1 ms. Blocks
// that did not are dropped where no process maps them and read back so; a
// block a running sandbox holds small stays, and a new copy takes the name
// once the old one is ten minutes old.
//
// Where it gains nothing it is not made, and callers go on with the binary
// itself: a directory on tmpfs (whose files live in memory, in small pages
// unless mounted otherwise), and a filesystem that gave a fresh copy no
// 2 MiB folio at all, which a marker file (runsc-<build id>.small) then
// says to later calls.
#ifndef RUNSC_UTIL_BINARY_CACHE_H_
#define RUNSC_UTIL_BINARY_CACHE_H_

#include <string>

#include "absl/status/statusor.h"

namespace runsc::util {

// Where the CLI keeps the copy unless told otherwise (--binary-cache).
inline constexpr char kDefaultBinaryCache[] = "/var/cache/runsc";

// The path of the copy of `binary`'s loadable segments in `dir` (made 0700
// if missing; its parent must exist), made now if it is not there or not
// sound. FAILED_PRECONDITION where the directory is not the caller's alone
// or is on tmpfs; the caller then runs `binary` itself.
absl::StatusOr<std::string> CachedBinary(const std::string& binary, const std::string& dir);

}  // namespace runsc::util

#endif  // RUNSC_UTIL_BINARY_CACHE_H_
