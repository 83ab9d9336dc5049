#include "sandbox/state_store.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "runsc/util/errno_status.h"
#include "runsc/util/file_util.h"
#include "runsc/util/unique_fd.h"
#include "specutils/spec_json.h"

namespace runsc::sandbox {

using util::ErrnoError;
using util::UniqueFd;

absl::Status SaveRecord(const std::string& dir,
                        const runsc::state::v1::SandboxRecord& record) {
  return util::WriteFileAtomically(RecordPath(dir), specutils::SpecJson(record));
}

std::string RecordPath(const std::string& dir) { return absl::StrCat(dir, "/", kStateFileName); }

absl::StatusOr<runsc::state::v1::SandboxRecord> LoadRecord(const std::string& dir) {
  const std::string path = RecordPath(dir);
  if (access(path.c_str(), F_OK) != 0) {
    return absl::NotFoundError(absl::StrCat("no sandbox record at '", path, "'"));
  }
  std::string json = util::ReadFileOrEmpty(path);
  runsc::state::v1::SandboxRecord record;
  // Unknown keys (records of newer versions) are skipped.
  absl::Status parsed = specutils::ParseJson(json, &record);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("sandbox record '", path, "': ", parsed.message()));
  }
  return record;
}

absl::StatusOr<uint64_t> ProcessStartTime(pid_t pid) {
  std::string stat = util::ReadFileOrEmpty(absl::StrCat("/proc/", pid, "/stat"));
  // The command name may hold spaces and parentheses: fields start after the
  // last ')'.
  size_t close = stat.rfind(')');
  if (stat.empty() || close == std::string::npos) {
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
