#include "sandbox/state_store.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "runsc/util/errno_status.h"
#include "runsc/util/file_util.h"
#include "runsc/util/log.h"
#include "runsc/util/status_macros.h"
#include "runsc/util/unique_fd.h"
#include "specutils/spec_json.h"

namespace runsc::sandbox {

using util::ErrnoError;
using util::UniqueFd;

namespace {

// What a prepared record's placeholder holds: a block, as most records
// need (about 1 KiB; 2 to 3 as JSON); a larger one grows the file at
// commit.
constexpr size_t kPlaceholderSize = 4096;

// An earlier build's record in state directory `dir`.
std::string LegacyRecordPath(const std::string& dir) {
  return absl::StrCat(dir, "/", kLegacyStateFileName);
}

// Once this build's record is in place, an earlier build's goes (it would
// be stale), with that build's prepared file, which may hold an older one.
// Best effort: the save itself is done, and a record left beside
// this build's is never read.
void RemoveLegacyRecord(const std::string& dir) {
  const std::string path = LegacyRecordPath(dir);
  if (unlink(path.c_str()) == 0) {
    (void)unlink(absl::StrCat(dir, "/", kLegacyNextStateFileName).c_str());
  } else if (errno != ENOENT) {
    util::Log(util::LogLevel::kWarning, "state",
              ErrnoError(errno, absl::StrCat("unlink '", path, "'")).message());
  }
}

// Reads the record at `path` into `record`, this build's (binary) or with
// `legacy` an earlier one's (JSON): false if there is none, as a missing
// file or a state directory that is not a directory.
absl::StatusOr<bool> ReadRecordFile(const std::string& path, bool legacy,
                                    runsc::state::v1::SandboxRecord* record) {
  absl::StatusOr<std::string> data = util::ReadFile(path);
  if (!data.ok()) {
    const int err = util::ErrnoOf(data.status());
    if (err == ENOENT || err == ENOTDIR) return false;
    return data.status();
  }
  if (legacy) {
    // Unknown keys (records of newer versions) are skipped.
    absl::Status parsed = specutils::ParseJson(*data, record);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("sandbox record '", path, "': ", parsed.message()));
    }
  } else if (!record->ParseFromString(*data)) {
    // Fields of newer builds are kept as unknown ones.
    return absl::InvalidArgumentError(absl::StrCat("sandbox record '", path, "' (", data->size(),
                                                   " bytes) is not a SandboxRecord"));
  }
  return true;
}

}  // namespace

absl::Status SaveRecord(const std::string& dir, const runsc::state::v1::SandboxRecord& record) {
  RETURN_IF_ERROR(util::WriteFileAtomically(RecordPath(dir), record.SerializeAsString()));
  RemoveLegacyRecord(dir);
  return absl::OkStatus();
}

PreparedRecord PreparedRecord::Prepare(const std::string& dir) {
  PreparedRecord prepared;
  prepared.dir_ = dir;
  const std::string path = absl::StrCat(dir, "/", kNextStateFileName);
  prepared.fd_.reset(
      open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600));
  static const char kZeros[kPlaceholderSize] = {};
  if (prepared.fd_ &&
      !util::PwriteAll(prepared.fd_.get(), absl::string_view(kZeros, sizeof(kZeros)), 0, path)
           .ok()) {
    prepared.fd_.reset();
  }
  return prepared;
}

absl::Status PreparedRecord::Commit(const runsc::state::v1::SandboxRecord& record) && {
  if (!prepared()) return SaveRecord(dir_, record);
  const std::string next = absl::StrCat(dir_, "/", kNextStateFileName);
  const std::string data = record.SerializeAsString();
  RETURN_IF_ERROR(util::PwriteAll(fd_.get(), data, 0, next));
  if (ftruncate(fd_.get(), static_cast<off_t>(data.size())) != 0) {
    return ErrnoError(errno, absl::StrCat("truncate '", next, "'"));
  }
  if (close(fd_.release()) != 0) return ErrnoError(errno, absl::StrCat("close '", next, "'"));
  // The record it replaces takes the prepared file's name (a rename on a
  // first save).
  RETURN_IF_ERROR(util::ReplaceFile(next, RecordPath(dir_)).status());
  RemoveLegacyRecord(dir_);
  return absl::OkStatus();
}

