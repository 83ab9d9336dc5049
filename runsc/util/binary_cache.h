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
// name, given its mode, synced and renamed, so that an exec never finds it
// half-written. It is used only if it is a regular file of the caller's,
// mode 0555, of the length expected; anything else at that name is
// replaced. The directory and every one above it must be safe from other
// users (root's or the caller's, writable by no one else, or sticky above
// it; no symlink on the way): a name another user could replace would let
// them choose what root execs. Each use sets the copy's access time; other
// builds' copies unused for an hour go when a new copy is written.
//
// Page cache is reclaimable: the kernel may drop the copy's (memory
// pressure, or a host's reclaim of cold memory: DAMON pages out what was
// not touched for a minute on the benchmarks' VM), and an exec reads it
// back in small folios. So each call maps the copy's 2 MiB blocks as exec
// would, with MADV_HUGEPAGE (whose readahead brings an uncached block back
// in one folio), and asks the page tables which took a PMD (PAGEMAP_SCAN,
// Linux 6.7; before it, /proc/self/smaps): about 0.1 ms. Blocks that did
// not are dropped where no process maps them and read back so; a block a
// running sandbox holds small stays, and a new copy takes the name once the
// old one was written ten minutes ago.
//
// Where it gains nothing it is not used, and callers go on with the binary
// itself: a directory on tmpfs (whose files live in memory, in small pages
// unless mounted otherwise), and a filesystem that gave a fresh copy no
// 2 MiB folio at all (ext4 before Linux 6.16), which a marker file
// (runsc-<build id>.small) then says to the calls of the next day.
#ifndef RUNSC_UTIL_BINARY_CACHE_H_
#define RUNSC_UTIL_BINARY_CACHE_H_

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace runsc::util {

// Where the CLI keeps the copy unless told otherwise (--binary-cache).
inline constexpr char kDefaultBinaryCache[] = "/var/cache/runsc";

// The path of the copy of `binary`'s loadable segments in `dir` (absolute;
// made 0700 if missing, under an existing parent), made now if it is not
// there or not sound. FAILED_PRECONDITION where the directory or one above
// it is not safe from other users, where it is on tmpfs, or where the
// filesystem gives no 2 MiB folios; the caller then runs `binary` itself.
absl::StatusOr<std::string> CachedBinary(const std::string& binary, const std::string& dir);

namespace internal {
// Of a copy's whole 2 MiB blocks: the file offsets of those an exec would not
// map by PMD, and whether any it would.
struct Blocks {
  std::vector<off_t> small;
  bool any_huge = false;
};
// Found by mapping the blocks as exec does (a 2 MiB-aligned address:
// address and offset agree modulo 2 MiB) with MADV_HUGEPAGE (a block not
// cached is read back in one folio), faulting them in and asking
// PAGEMAP_SCAN (Linux 6.7) which took a PMD; without it (or without
// `page_map_scan`), /proc/self/smaps, which has only the total: then every
// block is small unless all are huge. nullopt where neither can say.
std::optional<Blocks> SmallBlocks(int fd, size_t length, bool page_map_scan = true);
}  // namespace internal

}  // namespace runsc::util

#endif  // RUNSC_UTIL_BINARY_CACHE_H_
