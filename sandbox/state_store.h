// Reading and writing a sandbox's record (proto/state.proto) in its state
// directory, and identifying a process across pid reuse.
#ifndef RUNSC_SANDBOX_STATE_STORE_H_
#define RUNSC_SANDBOX_STATE_STORE_H_

#include <sys/types.h>

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "proto/state.pb.h"
#include "runsc/util/unique_fd.h"

namespace runsc::sandbox {

// The record: a runsc.state.v1.SandboxRecord in protobuf's binary form,
// which every CLI command reads (as JSON, read by reflection, it took 1.4
// ms of a 4.4 ms `runsc state`; `protoc --decode` shows one).
inline constexpr char kStateFileName[] = "state.pb";
// A PreparedRecord's file: the next record, then (once committed) the one
// it replaced. Part of every state directory's files.
inline constexpr char kNextStateFileName[] = ".state.pb.next";
// The record as builds before 2026-12-05 wrote it (JSON), and their
// PreparedRecord's file: the record is read while no binary one is beside
// it, and the first save removes both. (A daemon of such a build on the
// same state root would not see the binary record: restart it with this
// build.)
inline constexpr char kLegacyStateFileName[] = "state.json";
inline constexpr char kLegacyNextStateFileName[] = ".state.json.next";

// Writes <dir>/state.pb atomically: a temp file, then a rename
// (util::WriteFileAtomically; not fsynced, as it describes live processes).
absl::Status SaveRecord(const std::string& dir, const runsc::state::v1::SandboxRecord& record);

// The next version of a sandbox's record, its file made ahead (Prepare),
// while the caller waits for something else, so that the save it then
// waits on (Commit) allocates and frees no inode or block: the record goes
// over a placeholder, and the file is exchanged with the record
// (RENAME_EXCHANGE, atomic for readers as a rename is), leaving the old
// record under the prepared file's name until the next Prepare or the
// directory's removal. On this VM's /run (ext4 with discard, no journal)
// the temporary file and the rename over the old record took 0.2 to 0.3
// ms, of which the data block's allocation and the old one's discard were
// most; this takes 35 us.
class PreparedRecord final {
 public:
  // Best effort: if the file cannot be made now, Commit saves as
  // SaveRecord does.
  static PreparedRecord Prepare(const std::string& dir);
  // Whether the file was made ahead.
  bool prepared() const { return fd_.valid(); }
  // Writes `record` and puts it in place (rename where there was none).
  absl::Status Commit(const runsc::state::v1::SandboxRecord& record) &&;

 private:
  std::string dir_;
  util::UniqueFd fd_;
};

// NOT_FOUND if there is no record; INVALID_ARGUMENT if it does not parse
// or has no id.
absl::StatusOr<runsc::state::v1::SandboxRecord> LoadRecord(const std::string& dir);

// The file a save writes in state directory `dir`.
std::string RecordPath(const std::string& dir);

// Whether `dir` holds a record, of this build's or an earlier one's.
bool RecordExists(const std::string& dir);

// A lock (flock) on state directory `dir`, waited for up to `wait`: what
// makes a create, a start and a delete of one id take turns. It is taken
// on what `dir` names then (a holder waited for may have removed the
// directory, and a create made the id's anew). NOT_FOUND without such a
// directory; the errno EWOULDBLOCK (UNAVAILABLE) if still held at the
// deadline. The fd is O_CLOEXEC: no process spawned keeps it.
absl::StatusOr<util::UniqueFd> LockStateDir(const std::string& dir,
                                            absl::Duration wait = absl::ZeroDuration());

// The start time of `pid` in clock ticks since boot (field 22 of
// /proc/PID/stat), or NOT_FOUND once it is gone (a zombie counts as gone).
// Any other error (EMFILE, say) says nothing of the process.
absl::StatusOr<uint64_t> ProcessStartTime(pid_t pid);

}  // namespace runsc::sandbox

#endif  // RUNSC_SANDBOX_STATE_STORE_H_
