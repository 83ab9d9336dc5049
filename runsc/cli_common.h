// What the runc-style commands share: the command prologue (flags, --help,
// positional ids), error reporting in runc's manner (stderr, and the --log
// file that containerd's shim reads), loading a bundle, attaching to a
// sandbox, and running a process with the caller's stdio or terminal.
#ifndef RUNSC_RUNSC_CLI_COMMON_H_
#define RUNSC_RUNSC_CLI_COMMON_H_

#include <termios.h>

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "proto/boot.pb.h"
#include "proto/control.pb.h"
#include "proto/state.pb.h"
#include "runsc/flags.h"
#include "runsc/util/unique_fd.h"
#include "sandbox/sandbox.h"

namespace runsc::cli {

// Adds --root (forwarded to every command by main()) and --help to `spec`.
const FlagSpec& WithRoot(FlagSpec& spec);
// The state root: --root, or /run/runsc.
std::string Root(const ParsedFlags& f);

// Reports `message` as runc does and returns the exit code 1.
int Error(const std::string& command, const std::string& message);
// Prints `text` and returns 0.
int Usage(const char* text);

// The common start of a command: its flags (with --root and --help, before
// or after the ids, as runc's), its usage on --help, and exactly `ids`
// positional arguments. Empty when the
// command is over already, with its exit code in *exit_code.
std::optional<ParsedFlags> ParseCommand(const char* name, const char* usage, FlagSpec spec,
                                        int argc, char** argv, size_t ids, int* exit_code);

// A signal by name ("KILL", "SIGKILL") or number.
absl::StatusOr<int> SignalNumber(const std::string& name);

// An OCI bundle as `run` and `create` take it: --bundle (default: the
// current directory), resolved, and its config.json translated.
struct Bundle {
  std::string path;
  runsc::boot::v1::ContainerConfig config;
};
absl::StatusOr<Bundle> LoadBundleFlag(const ParsedFlags& f);

// The caller's NOTIFY_SOCKET, or empty.
std::string NotifySocket();

// The global --binary-cache: the directory of the copy of this binary that
// the CLI's sandboxes run (runsc/util/binary_cache.h), or "off".
void SetBinaryCache(std::string dir);
// The binary a sandbox the CLI creates runs: the copy, made now if needed,
// or this binary itself where there is none (logged at debug level).
std::string SandboxBinary();

// The sandbox for `bundle`, named by the command's one positional argument,
// in runtime mode: it ends with its main process. With `start_main`, the
// main process is running on `main_fds` (its stdio and extra fds) when it
// returns, and the record holds its pid (SandboxOptions::start_main).
// `state_lock`, if given, receives the create's lock on the state directory
// (LockContainer's): the caller holds it while it runs the create hooks.
absl::StatusOr<std::unique_ptr<sandbox::Sandbox>> CreateFromBundle(
    const ParsedFlags& f, const Bundle& bundle, bool start_main = false,
    std::vector<int> main_fds = {}, util::UniqueFd* state_lock = nullptr);

// A live sandbox and its record. A command that attached never ends the
// sandbox by returning, on any path: only an explicit Destroy() does.
struct Attached {
  Attached(std::unique_ptr<sandbox::Sandbox> b, runsc::state::v1::SandboxRecord r)
      : box(std::move(b)), record(std::move(r)) {}
  Attached(Attached&&) = default;
  Attached& operator=(Attached&&) = default;
  ~Attached() {
    if (box != nullptr) box->Detach();
  }
  std::unique_ptr<sandbox::Sandbox> box;
  runsc::state::v1::SandboxRecord record;
};
absl::StatusOr<Attached> Open(const ParsedFlags& f, const std::string& id);
// Open for a command that needs the container alive: a stopped one is
// FAILED_PRECONDITION "container not running", runc's words (which
// containerd's shim takes for "already finished").
absl::StatusOr<Attached> OpenRunning(const ParsedFlags& f, const std::string& id);

// Whether the container `box` holds (as `record` has it) has ended since it
// was opened: its sandbox process has, or its main process (the launcher,
// in the runtime CLI's containers, ends with it). A signal or an exec's
// wait that then finds nobody says so in runc's words.
bool ContainerEnded(const sandbox::Sandbox& box, const runsc::state::v1::SandboxRecord& record);
// Serialises the commands that change a container (start, delete) with
// each other and with its create: a flock on its state directory, waited
// for up to `wait` (DEADLINE_EXCEEDED naming it). An empty fd when there
// is no such directory: the command then finds nothing, as it would have.
absl::StatusOr<util::UniqueFd> LockContainer(const ParsedFlags& f, const std::string& id,
                                             absl::Duration wait = absl::Seconds(30));

// Copies between our terminal and a pty master until the master closes.
class PtyProxy {
 public:
  explicit PtyProxy(util::UniqueFd master);
  // Once the process has exited: copies what the terminal still has, until
  // it is quiet for 100 ms (at most a second; a process it left behind may
  // hold the terminal for good, and runc's ends there too), then restores
  // ours.
  ~PtyProxy();
  void Resize();

