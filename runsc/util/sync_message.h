// The sync protocol between the host-side spawner and a booting sandbox
// process. This header is the one description of it.
//
// Transport: one SOCK_SEQPACKET socketpair. The spawner keeps one end; the
// sandbox gets the other as fd 5 (kSyncFd). Every message is one fixed-size
// SyncMessage record, so a read returns a whole message or EOF.
//
//   spawner                                  sandbox
//   clone3(new namespaces) ------------------> child, blocked in read
//   write uid_map, gid_map
//   kGo ------------------------------------->
//                                             stage 1 (sandbox/stage1.h):
//                                             into its cgroups, clone the
//                                             launcher into the container's
//                                             (containers; it execs `runsc
//                                             boot --launcher` and builds
//                                             the container), namespaces,
//                                             root, pivot, drop privs, exec
//                                             `/runsc boot`: seccomp, start
//                                             Control server, wait for the
//                                             launcher (with BootConfig.main_fds
//                                             it has started the main
//                                             process before its ready)
//   <------------------------------------------ kReady (pid: the main's)
//   (the sandbox then closes its end)
//
// In daemon mode (BootConfig.report_main_exit) the sandbox keeps its end
// after kReady, and sends one kExited when the container's main process
// ends (whenever it was started), then closes it: the daemon learns of the
// exit without dialling the sandbox's control plane.
//
//   <------------------------------------------ kExited (pid, wait_status)
//
// Any failure on the sandbox side, before or after an exec, sends one kError
// (stage, errno, text) and exits. EOF without kReady means the sandbox died
// before it could say why; the spawner then reports its wait status.
//
// The writer functions below are async-signal-safe (only memcpy-like loops
// and write(2)), so the spawner's child may call them between clone and exec.
#ifndef RUNSC_UTIL_SYNC_MESSAGE_H_
#define RUNSC_UTIL_SYNC_MESSAGE_H_

#include <stdint.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace runsc::util {

// Where in the boot sequence a failure happened. The numbers are the wire
// values; only append.
enum class SetupStage : int32_t {
  kNone = 0,
  kSpawn = 1,             // between clone and the first exec
  kConfig = 2,            // reading the boot config
  kMountPropagation = 3,  // making every mount private
  kLoopback = 4,          // bringing up lo
  kHostname = 5,          // sethostname
  kRootTmpfs = 6,         // creating the root tmpfs
  kProcMount = 7,         // mounting /proc
  kBindSelf = 8,          // bind-mounting the binary at /runsc
  kRemountRoot = 9,       // making the root read-only
  kPivotRoot = 10,        // pivot_root and detaching the old root
  kDropPrivileges = 11,   // groups, gid, uid, capabilities, no_new_privs
  kReexec = 12,           // exec of /runsc
  kSeccomp = 13,          // installing the control server's seccomp filter
  kServe = 14,            // starting the Control server
  kLauncher = 15,         // building the container (launcher)
  kKeyring = 16,          // leaving the host caller's session keyring
  kStartMain = 17,        // starting the main process at once (BootConfig.main_fds)
  kCgroup = 18,           // moving into the cgroups, entering a cgroup namespace
  kNetwork = 19,          // the new network namespace, made and handed to the launcher
  // A workload process, between the launcher's fork and its execve.
  kWorkloadStdio = 20,
  kWorkloadUserns = 21,
  kWorkloadLimits = 22,  // rlimits, oom_score_adj, umask
  kWorkloadCwd = 23,
  kWorkloadUser = 24,  // groups, gid, uid
  kWorkloadCapabilities = 25,
  kWorkloadSeccomp = 26,
  kWorkloadExec = 27,
};

// Runtime mode: the line a sandbox process logs as it exits with its
// container, followed by the status; the host reads it back
// (Sandbox::ExitStatusFromLog) once the process is gone.
inline constexpr char kExitStatusLogMarker[] = "container exited: exit_status=";

// The stage's name as it appears in errors: "root-tmpfs".
const char* StageName(SetupStage stage);

enum class SyncType : uint32_t {
  kGo = 1,     // spawner -> sandbox: the id maps are written, go on
  kReady = 2,  // sandbox -> spawner: the Control server is serving
  kError = 3,  // sandbox -> spawner: setup failed; see stage, err, text
  // sandbox -> spawner, from older versions only: the container's launcher
  // has built the container (the host then moved it into the container's
  // cgroups; it is now born there). Spawners skip it.
  kLauncherReady = 4,
  // spawner -> sandbox, from older versions only: start the main process
  // (BootConfig.main_fds). It now starts with the launcher's ready; "ready"
  // carries its pid, or kError (stage kStartMain) says why it did not start.
  kStart = 5,
  // sandbox -> spawner, daemon mode, after kReady: the main process ended;
  // pid and wait_status say which and how.
  kExited = 6,
};

inline constexpr uint32_t kSyncMagic = 0x72736e63;  // "rsnc"

// kReady's text: the boot protocol the sandbox side speaks. The host refuses
// a sandbox whose "ready" says anything else, so that a runsc binary from
// another build at runsc_path (one that predates a step of its confinement,
// such as the launcher joining the network namespace that stage 1 hands it)
// never runs a workload. Change the number whenever the sandbox side must
// do something new to stay confined. 3: the launcher kills every other
// process of the container before it reports the main process's exit,
// which a daemon's delete after that exit relies on (Sandbox::Retire).
inline constexpr char kReadyText[] = "serving, boot protocol 3";

struct SyncMessage {
  uint32_t magic;
  SyncType type;
  SetupStage stage;
  int32_t err;     // errno of the failed call, or 0
  int32_t pid;     // kReady with BootConfig.main_fds, kExited: the main process's pid
  char text[996];  // NUL-terminated description
  // kExited: how the main process ended, as waitpid(2) encodes it (read
  // with WIFSIGNALED and the rest). Last, so that the record keeps its
  // size and text its place.
  int32_t wait_status;
};

// The wait status of a process that exited with `code`, or was ended by
// `signal` when `signaled`.
int32_t EncodeWaitStatus(bool signaled, int code, int signal);

// The record, without writing it: plain loops, no library call, so a child
// that may only make raw system calls can use it.
SyncMessage MakeSyncMessage(SyncType type, SetupStage stage, int err, const char* text);

// Async-signal-safe. Returns false if the write failed.
bool WriteSyncRecord(int fd, const SyncMessage& message);
bool WriteSyncMessage(int fd, SyncType type, SetupStage stage, int err,
                      const char* text);

// Sends a kError that carries a Status: its message becomes the text and the
// errno is the one ErrnoError recorded in it (0 if none).
absl::Status SendSyncError(int fd, SetupStage stage, const absl::Status& status);

// Waits up to `timeout` for one message. EOF gives UNAVAILABLE; a timeout
// gives DEADLINE_EXCEEDED; a malformed record gives INTERNAL.
absl::StatusOr<SyncMessage> ReadSyncMessage(int fd, absl::Duration timeout);

// Turns a kError message into a Status naming the stage:
// "sandbox setup failed at stage 'root-tmpfs' (EINVAL): <text>".
absl::Status SyncErrorToStatus(const SyncMessage& message);

// A kError whose text already names what failed (stage kStartMain: the
// launcher's "stage 'exec' (ENOENT): ..."), as that text alone, with the
// code of its errno (FAILED_PRECONDITION without one), as a Start call
// would have answered.
absl::Status SyncTextToStatus(const SyncMessage& message);

}  // namespace runsc::util

#endif  // RUNSC_UTIL_SYNC_MESSAGE_H_
