#include "runsc/util/binary_cache.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "runsc/util/elf_file.h"
#include "runsc/util/errno_status.h"
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
// once it is this old: a write and sync of the whole copy, not every run.
constexpr time_t kRewriteAfterSeconds = 10 * 60;

// Another build's copy is removed once it is this old: one in use now was
// checked a moment ago, and is far younger or will be made again.
constexpr time_t kStaleAfterSeconds = 60 * 60;

// The directory, made if missing, must be the caller's alone and not on a
// filesystem where the copy would gain nothing.
absl::Status CheckDir(const std::string& dir) {
  if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return ErrnoError(errno, absl::StrCat("mkdir '", dir, "'"));
  }
  UniqueFd fd(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) return ErrnoError(errno, absl::StrCat("open '", dir, "'"));
  struct stat st;
  if (fstat(fd.get(), &st) != 0) return ErrnoError(errno, absl::StrCat("stat '", dir, "'"));
  if (st.st_uid != geteuid() || (st.st_mode & 022) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("binary cache '", dir, "': not the caller's alone (owner ", st.st_uid,
                     ", mode ", absl::StrFormat("%04o", st.st_mode & 07777), ")"));
  }
  struct statfs fs;
  if (fstatfs(fd.get(), &fs) != 0) return ErrnoError(errno, absl::StrCat("statfs '", dir, "'"));
  if (fs.f_type == TMPFS_MAGIC || fs.f_type == RAMFS_MAGIC) {
    return absl::FailedPreconditionError(absl::StrCat(
        "binary cache '", dir, "': on a tmpfs, whose copy would take memory in small pages"));
  }
  return absl::OkStatus();
}

// `path` open, if it is a copy to run: a regular file (not a link) of the
// caller's, mode kCopyMode, `length` bytes long.
UniqueFd OpenSound(const std::string& path, size_t length) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
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

// The file offsets of the copy's whole 2 MiB blocks that are not mapped by
// PMD once faulted in; nullopt where the kernel cannot say. The blocks are
// mapped at a 2 MiB-aligned address (as exec maps the text: address and
// offset agree modulo 2 MiB) with MADV_HUGEPAGE, so that a block that is
// not cached is read back in a 2 MiB folio.
std::optional<std::vector<off_t>> SmallBlocks(int fd, size_t length) {
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
  UniqueFd pagemap(open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC));
  if (!pagemap) return std::nullopt;
  PageRegion regions[64];
  PageMapScanArg scan = {};
  scan.size = sizeof(scan);
  scan.start = at;
  scan.end = at + span;
  scan.vec = reinterpret_cast<uintptr_t>(regions);
  scan.vec_len = sizeof(regions) / sizeof(regions[0]);
  scan.category_mask = kPageIsHuge;
  scan.return_mask = kPageIsHuge;
  const int found = ioctl(pagemap.get(), kPageMapScan, &scan);
  if (found < 0) return std::nullopt;  // before Linux 6.7
  std::vector<off_t> small;
  for (size_t block = 0; block < span; block += kBlock) {
    bool huge = false;
    for (int i = 0; i < found && !huge; ++i) {
      huge = regions[i].start <= at + block && at + block + kBlock <= regions[i].end;
    }
    if (!huge) small.push_back(static_cast<off_t>(block));
  }
  return small;
}

absl::Status ReadFull(int fd, char* buf, size_t n, off_t at, const std::string& what) {
  for (size_t done = 0; done < n;) {
    const ssize_t got = pread(fd, buf + done, n - done, at + static_cast<off_t>(done));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return ErrnoError(got < 0 ? errno : EIO, absl::StrCat("read '", what, "'"));
    done += static_cast<size_t>(got);
  }
  return absl::OkStatus();
}

absl::Status WriteFull(int fd, const char* buf, size_t n, const std::string& what) {
  for (size_t done = 0; done < n;) {
    const ssize_t put = write(fd, buf + done, n - done);
    if (put < 0 && errno == EINTR) continue;
    if (put <= 0) return ErrnoError(put < 0 ? errno : EIO, absl::StrCat("write '", what, "'"));
    done += static_cast<size_t>(put);
  }
  return absl::OkStatus();
}

