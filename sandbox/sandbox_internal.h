// Names and helpers shared by sandbox_create.cc (a sandbox's creation),
// sandbox.cc (attachment, the running sandbox) and sandbox_teardown.cc (its
// end, and what a dead one left). Internal to the sandbox library.
#ifndef RUNSC_SANDBOX_SANDBOX_INTERNAL_H_
#define RUNSC_SANDBOX_SANDBOX_INTERNAL_H_

#include <sys/types.h>

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "proto/state.pb.h"
#include "sandbox/child_process.h"

namespace runsc::sandbox::internal {

// The files of a sandbox's state directory, beside its record.
inline constexpr char kControlSocketName[] = "control.sock";
inline constexpr char kStdioSocketName[] = "stdio.sock";
inline constexpr char kLogName[] = "sandbox.log";
inline constexpr char kConsoleLogName[] = "console.log";

// Removes a state directory and the files a sandbox makes in it.
absl::Status RemoveStateDir(const std::string& dir);
// The recorded sandbox process, held by a pidfd, while it still runs: its
// pid must have the recorded start time, checked again once the pidfd is
// open (the pid could have been reused in between). Nothing once it is gone;
// an error where it cannot be told (out of fds, say), which is not "gone".
absl::StatusOr<std::optional<ChildProcess>> AdoptRecordedProcess(
    const runsc::state::v1::SandboxRecord& record);

}  // namespace runsc::sandbox::internal

#endif  // RUNSC_SANDBOX_SANDBOX_INTERNAL_H_
