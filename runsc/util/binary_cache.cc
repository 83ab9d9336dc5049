#include "runsc/util/binary_cache.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "runsc/util/elf_file.h"
#include "runsc/util/errno_status.h"
#include "runsc/util/file_util.h"
#include "runsc/util/status_macros.h"
#include "runsc/util/unique_fd.h"

namespace runsc::util {
namespace {

// The unit of the copy's writes: a PMD's worth, at offsets that are
// multiples of it, so that the filesystem may give each a folio of its own.
constexpr size_t kBlock = size_t{2} << 20;

// What the copy's mode is: executable by the sandbox's nobody (the
// supervisor re-execs its bind of it), writable by no one.
constexpr mode_t kCopyMode = 0555;

// A copy whose blocks running sandboxes hold in small folios is made again
// once it was written this long ago: a write and sync of the whole copy,
// not every run.
constexpr time_t kRewriteAfterSeconds = 10 * 60;

// Another build's copy is removed once unused (its access time, which
// every use sets) this long; writers' leftovers and other builds' markers
// once this old.
constexpr time_t kStaleAfterSeconds = 60 * 60;

// A marker is heeded this long; then a copy is tried again (the marker may
// come of a moment when the kernel had no 2 MiB of memory free in one).
constexpr time_t kMarkerLifetimeSeconds = 24 * 60 * 60;

bool IsHex(absl::string_view s) {
  return !s.empty() && s.find_first_not_of("0123456789abcdef") == absl::string_view::npos;
}

// The directory, made if missing (its parent must exist), open. It and every
// directory above it must be safe from everyone but the caller and root
// (a name in any of them that another user could replace would let that
// user choose what the sandboxes exec): no symlink on the way, each owned
// by root or the caller and writable by no one else (above it, a sticky
// directory such as /tmp will do: no one else may rename or remove what is
// not theirs there); and it must not be on a tmpfs, where a copy would take
// memory in small pages.
absl::StatusOr<UniqueFd> OpenDir(const std::string& dir) {
  if (dir.empty() || dir[0] != '/') {
    return absl::InvalidArgumentError(
        absl::StrCat("binary cache '", dir, "': not an absolute path"));
  }
  UniqueFd at(open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!at) return ErrnoError(errno, "open '/'");
  std::string walked;
  const std::vector<std::string> parts = absl::StrSplit(dir, '/', absl::SkipEmpty());
  for (size_t i = 0;; ++i) {
    struct stat st;
    if (fstat(at.get(), &st) != 0) return ErrnoError(errno, absl::StrCat("stat '", walked, "/'"));
    const bool last = i == parts.size();
    const bool others_write = (st.st_mode & 022) != 0 && (last || (st.st_mode & S_ISVTX) == 0);
    if ((st.st_uid != 0 && st.st_uid != geteuid()) || others_write) {
      return absl::FailedPreconditionError(
          absl::StrCat("binary cache '", dir, "': '", walked.empty() ? "/" : walked,
                       "' is not safe from other users (owner ", st.st_uid, ", mode ",
                       absl::StrFormat("%04o", st.st_mode & 07777), ")"));
    }
    if (last) break;
    // The cache itself is made in its parent once that has been checked.
    if (i + 1 == parts.size() && mkdirat(at.get(), parts[i].c_str(), 0700) != 0 &&
        errno != EEXIST) {
      return ErrnoError(errno, absl::StrCat("mkdir '", dir, "'"));
    }
    walked += "/" + parts[i];
    UniqueFd next(
        openat(at.get(), parts[i].c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!next) {
      return ErrnoError(errno, absl::StrCat("open '", walked, "' (symlinks are not followed)"));
    }
    at = std::move(next);
  }
  struct statfs fs;
  if (fstatfs(at.get(), &fs) != 0) return ErrnoError(errno, absl::StrCat("statfs '", dir, "'"));
  if (fs.f_type == TMPFS_MAGIC || fs.f_type == RAMFS_MAGIC) {
    return absl::FailedPreconditionError(absl::StrCat(
        "binary cache '", dir, "': on a tmpfs, whose copy would take memory in small pages"));
  }
  return at;
}

// `name` in `dir_fd` open, if it is a copy to run: a regular file (not a
// link, not a FIFO to block on) of the caller's, mode kCopyMode, `length`
// bytes long.
UniqueFd OpenSound(int dir_fd, const std::string& name, size_t length) {
  UniqueFd fd(openat(dir_fd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  struct stat st;
  if (fd && fstat(fd.get(), &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid() &&
      (st.st_mode & 07777) == kCopyMode && static_cast<size_t>(st.st_size) == length) {
    return fd;
  }
  return UniqueFd();
}

// PAGEMAP_SCAN (Linux 6.7), which Debian 12's headers predate.
struct PageRegion {
  uint64_t start, end, categories;
};
struct PageMapScanArg {
  uint64_t size, flags, start, end, walk_end, vec, vec_len, max_pages, category_inv_mask,
      category_mask, category_anyof_mask, return_mask;
};
constexpr unsigned long kPageMapScan = _IOWR('f', 16, PageMapScanArg);
constexpr uint64_t kPageIsHuge = 1 << 6;

// Of the `span` bytes mapped at `at`, the 2 MiB blocks not mapped by PMD,
// from PAGEMAP_SCAN; nullopt without it.
std::optional<internal::Blocks> SmallByPageMapScan(uintptr_t at, size_t span) {
  UniqueFd pagemap(open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC));
  if (!pagemap) return std::nullopt;
  PageRegion regions[64];  // a 128 MiB binary's blocks, each apart
  PageMapScanArg scan = {};
  scan.size = sizeof(scan);
  scan.start = at;
  scan.end = at + span;
  scan.vec = reinterpret_cast<uintptr_t>(regions);
  scan.vec_len = sizeof(regions) / sizeof(regions[0]);
  scan.category_mask = kPageIsHuge;
  scan.return_mask = kPageIsHuge;
  const int found = ioctl(pagemap.get(), kPageMapScan, &scan);
  if (found < 0) return std::nullopt;
  internal::Blocks blocks;
  for (size_t block = 0; block < span; block += kBlock) {
    bool huge = false;
    for (int i = 0; i < found && !huge; ++i) {
      huge = regions[i].start <= at + block && at + block + kBlock <= regions[i].end;
    }
    if (huge) {
      blocks.any_huge = true;
    } else {
      blocks.small.push_back(static_cast<off_t>(block));
    }
  }
  return blocks;
}

// The same from /proc/self/smaps, which has only the mapping's total: every
// block unless all are PMD-mapped, and whether any is.
std::optional<internal::Blocks> SmallBySmaps(uintptr_t at, size_t span) {
  const std::string start = absl::StrFormat("%x-", at);
  bool in_mapping = false;
  const std::string smaps = ReadFileOrEmpty("/proc/self/smaps");
  for (absl::string_view line : absl::StrSplit(smaps, '\n')) {
    if (!line.empty() && absl::ascii_isxdigit(line[0]) && line.find(' ') != std::string::npos &&
        line.find('-') < line.find(' ')) {
      in_mapping = absl::StartsWith(line, start);
    } else if (in_mapping && absl::ConsumePrefix(&line, "FilePmdMapped:")) {
      size_t kib = 0;
      if (!absl::SimpleAtoi(absl::StripSuffix(absl::StripAsciiWhitespace(line), " kB"), &kib)) {
        return std::nullopt;
      }
      internal::Blocks blocks;
      blocks.any_huge = kib > 0;
      if (kib * 1024 < span) {
        for (size_t block = 0; block < span; block += kBlock) {
          blocks.small.push_back(static_cast<off_t>(block));
        }
      }
      return blocks;
    }
  }
  return std::nullopt;
}

}  // namespace

namespace internal {

std::optional<Blocks> SmallBlocks(int fd, size_t length, bool page_map_scan) {
  const size_t span = length / kBlock * kBlock;
  if (span == 0) return std::nullopt;
  void* room = mmap(nullptr, span + kBlock, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (room == MAP_FAILED) return std::nullopt;
  absl::Cleanup unmap = [&] { munmap(room, span + kBlock); };
  const uintptr_t at = (reinterpret_cast<uintptr_t>(room) + kBlock - 1) & ~(kBlock - 1);
  if (mmap(reinterpret_cast<void*>(at), span, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd, 0) ==
          MAP_FAILED ||
      madvise(reinterpret_cast<void*>(at), span, MADV_HUGEPAGE) != 0 ||
      madvise(reinterpret_cast<void*>(at), span, MADV_POPULATE_READ) != 0) {
    return std::nullopt;
  }
  if (page_map_scan) {
    if (auto blocks = SmallByPageMapScan(at, span)) return blocks;
  }
  return SmallBySmaps(at, span);
}

}  // namespace internal

namespace {

// Writes the first `length` bytes of `source` to `name` in `dir_fd`,
// through a temporary file that is synced before it takes the name.
absl::Status WriteCopy(int source, size_t length, const std::string& binary, int dir_fd,
                       const std::string& dir, const std::string& name) {
  const std::string temp = absl::StrCat(".", name, ".", getpid(), ".tmp");
  const std::string shown = absl::StrCat(dir, "/", temp);
  constexpr int kCreate = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
  UniqueFd target(openat(dir_fd, temp.c_str(), kCreate, 0600));
  if (!target && errno == EEXIST) {
    // A writer of our pid that died (the directory is ours: no one else's).
    unlinkat(dir_fd, temp.c_str(), 0);
    target.reset(openat(dir_fd, temp.c_str(), kCreate, 0600));
  }
  if (!target) return ErrnoError(errno, absl::StrCat("create '", shown, "'"));
  absl::Cleanup remove = [&] { unlinkat(dir_fd, temp.c_str(), 0); };
  std::string block(kBlock, '\0');
  for (size_t at = 0; at < length; at += kBlock) {
    const size_t n = std::min(kBlock, length - at);
    RETURN_IF_ERROR(PreadAll(source, block.data(), n, static_cast<off_t>(at), binary));
    RETURN_IF_ERROR(WriteAll(target.get(), absl::string_view(block.data(), n), shown));
  }
  // The mode whatever the umask; on disk before the name points at it, so
  // that after a crash the name holds the whole copy or nothing.
  if (fchmod(target.get(), kCopyMode) != 0) {
    return ErrnoError(errno, absl::StrCat("chmod '", shown, "'"));
  }
  if (fdatasync(target.get()) != 0) return ErrnoError(errno, absl::StrCat("sync '", shown, "'"));
  if (renameat(dir_fd, temp.c_str(), dir_fd, name.c_str()) != 0) {
    return ErrnoError(errno, absl::StrCat("rename '", shown, "' to '", dir, "/", name, "'"));
  }
  std::move(remove).Cancel();
  return absl::OkStatus();
}

// Removes what the cache left of other builds and of writers that died:
// copies unused for kStaleAfterSeconds, temporary files that old, markers
// past their lifetime. Nothing else in the directory is touched.
void RemoveStale(int dir_fd, const std::string& keep) {
  UniqueFd fd(openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return;
  DIR* listing = fdopendir(fd.get());
  if (listing == nullptr) return;
  const int list_fd = fd.release();  // closedir closes it
  const time_t now = time(nullptr);
  while (struct dirent* entry = readdir(listing)) {
    absl::string_view name = entry->d_name;
    bool copy = false, marker = false, other = false;
    if (absl::ConsumePrefix(&name, "runsc-")) {
      copy = IsHex(name);
      marker = absl::ConsumeSuffix(&name, ".small") && IsHex(name);
    } else if (absl::ConsumePrefix(&name, ".runsc-") && absl::ConsumeSuffix(&name, ".tmp")) {
      const size_t dot = name.rfind('.');
      other = dot != absl::string_view::npos && IsHex(name.substr(0, dot)) &&
              name.find_first_not_of("0123456789", dot + 1) == absl::string_view::npos;
    }
    struct stat st;
    if ((!copy && !marker && !other) || entry->d_name == keep || entry->d_name == keep + ".small" ||
        fstatat(list_fd, entry->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
      continue;
    }
    const time_t age = now - (copy ? st.st_atime : st.st_mtime);
    if (age > (marker ? kMarkerLifetimeSeconds : kStaleAfterSeconds)) {
      unlinkat(list_fd, entry->d_name, 0);
    }
  }
  closedir(listing);
}

// Whether this process may have PMD mappings at all (PR_SET_THP_DISABLE,
// which its children inherit, says no).
bool ThpAllowed() { return prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0) != 1; }

}  // namespace

absl::StatusOr<std::string> CachedBinary(const std::string& binary, const std::string& dir) {
  UniqueFd source(open(binary.c_str(), O_RDONLY | O_CLOEXEC));
  if (!source) return ErrnoError(errno, absl::StrCat("open '", binary, "'"));
  absl::StatusOr<size_t> length_or = LoadedLength(source.get());
  absl::StatusOr<std::string> id_or =
      length_or.ok() ? BuildId(source.get()) : absl::StatusOr<std::string>(length_or.status());
  if (!id_or.ok()) return Annotate(id_or.status(), absl::StrCat("'", binary, "'"));
  const size_t length = *length_or;
  const std::string& id = *id_or;
  ASSIGN_OR_RETURN(const UniqueFd dir_fd, OpenDir(dir));
  const std::string name = absl::StrCat("runsc-", id);
  const std::string marker = absl::StrCat(name, ".small");
  const std::string path = absl::StrCat(dir, "/", name);
  struct stat st;
  if (fstatat(dir_fd.get(), marker.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
    if (time(nullptr) - st.st_mtime < kMarkerLifetimeSeconds) {
      return absl::FailedPreconditionError(
          absl::StrCat("binary cache '", dir, "': its filesystem gave the copy no 2 MiB folios ('",
                       marker, "' says so)"));
    }
    unlinkat(dir_fd.get(), marker.c_str(), 0);
  }
  // Where PMD mappings are refused to us and our children, the copy is as
  // good as the binary, and its folios cannot be seen: taken as it is.
  const bool thp = ThpAllowed();
  if (UniqueFd copy = OpenSound(dir_fd.get(), name, length)) {
    // Its use, which keeps another build's cleanup off it.
    const struct timespec used[2] = {{0, UTIME_NOW}, {0, UTIME_OMIT}};
    futimens(copy.get(), used);
    if (!thp) return path;
    // The kernel may have dropped some of the copy's page cache (memory
    // pressure; a host's reclaim of cold memory, as DAMON's on the
    // benchmarks' VM) and an exec read it back in small folios: such blocks
    // go, where no process maps them, and come back in 2 MiB folios. Those
    // a running sandbox maps stay small; for them a new copy takes the name,
    // at most every kRewriteAfterSeconds.
    std::optional<internal::Blocks> blocks = internal::SmallBlocks(copy.get(), length);
    if (!blocks.has_value() || blocks->small.empty()) return path;
    for (off_t block : blocks->small) {
      posix_fadvise(copy.get(), block, kBlock, POSIX_FADV_DONTNEED);
    }
    blocks = internal::SmallBlocks(copy.get(), length);
    if (!blocks.has_value() || blocks->small.empty()) return path;
    if (fstat(copy.get(), &st) != 0 || time(nullptr) - st.st_mtime < kRewriteAfterSeconds) {
      return path;
    }
  }
  RETURN_IF_ERROR(WriteCopy(source.get(), length, binary, dir_fd.get(), dir, name));
  RemoveStale(dir_fd.get(), name);
  UniqueFd copy = OpenSound(dir_fd.get(), name, length);
  if (!copy) {
    return absl::FailedPreconditionError(
        absl::StrCat("binary cache: '", path, "' is not as it was written"));
  }
  std::optional<internal::Blocks> blocks;
  if (thp) blocks = internal::SmallBlocks(copy.get(), length);
  if (blocks.has_value() && !blocks->any_huge) {
    // Written in 2 MiB blocks and still not in 2 MiB folios: this
    // filesystem has none to give, and the copy gains nothing. A marker
    // says so to the next calls (the copy stays, for a call that took it
    // meanwhile; another build's cleanup takes it).
    UniqueFd made(openat(dir_fd.get(), marker.c_str(),
                         O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0400));
    return absl::FailedPreconditionError(
        absl::StrCat("binary cache '", dir, "': its filesystem gives no 2 MiB folios"));
  }
  return path;
}

}  // namespace runsc::util
