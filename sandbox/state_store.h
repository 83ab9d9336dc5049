// Reading and writing a sandbox's record (proto/state.proto) in its state
// directory, and identifying a process across pid reuse.
#ifndef RUNSC_SANDBOX_STATE_STORE_H_
#define RUNSC_SANDBOX_STATE_STORE_H_

#include <sys/types.h>

#include <string>

#include "absl/status/statusor.h"
#include "proto/state.pb.h"

namespace runsc::sandbox {

inline constexpr char kStateFileName[] = "state.json";

// Writes <dir>/state.json atomically: a temp file, then a rename
// (util::WriteFileAtomically; not fsynced, as it describes live processes).
absl::Status SaveRecord(const std::string& dir, const runsc::state::v1::SandboxRecord& record);

// NOT_FOUND if there is no record; INVALID_ARGUMENT if it does not parse.
absl::StatusOr<runsc::state::v1::SandboxRecord> LoadRecord(const std::string& dir);

// The record's file in state directory `dir`.
std::string RecordPath(const std::string& dir);

// The start time of `pid` in clock ticks since boot (field 22 of
// /proc/PID/stat), or NOT_FOUND. A zombie counts as gone.
absl::StatusOr<uint64_t> ProcessStartTime(pid_t pid);

}  // namespace runsc::sandbox

#endif  // RUNSC_SANDBOX_STATE_STORE_H_
