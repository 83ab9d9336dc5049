// `runsc daemon`: serves runsc.api.v1.Sandboxes, grpc.health.v1.Health and
// server reflection on a unix socket (default /run/runsc/runsc.sock, mode
// 0660), or on the socket systemd passes (LISTEN_FDS/LISTEN_PID). It accepts
// connections itself and checks each peer's credentials (SO_PEERCRED): root
// and members of --group reach the API; everyone else gets PERMISSION_DENIED
// on every call. TCP is not offered. SIGTERM/SIGINT stop it gracefully;
// sandboxes keep running (and are re-attached by the next daemon) unless
// --delete-on-exit.
#ifndef RUNSC_RUNSC_DAEMON_H_
#define RUNSC_RUNSC_DAEMON_H_

#include <string>

namespace runsc::cli {

struct DaemonOptions {
  std::string socket_path = "/run/runsc/runsc.sock";
  std::string group;  // allowed group (name); empty: root only
  std::string state_root = "/run/runsc";
  std::string runsc_path = "/proc/self/exe";
  int max_sandboxes = 1024;
  int warm_sandboxes = 0;  // spawned ahead of creates (sandbox/warm_pool.h)
  int reclaim_ahead = 16;  // deletes answered before their teardown (sandbox/reclaimer.h)
  int max_message_bytes = 16 << 20;
  // Execs running at once through each socket's service (root's, the
  // group's); one more is RESOURCE_EXHAUSTED.
  int max_execs = 1024;
  // What the Runs and RunSandboxes under way through each service may hold
  // of the daemon's memory together: each counts its stdin twice and each
  // stream's cap twice. One that would go over is RESOURCE_EXHAUSTED.
  uint64_t max_run_bytes = uint64_t{4} << 30;
  // Bytes of a main process's output kept in its console log (0: all).
  uint64_t console_log_limit = 8 << 20;
  bool delete_on_exit = false;
  // The binary the sandboxes run, copied onto a tmpfs of huge pages
  // (runsc/util/huge_page_binary.h: in a mount namespace of the daemon's
  // own, or under the state root): "auto" where it can be mounted safely,
  // else from disk; "on" the same, or fail; "off" from disk.
  std::string binary_on_huge_pages = "auto";
};

// argv[0] is "daemon". Returns the exit code.
int DaemonMain(int argc, char** argv);

// Runs the daemon until SIGTERM/SIGINT; returns the exit code.
int RunDaemon(const DaemonOptions& options);

}  // namespace runsc::cli

#endif  // RUNSC_RUNSC_DAEMON_H_