 private:
  void Loop();
  util::UniqueFd master_;
  util::UniqueFd done_;  // an eventfd: the process has exited
  struct termios saved_ = {};
  bool raw_ = false;
  std::thread thread_;
};

// The fds a process takes beyond stdio, as runc passes them: LISTEN_FDS
// sockets (from our environment, for socket activation), then
// --preserve-fds N more; together they must be open here as 3, 4, ...
struct ExtraFds {
  uint32_t listen = 0;
  uint32_t preserve = 0;
  std::vector<int> fds;  // 3 .. 3+listen+preserve-1
  // Records the counts in `process` (ProcessConfig.extra_fds, listen_fds).
  void ApplyTo(runsc::boot::v1::ProcessConfig* process) const;
};
// --preserve-fds, and with `socket_activation` (create and run, as runc's)
// LISTEN_FDS, when LISTEN_PID names this process (else it was meant for
// another, and is not ours to pass on).
absl::StatusOr<ExtraFds> ExtraFdsFromFlags(const ParsedFlags& f, bool socket_activation);

// A process started with our stdio (StartWithOurStdio).
struct Started {
  int pid = 0;
  util::UniqueFd exit_conn;  // an exec's: its exit comes on it (ExecOnStdioSocket)
  std::unique_ptr<PtyProxy> proxy;
  util::UniqueFd console;  // our end, until the master arrives
};

// Hands our stdio to the sandbox and starts the process: `process` null
// means the main process. With `terminal`, the pty master goes to
// `console_socket` when one is named, else to us, and we proxy it.
// `hold` (main process only) creates it stopped before its exec, for a
// later Sandbox::StartHeldMain. `kill_on_hangup` (an exec only): the end of
// `exit_conn` before its exit kills the process.
absl::StatusOr<Started> StartWithOurStdio(sandbox::Sandbox& box, bool terminal,
                                          const runsc::boot::v1::ProcessConfig* process,
                                          const std::string& console_socket = "", bool hold = false,
                                          const ExtraFds& extra = {}, bool kill_on_hangup = false);

// Connects to the console socket a caller (conmon, containerd's shim, a
// test) listens on: the pty master of the process goes there.
absl::StatusOr<util::UniqueFd> ConnectConsoleSocket(const std::string& path);

// --pidfd-socket: sends a pidfd of container process `pid` (its container
// pid) to the AF_UNIX socket at `path`, with SCM_RIGHTS, as runc does.
absl::Status SendPidfd(sandbox::Sandbox& box, int pid, const std::string& path);

// Forwards every signal another process may send (as runc) to `pid` until
// Stop(); SIGWINCH resizes the proxied terminal. Construct it before any
// thread exists.
class SignalForwarder {
 public:
  SignalForwarder();
  // Forwards to `pid` over `box`'s stdio socket (a sandbox of an older
  // build through its control client): no dial. `box` must outlive Stop().
  void Run(sandbox::Sandbox& box, int pid, PtyProxy* proxy);
  void Stop();
  // Forwards to `pid` on this thread until `box`'s sandbox process exits:
  // no thread to make and join, for a foreground sandbox with no terminal.
  void ForwardUntilExit(sandbox::Sandbox& box, int pid);

 private:
  // Passes `sig` on to `pid`, or resizes `proxy`'s terminal for SIGWINCH.
  static void Forward(sandbox::Sandbox& box, int pid, PtyProxy* proxy, int sig);

  sigset_t set_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// A process's status as a shell reports it: the code, or 128+signal.
int ShellCode(const runsc::control::v1::ExitStatus& s);

// Runs a started process in the foreground: forwards signals, waits, and
// returns its shell exit code. The main process of a sandbox we spawned is
// waited for through the sandbox process, which exits with its status.
int Foreground(sandbox::Sandbox& box, Started& started, SignalForwarder& forwarder,
               bool our_main = false);

// Runs the poststop hooks of the container `record` describes, once it is
// gone.
absl::Status RunPoststopHooks(const std::string& id,
                              const runsc::state::v1::SandboxRecord& record);

}  // namespace runsc::cli

#endif  // RUNSC_RUNSC_CLI_COMMON_H_