// Writes the first `length` bytes of `source` to `path`, through a
// temporary file that is synced before it takes the name.
absl::Status WriteCopy(int source, size_t length, const std::string& binary,
                       const std::string& temp, const std::string& path) {
  UniqueFd target(
      open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, kCopyMode));
  if (!target) return ErrnoError(errno, absl::StrCat("create '", temp, "'"));
  absl::Cleanup remove = [&] { unlink(temp.c_str()); };
  std::string block(kBlock, '\0');
  for (size_t at = 0; at < length; at += kBlock) {
    const size_t n = std::min(kBlock, length - at);
    RETURN_IF_ERROR(ReadFull(source, block.data(), n, static_cast<off_t>(at), binary));
    RETURN_IF_ERROR(WriteFull(target.get(), block.data(), n, temp));
  }
  // On disk before the name points at it: after a crash the name holds the
  // whole copy or nothing.
  if (fdatasync(target.get()) != 0) return ErrnoError(errno, absl::StrCat("sync '", temp, "'"));
  if (rename(temp.c_str(), path.c_str()) != 0) {
    return ErrnoError(errno, absl::StrCat("rename '", temp, "' to '", path, "'"));
  }
  std::move(remove).Cancel();
  return absl::OkStatus();
}

// Removes other builds' copies, and temporary files writers left, once old.
void RemoveStale(const std::string& dir, const std::string& keep) {
  UniqueFd fd(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) return;
  DIR* listing = fdopendir(fd.get());
  if (listing == nullptr) return;
  const int dir_fd = fd.release();  // closedir closes it
  const time_t now = time(nullptr);
  while (struct dirent* entry = readdir(listing)) {
    const std::string name = entry->d_name;
    const bool copy = absl::StartsWith(name, "runsc-") && name != keep;
    const bool temp = absl::StartsWith(name, ".runsc-") && absl::EndsWith(name, ".tmp");
    struct stat st;
    if ((copy || temp) && fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
        now - st.st_mtime > kStaleAfterSeconds) {
      unlinkat(dir_fd, name.c_str(), 0);
    }
  }
  closedir(listing);
}

}  // namespace

absl::StatusOr<std::string> CachedBinary(const std::string& binary, const std::string& dir) {
  UniqueFd source(open(binary.c_str(), O_RDONLY | O_CLOEXEC));
  if (!source) return ErrnoError(errno, absl::StrCat("open '", binary, "'"));
  ASSIGN_OR_RETURN(const size_t length, LoadedLength(source.get()));
  ASSIGN_OR_RETURN(const std::string id, BuildId(source.get()));
  RETURN_IF_ERROR(CheckDir(dir));
  const std::string name = absl::StrCat("runsc-", id);
  const std::string path = absl::StrCat(dir, "/", name);
  const std::string small = absl::StrCat(path, ".small");
  if (access(small.c_str(), F_OK) == 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("binary cache '", dir, "': its filesystem gave the copy no 2 MiB folios ('",
                     small, "' says so)"));
  }
  if (UniqueFd copy = OpenSound(path, length)) {
    // The kernel may have dropped some of the copy's page cache (memory
    // pressure; a host's reclaim of cold memory, as DAMON's on the
    // benchmarks' VM) and an exec read it back in small folios: such blocks
    // go, where no process maps them, and come back in 2 MiB folios. Those
    // a running sandbox maps stay small; for them a new copy takes the name,
    // at most every kRewriteAfterSeconds.
    std::optional<std::vector<off_t>> small_blocks = SmallBlocks(copy.get(), length);
    if (!small_blocks.has_value() || small_blocks->empty()) return path;
    for (off_t block : *small_blocks) {
      posix_fadvise(copy.get(), block, kBlock, POSIX_FADV_DONTNEED);
    }
    small_blocks = SmallBlocks(copy.get(), length);
    if (!small_blocks.has_value() || small_blocks->empty()) return path;
    struct stat st;
    if (fstat(copy.get(), &st) != 0 || time(nullptr) - st.st_mtime < kRewriteAfterSeconds) {
      return path;
    }
  }
  const std::string temp = absl::StrCat(dir, "/.", name, ".", getpid(), ".tmp");
  RETURN_IF_ERROR(WriteCopy(source.get(), length, binary, temp, path));
  RemoveStale(dir, name);
  UniqueFd copy = OpenSound(path, length);
  std::optional<std::vector<off_t>> small_blocks;
  if (copy) small_blocks = SmallBlocks(copy.get(), length);
  if (small_blocks.has_value() && small_blocks->size() == length / kBlock) {
    // Written in 2 MiB blocks and still not in 2 MiB folios: this
    // filesystem has none to give, and the copy gains nothing. Said once,
    // for every later run, beside where the copy was.
    unlink(path.c_str());
    UniqueFd marker(open(small.c_str(), O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0400));
    return absl::FailedPreconditionError(
        absl::StrCat("binary cache '", dir, "': its filesystem gives no 2 MiB folios"));
  }
  return path;
}

}  // namespace runsc::util
