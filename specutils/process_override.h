// A process to exec into a running container: the container's main process
// (capabilities, seccomp, rlimits, no_new_privs, umask) with the caller's
// args, env, cwd and user on top, as `runc exec` does. Pure.
#ifndef RUNSC_SPECUTILS_PROCESS_OVERRIDE_H_
#define RUNSC_SPECUTILS_PROCESS_OVERRIDE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "proto/boot.pb.h"

namespace runsc::specutils {

struct ProcessOverrides {
  std::vector<std::string> args;  // required
  std::vector<std::string> env;   // KEY=VALUE; replaces the base's KEY
  std::string cwd;                // empty: the base's
  std::optional<uint32_t> uid;
  std::optional<uint32_t> gid;
  std::vector<uint32_t> additional_gids;  // replaces the base's when not empty
  bool terminal = false;
};

// Errors name the field: "process.args: must not be empty".
absl::StatusOr<runsc::boot::v1::ProcessConfig> OverrideProcess(
    const runsc::boot::v1::ProcessConfig& base, const ProcessOverrides& overrides);

}  // namespace runsc::specutils

#endif  // RUNSC_SPECUTILS_PROCESS_OVERRIDE_H_
