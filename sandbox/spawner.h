// SpawnSandboxProcess: the host-side start of a sandbox process. It clones a
// child into new user, mount, PID, IPC, UTS and network namespaces and
// writes the child's uid and gid maps. The child then does stage 1
// (sandbox/stage1.h): it moves itself into its cgroups, brings up lo and
// sets the hostname, starts the launcher if asked (`runsc boot --launcher`,
// in its own PID, mount and cgroup namespaces, with the log, the config,
// fd 7 and the mount trees), enters a cgroup namespace of its own, takes
// the sandbox's identity, builds its root, pivots, drops to nobody and
// execs `/runsc boot` with the fds of runsc/util/boot_fds.h.
//
// The caller may be multi-threaded (the daemon is). The child, and the
// launcher's child, borrow the caller's memory until their execs (CLONE_VM;
// see runsc/util/vm_clone.h): they make only raw system calls, and
// everything they need (argv, fd numbers, the setup's strings) is prepared
// before the clone. SpawnSandboxProcess returns once both have exec'd (or
// died), so nothing of the caller's is in use any more.
//
// It does not wait for the sandbox to be ready: that is the caller's read of
// the returned sync fd (runsc/util/sync_message.h).
#ifndef RUNSC_SANDBOX_SPAWNER_H_
#define RUNSC_SANDBOX_SPAWNER_H_

#include <stdint.h>
#include <sys/resource.h>

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "runsc/util/unique_fd.h"
#include "sandbox/child_process.h"
#include "specutils/id_map.h"

namespace runsc::sandbox {

struct SpawnRequest {
  // The runsc binary to exec; it must be statically linked.
  std::string runsc_path;
  // The listening control socket, installed as fd 3 (not owned).
  int control_fd = -1;
  // The log, installed as fds 1 and 2 (not owned).
  int log_fd = -1;
  // The listening stdio socket, installed as fd 6 (not owned).
  int stdio_fd = -1;
  // The launcher's own fds, installed as 8, 9, ... in order in the launcher
  // alone (not owned): the container's detached mount trees, then, for a
  // main process started at once (BootConfig.main_fds), its stdio and extra
  // fds. Only with `launcher`.
  std::vector<int> launcher_fds;
  // Stage 1: bring up lo (a new network namespace), set the hostname (a new
  // UTS namespace; empty: leave it), the root tmpfs's size option, and
  // whether to start a launcher (a container).
  bool loopback = false;
  std::string hostname;
  std::string root_tmpfs_size;
  bool launcher = false;
  // A serialized runsc.boot.v1.BootConfig, passed as a sealed memfd (fd 4).
  std::string boot_config;
  std::vector<specutils::IdMapping> uid_map;
  std::vector<specutils::IdMapping> gid_map;
  // A cgroup v2 directory fd: the child starts in it (CLONE_INTO_CGROUP).
  int cgroup_fd = -1;
  // Cgroup v1 `tasks` files (fd, not owned, and path, for errors) that the
  // child writes "0" to, moving itself, before anything else; then those
  // the launcher's child moves itself into, and a v2 directory fd the
  // launcher is cloned into (Cgroup::OpenPlacement). Each then enters a
  // new cgroup namespace, rooted where it is.
  struct TasksFile {
    int fd;
    std::string path;
  };
  std::vector<TasksFile> sandbox_tasks;
  std::vector<TasksFile> launcher_tasks;
  int launcher_cgroup_fd = -1;
  // (RLIMIT_*, hard limit) the container's main process asks for: where
  // the host's is lower, the child's is raised before it goes on (it will
  // be in a user namespace, where only lowering a hard limit is allowed),
  // so that the workload's setrlimit can give it. As runc gives it, as root.
  std::vector<std::pair<int, uint64_t>> hard_limits;
  // Namespaces to put the child in instead of new ones: (fd, CLONE_NEWNET,
  // CLONE_NEWIPC or CLONE_NEWUTS). Not owned.
  std::vector<std::pair<int, int>> joined_namespaces;
};

struct SpawnedProcess {
  ChildProcess process;
  // The spawner's end of the sync socket.
  util::UniqueFd sync_fd;
  // Its start time (ProcessStartTime), read while it waited for kGo: once
  // it runs, a main process started with it may end, and the sandbox
  // process with it, before the caller gets to look.
  uint64_t start_time = 0;
};

absl::StatusOr<SpawnedProcess> SpawnSandboxProcess(const SpawnRequest& request);

// Whether a hard limit `have` already allows `want` (RLIM_INFINITY: no
// limit), so that nothing need raise it for a process that asks for `want`.
inline bool HardLimitCovers(rlim_t have, uint64_t want) {
  return have == RLIM_INFINITY || (want != RLIM_INFINITY && have >= want);
}

}  // namespace runsc::sandbox

#endif  // RUNSC_SANDBOX_SPAWNER_H_
