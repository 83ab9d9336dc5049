// The last steps of a workload process, in the child the launcher forks:
// join the workloads' user namespace, apply limits, cwd, user and groups,
// the five capability sets, no_new_privs and seccomp, close every other fd,
// and execve. The launcher is single-threaded, so the child may allocate.
//
// On failure the child writes one SyncMessage kError (stage, errno, text) to
// `error_fd` (O_CLOEXEC: a successful execve closes it, which is how the
// launcher knows the exec happened) and exits 127.
#ifndef RUNSC_BOOT_WORKLOAD_H_
#define RUNSC_BOOT_WORKLOAD_H_

#include <stdint.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "proto/boot.pb.h"

namespace runsc::boot {

// stdio[0..2] become fds 0..2 and `extra` fds 3, 4, ...; everything else
// is closed at exec.
//
// With `hold_fd` (not -1), the process is created but not started: after
// its namespace, limits, cwd and executable are settled, it writes a
// SyncMessage kReady to `error_fd` and waits for the byte 'g' on `hold_fd`
// before the capability, seccomp and user steps and the exec. Anything else
// (the launcher gone) ends it without running the workload.
[[noreturn]] void ExecWorkload(const runsc::boot::v1::ProcessConfig& process,
                               int nested_userns_fd, const int stdio[3],
                               const std::vector<int>& extra, int error_fd,
                               int hold_fd = -1);

// The home directory of `uid` in the text of an /etc/passwd, or "/".
std::string HomeFromPasswd(const std::string& passwd, uint32_t uid);

// The value of `key` in a KEY=VALUE list, if present.
std::optional<std::string> FindEnv(const std::vector<std::string>& env,
                                   const std::string& key);

}  // namespace runsc::boot

#endif  // RUNSC_BOOT_WORKLOAD_H_
