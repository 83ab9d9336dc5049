#include "sandbox/uid_range.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <optional>

#include "absl/cleanup/cleanup.h"
#include "absl/hash/hash.h"
#include "absl/random/random.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "runsc/util/errno_status.h"
#include "runsc/util/file_util.h"
#include "runsc/util/status_macros.h"
#include "runsc/util/unique_fd.h"

namespace runsc::sandbox {

using util::ErrnoError;
using util::UniqueFd;

absl::StatusOr<UidRange> UidRangeAllocator::Allocate(absl::string_view owner) {
  absl::BitGen gen;
  const std::string token =
      absl::StrCat(owner, " ", absl::Hex(absl::Uniform<uint64_t>(gen), absl::kZeroPad16));
  const std::string text = absl::StrCat(token, "\n");
  // The slot's file is written before it has a name, and then linked as
  // the slot: a slot file always names its holder, whenever a crash comes.
  // Where the file system has no unnamed files (O_TMPFILE: overlayfs before
  // Linux 6.6, NFS, most FUSE), a named one in the directory, which a
  // crash may leave (List and Allocate ignore it).
  auto open_file = [this](const std::string& named) {
    return UniqueFd(named.empty()
                        ? open(dir_.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600)
                        : open(named.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  };
  std::string named;
  if (!unnamed_files_)
    named = absl::StrCat(dir_, "/.tmp-", absl::Hex(absl::Uniform<uint64_t>(gen)));
  UniqueFd fd = open_file(named);
  if (!fd && errno == ENOENT) {
    // The directory is made on first use (and its parents, 0700 too).
    RETURN_IF_ERROR(util::MakeDirs(dir_, 0700));
    fd = open_file(named);
  }
  if (!fd && named.empty() && (errno == EOPNOTSUPP || errno == EISDIR)) {
    named = absl::StrCat(dir_, "/.tmp-", absl::Hex(absl::Uniform<uint64_t>(gen)));
    fd = open_file(named);
  }
  if (!fd) return ErrnoError(errno, absl::StrCat("create a slot file in '", dir_, "'"));
  absl::Cleanup unlink_named = [&named] {
    if (!named.empty()) unlink(named.c_str());
  };
  if (write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
    return ErrnoError(errno, absl::StrCat("write a slot file in '", dir_, "'"));
  }
  const std::string self = named.empty() ? absl::StrCat("/proc/self/fd/", fd.get()) : named;
  const int link_flags = named.empty() ? AT_SYMLINK_FOLLOW : 0;
  // Start at a random slot: concurrent allocators rarely collide, and a
  // collision just moves on to the next slot.
  const uint32_t start = absl::Uniform<uint32_t>(gen, 0, kSlots);
  for (uint32_t i = 0; i < kSlots; ++i) {
    const uint32_t slot = (start + i) % kSlots;
    const std::string path = absl::StrCat(dir_, "/", slot);
    if (linkat(AT_FDCWD, self.c_str(), AT_FDCWD, path.c_str(), link_flags) != 0) {
      if (errno == EEXIST) continue;
      return ErrnoError(errno, absl::StrCat("link '", path, "'"));
    }
    UidRange range = RangeOfSlot(slot);
    range.token = token;
    return range;
  }
  return absl::ResourceExhaustedError(
      absl::StrCat("all ", kSlots, " workload uid ranges are in use"));
}

namespace {

// The text of slot file `fd` (named `path`) without its newline.
absl::StatusOr<std::string> ReadText(int fd, const std::string& path) {
  char buf[256];
  const ssize_t n = pread(fd, buf, sizeof(buf), 0);
  if (n < 0) return ErrnoError(errno, absl::StrCat("read '", path, "'"));
  std::string text(buf, static_cast<size_t>(n));
  if (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

// The slot file's text without its newline; nullopt if it is gone.
absl::StatusOr<std::optional<std::string>> SlotText(const std::string& path) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd) {
    if (errno == ENOENT) return std::nullopt;
    return ErrnoError(errno, absl::StrCat("open '", path, "'"));
  }
  ASSIGN_OR_RETURN(std::string text, ReadText(fd.get(), path));
  return text;
}

}  // namespace

bool UidRangeAllocator::HeldBy(const UidRange& range) const {
  if (range.token.empty()) return false;
  absl::StatusOr<std::optional<std::string>> text = SlotText(absl::StrCat(dir_, "/", range.slot));
  return text.ok() && text->has_value() && **text == range.token;
}

absl::Status UidRangeAllocator::Release(const UidRange& range) {
  const std::string path = absl::StrCat(dir_, "/", range.slot);
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd) {
    if (errno == ENOENT) return absl::OkStatus();  // free already
    return ErrnoError(errno, absl::StrCat("open '", path, "'"));
  }
  // Releases of one slot take turns on its file, and each unlinks only the
  // file it checked, while the slot's name still holds it: two releases of
  // one range (the CLI's and the daemon's) cannot both pass the check, the
  // second then unlinking a new holder's file.
  if (flock(fd.get(), LOCK_EX) != 0) {
    return ErrnoError(errno, absl::StrCat("lock '", path, "'"));
  }
  if (!range.token.empty()) {
    ASSIGN_OR_RETURN(std::string text, ReadText(fd.get(), path));
    if (text != range.token) return absl::OkStatus();  // not ours now
  }
  struct stat held, named;
  if (fstat(fd.get(), &held) != 0) return ErrnoError(errno, absl::StrCat("stat '", path, "'"));
  if (lstat(path.c_str(), &named) != 0 || held.st_ino != named.st_ino ||
      held.st_dev != named.st_dev) {
    return absl::OkStatus();  // released meanwhile (and perhaps taken again)
  }
  if (unlink(path.c_str()) != 0 && errno != ENOENT) {
    return ErrnoError(errno, absl::StrCat("unlink '", path, "'"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::pair<UidRange, std::string>>>
UidRangeAllocator::List() const {
  std::vector<std::pair<UidRange, std::string>> out;
  DIR* dir = opendir(dir_.c_str());
  if (dir == nullptr) {
    if (errno == ENOENT) return out;
    return ErrnoError(errno, absl::StrCat("opendir '", dir_, "'"));
  }
  while (struct dirent* e = readdir(dir)) {
    uint32_t slot;
    if (!absl::SimpleAtoi(e->d_name, &slot) || slot >= kSlots) continue;
    // One that cannot be read (or is gone meanwhile) is listed without an
    // owner.
    absl::StatusOr<std::optional<std::string>> read = SlotText(absl::StrCat(dir_, "/", e->d_name));
    const std::string text = read.ok() ? read->value_or("") : "";
    UidRange range = RangeOfSlot(slot);
    range.token = text;
    out.emplace_back(range, text.substr(0, text.find(' ')));  // the owner, without the nonce
  }
  closedir(dir);
  return out;
}

}  // namespace runsc::sandbox
