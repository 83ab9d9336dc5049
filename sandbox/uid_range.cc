#include "sandbox/uid_range.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <optional>

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
  // Start at a random slot: concurrent allocators rarely collide, and a
  // collision just moves on to the next slot.
  absl::BitGen gen;
  const uint32_t start = absl::Uniform<uint32_t>(gen, 0, kSlots);
  for (uint32_t i = 0; i < kSlots; ++i) {
    const uint32_t slot = (start + i) % kSlots;
    std::string path = absl::StrCat(dir_, "/", slot);
    UniqueFd fd(open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (!fd && errno == ENOENT) {
      // The directory is made on first use (and its parents, 0700 too).
      RETURN_IF_ERROR(util::MakeDirs(dir_, 0700));
      fd.reset(open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    }
    if (!fd) {
      if (errno == EEXIST) continue;
      return ErrnoError(errno, absl::StrCat("create '", path, "'"));
    }
    UidRange range = RangeOfSlot(slot);
    range.token =
        absl::StrCat(owner, " ", absl::Hex(absl::Uniform<uint64_t>(gen), absl::kZeroPad16));
    std::string text = absl::StrCat(range.token, "\n");
    if (write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
      int err = errno;
      unlink(path.c_str());
      return ErrnoError(err, absl::StrCat("write '", path, "'"));
    }
    return range;
  }
  return absl::ResourceExhaustedError(
      absl::StrCat("all ", kSlots, " workload uid ranges are in use"));
}

namespace {

// The slot file's text without its newline; nullopt if it is gone.
absl::StatusOr<std::optional<std::string>> SlotText(const std::string& path) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd) {
    if (errno == ENOENT) return std::nullopt;
    return ErrnoError(errno, absl::StrCat("open '", path, "'"));
  }
  char buf[256];
  const ssize_t n = read(fd.get(), buf, sizeof(buf));
  if (n < 0) return ErrnoError(errno, absl::StrCat("read '", path, "'"));
  std::string text(buf, static_cast<size_t>(n));
  if (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

}  // namespace

absl::Status UidRangeAllocator::Release(const UidRange& range) {
  std::string path = absl::StrCat(dir_, "/", range.slot);
  if (!range.token.empty()) {
    ASSIGN_OR_RETURN(std::optional<std::string> text, SlotText(path));
    if (!text.has_value() || *text != range.token) return absl::OkStatus();  // not ours now
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
