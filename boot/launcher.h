// The launcher: the small privileged process that creates workloads. The
// sandbox process starts it in stage 1, before it drops privileges, into new
// PID and mount namespaces, and it runs as `runsc boot --launcher` (the
// sandbox's IPC, UTS and network namespaces are the container's). It builds
// the container's filesystem while the supervisor starts. It is pid 1 of the container's PID
// namespace (so it reaps every orphan, and its death kills every workload)
// and uid 0 of the sandbox's user namespace (never of the host's). It builds
// the container's filesystem (boot/container_fs.h), pivots into it, and then
// serves the supervisor's requests (proto/launcher.proto): start a process,
// signal, list; it reports every exit. When the main process exits, it kills
// and reaps the rest. A process started with an output limit (the daemon's
// console log) writes into a pipe that it copies into the log, up to the
// limit (boot/capped_output.h).
//
// Workloads cannot reach it: they run in a nested user namespace with other
// host uids, so ptrace, signals and /proc/1/mem are refused, and as pid 1 it
// ignores signals from inside its namespace that it has no handler for.
//
// Single-threaded; everything runs on one poll loop.
#ifndef RUNSC_BOOT_LAUNCHER_H_
#define RUNSC_BOOT_LAUNCHER_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "proto/boot.pb.h"

namespace runsc::boot {

// Never returns. `sock` is the launcher's end of the launcher socket.
// With BootConfig.container_on_socket (a warm sandbox), `config` holds no
// container: the launcher readies what needs none, then takes the one the
// host assigns on the socket at kFirstMountFd (ReceiveAssignment).
[[noreturn]] void LauncherMain(runsc::boot::v1::BootConfig config, int sock);

// With BootConfig.network_on_socket, the launcher's first step: receives
// the sandbox's network namespace, the first packet on `sock` (a
// NetworkNamespace with its fd), and joins it.
absl::Status JoinSandboxNetwork(int sock);

// A warm sandbox's container: reads the one ContainerAssignment on `host`
// and installs its fds from kFirstMountFd on, in order, where the config
// names them (nothing else of the launcher's may be there). Returns the
// assigned config.
absl::StatusOr<runsc::boot::v1::BootConfig> ReceiveAssignment(int host);

// Sends the launcher's first message as a failure at `stage`, then exits.
[[noreturn]] void ReportLauncherFailure(int sock, absl::string_view stage,
                                        const absl::Status& status);

}  // namespace runsc::boot

#endif  // RUNSC_BOOT_LAUNCHER_H_