std::string RecordPath(const std::string& dir) { return absl::StrCat(dir, "/", kStateFileName); }

bool RecordExists(const std::string& dir) {
  // The earlier build's first: a save puts this build's in place before it
  // removes that one, so a save between the two looks cannot hide both.
  return access(LegacyRecordPath(dir).c_str(), F_OK) == 0 ||
         access(RecordPath(dir).c_str(), F_OK) == 0;
}

absl::StatusOr<runsc::state::v1::SandboxRecord> LoadRecord(const std::string& dir) {
  runsc::state::v1::SandboxRecord record;
  std::string path = RecordPath(dir);
  ASSIGN_OR_RETURN(bool found, ReadRecordFile(path, /*legacy=*/false, &record));
  if (!found) {
    // An earlier build's record, of a sandbox it made.
    path = LegacyRecordPath(dir);
    ASSIGN_OR_RETURN(found, ReadRecordFile(path, /*legacy=*/true, &record));
  }
  if (!found) {
    // Neither: unless a save put this build's in place and removed the
    // earlier one between the two reads.
    path = RecordPath(dir);
    ASSIGN_OR_RETURN(found, ReadRecordFile(path, /*legacy=*/false, &record));
    if (!found) return absl::NotFoundError(absl::StrCat("no sandbox record at '", path, "'"));
  }
  // Every save has the sandbox's id: an empty file is no record.
  if (record.id().empty()) {
    return absl::InvalidArgumentError(absl::StrCat("sandbox record '", path, "' has no id"));
  }
  return record;
}

absl::StatusOr<UniqueFd> LockStateDir(const std::string& dir, absl::Duration wait) {
  const absl::Time deadline = absl::Now() + wait;
  for (;;) {
    UniqueFd fd(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW));
    if (!fd) return ErrnoError(errno, absl::StrCat("open '", dir, "'"));
    while (flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
      if ((errno != EWOULDBLOCK && errno != EINTR) || absl::Now() >= deadline) {
        return ErrnoError(errno, absl::StrCat("lock '", dir, "'"));
      }
      absl::SleepFor(absl::Milliseconds(5));
    }
    struct stat held, now;
    if (fstat(fd.get(), &held) != 0) return ErrnoError(errno, absl::StrCat("stat '", dir, "'"));
    if (lstat(dir.c_str(), &now) != 0) return ErrnoError(errno, absl::StrCat("stat '", dir, "'"));
    if (held.st_dev == now.st_dev && held.st_ino == now.st_ino) return fd;
  }
}

absl::StatusOr<uint64_t> ProcessStartTime(pid_t pid) {
  absl::StatusOr<std::string> read = util::ReadFile(absl::StrCat("/proc/", pid, "/stat"));
  if (absl::IsNotFound(read.status())) {  // ENOENT, or ESRCH once reaped
    return absl::NotFoundError(absl::StrCat("process ", pid, " does not exist"));
  }
  // Anything else (EMFILE, say) tells nothing of the process: a caller that
  // took it for gone would reclaim a live sandbox's uid range and cgroups.
  if (!read.ok()) return read.status();
  const std::string& stat = *read;
  // The command name may hold spaces and parentheses: fields start after the
  // last ')'.
  size_t close = stat.rfind(')');
  if (close == std::string::npos) {
    return absl::NotFoundError(absl::StrCat("process ", pid, " does not exist"));
  }
  std::vector<absl::string_view> fields =
      absl::StrSplit(absl::string_view(stat).substr(close + 2), ' ');
  // fields[0] is field 3 (state); field 22 (starttime) is fields[19].
  if (fields.size() < 20) return absl::InternalError("short /proc/PID/stat");
  if (fields[0] == "Z" || fields[0] == "X") {
    return absl::NotFoundError(absl::StrCat("process ", pid, " has exited"));
  }
  uint64_t start = 0;
  if (!absl::SimpleAtoi(fields[19], &start)) return absl::InternalError("bad starttime");
  return start;
}

}  // namespace runsc::sandbox
