#include "runsc/process_commands.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "runsc/cli_common.h"
#include "runsc/util/errno_status.h"
#include "runsc/util/file_util.h"
#include "runsc/util/json_string.h"
#include "runsc/util/status_macros.h"
#include "runsc/util/stdio_socket.h"
#include "runsc/util/unique_fd.h"
#include "sandbox/control_client.h"
#include "sandbox/hooks.h"
#include "sandbox/notify_socket.h"
#include "sandbox/sandbox.h"
#include "sandbox/state_store.h"
#include "specutils/capabilities.h"
#include "specutils/oci_spec.h"
#include "specutils/process_override.h"

namespace runsc::cli {

using util::UniqueFd;

namespace {

// runc's rules for a process that detaches: a terminal needs a socket to
// send the master to, and a socket without a terminal is a mistake.
absl::Status CheckConsoleFlags(bool terminal, bool detached, const std::string& console_socket) {
  if (terminal && detached && console_socket.empty()) {
    return absl::InvalidArgumentError(
        "cannot allocate tty if runsc will detach without setting console socket");
  }
  if (!terminal && !console_socket.empty()) {
    return absl::InvalidArgumentError(
        "cannot use console socket if runsc will not detach or allocate tty");
  }
  return absl::OkStatus();
}

absl::Status WritePidFile(const ParsedFlags& f, int pid) {
  if (f.values.count("pid-file") == 0) return absl::OkStatus();
  return util::WriteFileAtomically(f.Get("pid-file"), absl::StrCat(pid), 0644);
}

sandbox::HookState StateFor(const sandbox::Sandbox& box,
                            const runsc::state::v1::SandboxRecord& record, const char* status) {
  sandbox::HookState state;
  state.id = box.id();
  state.status = status;
  state.pid = box.pid();
  state.bundle = record.bundle();
  state.annotations = {record.container().annotations().begin(),
                       record.container().annotations().end()};
  return state;
}

// What create and run share before the sandbox exists: the bundle, with
// the fds to pass and the keyring to join recorded in its process, and
// runc's console rules checked.
struct RuntimeBundle {
  Bundle bundle;
  ExtraFds extra;
  bool terminal = false;
  std::string console_socket;
};

absl::StatusOr<RuntimeBundle> LoadRuntimeBundle(const ParsedFlags& f, bool detached) {
  RuntimeBundle rb;
  ASSIGN_OR_RETURN(rb.bundle, LoadBundleFlag(f));
  ASSIGN_OR_RETURN(rb.extra, ExtraFdsFromFlags(f, /*socket_activation=*/true));
  auto* process = rb.bundle.config.mutable_process();
  rb.extra.ApplyTo(process);
  if (!f.Has("no-new-keyring")) process->set_session_keyring("_ses." + f.positional[0]);
  rb.terminal = process->terminal();
  rb.console_socket = f.Get("console-socket");
  RETURN_IF_ERROR(CheckConsoleFlags(rb.terminal, detached, rb.console_socket));
  return rb;
}

// --pidfd-socket, when given: a pidfd of container process `pid`.
absl::Status SendPidfdIfAsked(const ParsedFlags& f, sandbox::Sandbox& box, int pid) {
  if (f.values.count("pidfd-socket") == 0) return absl::OkStatus();
  return SendPidfd(box, pid, f.Get("pidfd-socket"));
}

// True if something must happen between create and start: a hook of the
// lifecycle, or a notify socket to bind before the process runs.
bool NeedsCreatedState(const runsc::boot::v1::ContainerConfig& config,
                       const std::string& notify_socket) {
  const auto& hooks = config.hooks();
  return hooks.prestart_size() > 0 || hooks.create_runtime_size() > 0 ||
         hooks.create_container_size() > 0 || hooks.start_container_size() > 0 ||
         hooks.poststart_size() > 0 || !notify_socket.empty();
}

// The host pid of the main process, held before its exec: where the hooks
// that run in the container join it. It is in the workloads' user namespace,
// so they run as the container's root, not the launcher's or the host's.
absl::StatusOr<pid_t> HeldMainHostPid(const sandbox::Sandbox& box,
                                      const runsc::state::v1::SandboxRecord& record) {
  ASSIGN_OR_RETURN(const auto pids, box.HostPids());
  const auto it = pids.find(record.main_pid());
  if (it == pids.end()) {
    return absl::FailedPreconditionError(absl::StrCat("the main process (pid ", record.main_pid(),
                                                      ") of container '", box.id(), "' is gone"));
  }
  return it->second;
}

// A create or run that failed once its sandbox existed: the sandbox is
// destroyed and the poststop hooks run, as runc's do, so that what the
// earlier hooks set up (a network, a device) is undone: no `delete` would
// find the container to run them. `lock` is the id's (LockContainer), taken
// again if the run let it go once its process ran: a `runsc delete` in
// between has deleted the container and run the hooks already (and the id
// may be another container's since), as at a foreground run's end.
// Returns the command's exit code.
int FailCreated(const std::string& command, const ParsedFlags& f, sandbox::Sandbox& box,
                UniqueFd* lock, const absl::Status& failed) {
  if (!*lock) {
    absl::StatusOr<UniqueFd> relocked = LockContainer(f, box.id());
    if (relocked.ok()) *lock = *std::move(relocked);
  }
  const runsc::state::v1::SandboxRecord record = box.Record();
  const bool ours = box.RecordOnDisk();
  absl::Status undone = box.Destroy();
  if (undone.ok() && ours) undone = RunPoststopHooks(box.id(), record);
  if (!undone.ok()) Error(command, std::string(undone.message()));
  return Error(command, std::string(failed.message()));
}

// Records the main process, created held, and runs the hooks that `create`
// owes: prestart and createRuntime here, createContainer in the container.
absl::Status FinishCreate(sandbox::Sandbox& box, int main_pid) {
  runsc::state::v1::SandboxRecord record = box.Record();
  record.set_main_pid(main_pid);
  record.set_main_held(true);
  RETURN_IF_ERROR(box.SaveRecord(record));
  const auto& hooks = record.container().hooks();
  const sandbox::HookState state = StateFor(box, record, "creating");
  RETURN_IF_ERROR(sandbox::RunHooks(hooks.prestart(), "hooks.prestart", state));
  RETURN_IF_ERROR(sandbox::RunHooks(hooks.create_runtime(), "hooks.createRuntime", state));
  if (hooks.create_container_size() > 0) {
    ASSIGN_OR_RETURN(pid_t held, HeldMainHostPid(box, record));
    RETURN_IF_ERROR(sandbox::RunHooks(hooks.create_container(), "hooks.createContainer", state,
                                      held, box.cgroup()));
  }
  return absl::OkStatus();
}

// `start`: startContainer hooks in the container, the main process let go,
// then poststart. A failing hook stops the container, as runc does.
// `lock` (LockContainer's), if given, is let go once the process runs.
absl::Status StartCreated(sandbox::Sandbox& box, const runsc::state::v1::SandboxRecord& record,
                          UniqueFd* lock = nullptr) {
  const auto& hooks = record.container().hooks();
  // Bound before the process can run, so no READY=1 is lost.
  std::optional<sandbox::NotifySocket> notify;
  if (!record.notify_socket().empty()) {
    ASSIGN_OR_RETURN(notify, sandbox::NotifySocket::Bind(box.state_dir()));
  }
  auto stop = [&box, &record](absl::Status failed) {
    (void)box.SignalProcess(record.main_pid(), SIGKILL);
    return failed;
  };
  if (hooks.start_container_size() > 0) {
    absl::StatusOr<pid_t> held = HeldMainHostPid(box, record);
    if (!held.ok()) return stop(held.status());
    absl::Status hooked = sandbox::RunHooks(hooks.start_container(), "hooks.startContainer",
                                            StateFor(box, record, "created"), *held, box.cgroup());
    if (!hooked.ok()) return stop(hooked);
  }
  RETURN_IF_ERROR(box.StartHeldMain());
  // Started and recorded: what follows (poststart hooks, the wait for
  // READY=1) may take long, and a delete need not wait for it.
  if (lock != nullptr) lock->reset();
  absl::Status hooked = sandbox::RunHooks(hooks.poststart(), "hooks.poststart",
                                          StateFor(box, record, "running"));
  if (!hooked.ok()) return stop(hooked);
  if (!notify.has_value()) return absl::OkStatus();
  // As runc's start: return once the container says it is ready.
  // Alive by its pidfd (no pid reused meanwhile), and not yet a zombie by
  // /proc; a /proc it cannot read (EMFILE) is no word that it ended.
  return notify->RelayReady(record.notify_socket(), box.pid(), [&box] {
    return box.ProcessAlive() && !absl::IsNotFound(sandbox::ProcessStartTime(box.pid()).status());
  });
}

}  // namespace

constexpr char kCreateUsage[] =
    "Usage: runsc [--root DIR] create [--bundle DIR] [--pid-file FILE]\n"
    "                                 [--console-socket PATH] [--preserve-fds N]\n"
    "                                 [--pidfd-socket PATH] ID\n\n"
    "Creates a sandbox from the OCI bundle (default: the current directory) and\n"
    "its main process, which gets this command's stdin, stdout and stderr (or,\n"
    "with process.terminal, a pty whose master goes to --console-socket), but\n"
    "runs only at `runsc start ID`. --pid-file receives the sandbox process's\n"
    "pid, written atomically: that process lives as long as the container's\n"
    "main process and exits with its status (128+signal when it was killed).\n"
    "Fds 3.. pass through: LISTEN_FDS of them if LISTEN_PID is runsc's own pid\n"
    "(socket activation; the process gets LISTEN_FDS and its own LISTEN_PID),\n"
    "then --preserve-fds N more.\n"
    "--pidfd-socket receives a pidfd of the main process (SCM_RIGHTS).\n";

int CreateCommand(int argc, char** argv) {
  FlagSpec spec;
  spec.with_value = {"bundle", "pid-file", "console-socket", "preserve-fds", "pidfd-socket"};
  spec.booleans = {"no-new-keyring", "no-pivot"};
  spec.aliases = {{"b", "bundle"}};
  int code = 0;
  std::optional<ParsedFlags> f = ParseCommand("create", kCreateUsage, spec, argc, argv, 1, &code);
  if (!f) return code;
  // create always detaches.
  absl::StatusOr<RuntimeBundle> rb = LoadRuntimeBundle(*f, /*detached=*/true);
  if (!rb.ok()) return Error("create", std::string(rb.status().message()));
  // Held to the end: a start or delete of the id waits for the hooks too.
  UniqueFd lock;
  absl::StatusOr<std::unique_ptr<sandbox::Sandbox>> box =
      CreateFromBundle(*f, rb->bundle, false, {}, &lock);
  if (!box.ok()) return Error("create", std::string(box.status().message()));
  // From here a failure destroys the sandbox (~Sandbox).
  std::vector<int> stdio = {0, 1, 2};
  UniqueFd console;
  if (rb->terminal) {
    absl::StatusOr<UniqueFd> connected = ConnectConsoleSocket(rb->console_socket);
    if (!connected.ok()) return Error("create", std::string(connected.status().message()));
    console = std::move(*connected);
    stdio = {console.get()};
  }
  stdio.insert(stdio.end(), rb->extra.fds.begin(), rb->extra.fds.end());
  // Created held, in one packet on the stdio socket: no dial.
  absl::StatusOr<int> pid = sandbox::StartOnStdioSocket(
      (*box)->ControlOnDemand(), (*box)->stdio_socket_path(), stdio, /*hold=*/true);
  console.reset();
  if (!pid.ok()) return Error("create", std::string(pid.status().message()));
  absl::Status created = FinishCreate(**box, *pid);
  if (!created.ok()) return FailCreated("create", *f, **box, &lock, created);
  absl::Status sent = SendPidfdIfAsked(*f, **box, *pid);
  if (!sent.ok()) return FailCreated("create", *f, **box, &lock, sent);
  absl::Status written = WritePidFile(*f, (*box)->pid());
  if (!written.ok()) return FailCreated("create", *f, **box, &lock, written);
  (*box)->Detach();
  return 0;
}

constexpr char kStartUsage[] =
    "Usage: runsc [--root DIR] start ID\n\n"
    "Lets the main process of a sandbox made by `runsc create` run.\n";

int StartCommand(int argc, char** argv) {
  FlagSpec spec;
  int code = 0;
  std::optional<ParsedFlags> f = ParseCommand("start", kStartUsage, spec, argc, argv, 1, &code);
  if (!f) return code;
  const std::string& id = f->positional[0];
  // Not beside a delete, which its record's save could undo, nor another
  // start, which would run the startContainer hooks again.
  absl::StatusOr<UniqueFd> lock = LockContainer(*f, id);
  if (!lock.ok()) return Error("start", std::string(lock.status().message()));
  absl::StatusOr<Attached> attached = Open(*f, id);
  if (absl::IsFailedPrecondition(attached.status())) {
    return Error("start", "cannot start container " + id + " in the stopped state");
  }
  if (!attached.ok()) return Error("start", std::string(attached.status().message()));
  const std::string status = attached->box->ContainerStatus(attached->record);
  absl::Status started =
      status == "created" && attached->record.main_held()
          ? StartCreated(*attached->box, attached->record, &*lock)
          : absl::FailedPreconditionError(absl::StrCat(
                "cannot start container ", id, " in the ", status, " state",
                attached->record.main_pid() == 0 ? " (it was created through the daemon: "
                                                   "start it there)"
                                                 : ""));
  if (!started.ok()) return Error("start", std::string(started.message()));
  return 0;
}

constexpr char kRunUsage[] =
    "Usage: runsc [--root DIR] run [--bundle DIR] [--detach] [--keep] [--pid-file FILE]\n"
    "                              [--console-socket PATH] [--preserve-fds N] ID\n\n"
    "Creates a sandbox from the OCI bundle (default: the current directory) and\n"
    "runs its main process with this terminal or these pipes. In the foreground\n"
    "it forwards signals, deletes the sandbox when the process ends (--keep: leaves\n"
    "it stopped, for state and delete) and exits with its status (128+signal when\n"
    "it was killed). --no-subreaper is taken, as runc's: this command reaps no one\n"
    "but the sandbox it made.\n";

int RunCommand(int argc, char** argv) {
  FlagSpec spec;
  spec.with_value = {"bundle", "pid-file", "console-socket", "preserve-fds", "pidfd-socket"};
  spec.booleans = {"detach", "no-new-keyring", "no-pivot", "keep", "no-subreaper"};
  spec.aliases = {{"b", "bundle"}, {"d", "detach"}};
  int code = 0;
  std::optional<ParsedFlags> f = ParseCommand("run", kRunUsage, spec, argc, argv, 1, &code);
  if (!f) return code;
  SignalForwarder forwarder;  // before any thread exists
  absl::StatusOr<RuntimeBundle> rb = LoadRuntimeBundle(*f, f->Has("detach"));
  if (!rb.ok()) return Error("run", std::string(rb.status().message()));
  // With hooks or a notify socket, created held, then started: the hooks run
  // at their points in between. So with a terminal of ours: the proxy puts
  // it in raw mode and gives the pty its size once the master is here, and
  // the process must not run before. Otherwise nothing happens in between:
  // the main process starts with the sandbox, on our stdio, as soon as the
  // launcher is in the container's cgroups, and nothing here calls the
  // sandbox unless a signal comes (a packet on its stdio socket). Neither
  // way makes a gRPC call.
  const bool hold = NeedsCreatedState(rb->bundle.config, NotifySocket()) || rb->terminal;
  std::vector<int> main_fds;
  if (!hold) {
    main_fds = {0, 1, 2};
    main_fds.insert(main_fds.end(), rb->extra.fds.begin(), rb->extra.fds.end());
  }
  // Before the sandbox, so that it goes after it: an error return ends the
  // sandbox first (~Sandbox), whose end closes the pty that the proxy's
  // destructor waits on.
  Started started;
  UniqueFd lock;  // the create's, until the main process runs
  absl::StatusOr<std::unique_ptr<sandbox::Sandbox>> box =
      CreateFromBundle(*f, rb->bundle, !hold, std::move(main_fds), &lock);
  if (!box.ok()) return Error("run", std::string(box.status().message()));
  if (hold) {
    absl::StatusOr<Started> held =
        StartWithOurStdio(**box, rb->terminal, nullptr, rb->console_socket, true, rb->extra);
    if (!held.ok()) return Error("run", std::string(held.status().message()));
    started = std::move(*held);
    absl::Status created = FinishCreate(**box, started.pid);
    if (!created.ok()) return FailCreated("run", *f, **box, &lock, created);
    absl::Status running = StartCreated(**box, (*box)->Record(), &lock);
    if (!running.ok()) return FailCreated("run", *f, **box, &lock, running);
  } else {
    started.pid = (*box)->Record().main_pid();
  }
  const runsc::state::v1::SandboxRecord record = (*box)->Record();
  absl::Status sent = SendPidfdIfAsked(*f, **box, started.pid);
  if (!sent.ok()) return FailCreated("run", *f, **box, &lock, sent);
  absl::Status written = WritePidFile(*f, (*box)->pid());
  if (!written.ok()) return FailCreated("run", *f, **box, &lock, written);
  lock.reset();  // the container runs: others may act on it now
  if (f->Has("detach")) {
    (*box)->Detach();
    return 0;
  }
  const int exit_code = Foreground(**box, started, forwarder, /*our_main=*/true);
  if (f->Has("keep")) {
    // Stopped, with its state and exit status, until a `runsc delete`.
    (*box)->Detach();
    return exit_code;
  }
  // As a delete: not beside another, and the poststop hooks only if no
  // `runsc delete` has deleted it (and run them) meanwhile.
  absl::StatusOr<UniqueFd> teardown_lock = LockContainer(*f, (*box)->id());
  const bool ours = (*box)->RecordOnDisk();
  absl::Status destroyed = (*box)->Destroy();
  if (destroyed.ok() && ours) destroyed = RunPoststopHooks((*box)->id(), record);
  if (!destroyed.ok()) Error("run", std::string(destroyed.message()));
  return exit_code;
}

namespace {

// A command line's arguments, --env and --cwd are bytes, but a process goes
// to the sandbox in protobuf strings, which must be UTF-8: one that is not
// is refused here, named, instead of becoming a packet the sandbox cannot
// read. (A config.json or --process FILE is JSON, and so UTF-8 already.)
absl::Status RequireUtf8(const specutils::ProcessOverrides& overrides) {
  constexpr char kWhy[] = " is not UTF-8 text, which is how runsc carries a process";
  for (size_t i = 0; i < overrides.args.size(); ++i) {
    if (!util::IsValidUtf8(overrides.args[i])) {
      return absl::InvalidArgumentError(absl::StrCat("argument ", i + 1, kWhy));
    }
  }
  for (size_t i = 0; i < overrides.env.size(); ++i) {
    if (!util::IsValidUtf8(overrides.env[i])) {
      return absl::InvalidArgumentError(absl::StrCat("--env value ", i + 1, kWhy));
    }
  }
  if (!util::IsValidUtf8(overrides.cwd))
    return absl::InvalidArgumentError(absl::StrCat("--cwd", kWhy));
  return absl::OkStatus();
}

// The process `exec` runs: from --process FILE (the container's seccomp
// program applies, as runc's), or the main process with the command line's
// args, env, cwd and user; then --cap and --no-new-privs on top.
absl::StatusOr<runsc::boot::v1::ProcessConfig> ExecProcess(
    const ParsedFlags& f, const runsc::boot::v1::ProcessConfig& main) {
  runsc::boot::v1::ProcessConfig process;
  if (f.values.count("process") != 0) {
    const std::string file = f.Get("process");
    ASSIGN_OR_RETURN(std::string json, util::ReadRegularFile(file, specutils::kMaxSpecFileBytes, 0,
                                                             /*pipes_too=*/true));
    ASSIGN_OR_RETURN(runsc::oci::v1::Process parsed, specutils::ParseProcessJson(json, file));
    ASSIGN_OR_RETURN(process, specutils::ToProcessConfig(parsed, false, {}, "process"));
    // What the file cannot say is the container's: its seccomp program and
    // execution domain.
    *process.mutable_seccomp() = main.seccomp();
    if (main.has_personality()) process.set_personality(main.personality());
  } else {
    specutils::ProcessOverrides overrides;
    overrides.args.assign(f.positional.begin() + 1, f.positional.end());
    if (auto it = f.values.find("env"); it != f.values.end()) overrides.env = it->second;
    overrides.cwd = f.Get("cwd");
    overrides.terminal = f.Has("tty");
    if (std::string user = f.Get("user"); !user.empty()) {
      std::pair<std::string, std::string> ug = absl::StrSplit(user, absl::MaxSplits(':', 1));
      uint32_t uid, gid;
      if (!absl::SimpleAtoi(ug.first, &uid) ||
          (!ug.second.empty() && !absl::SimpleAtoi(ug.second, &gid))) {
        return absl::InvalidArgumentError("--user: '" + user +
                                          "' is not UID or UID:GID (numbers)");
      }
      overrides.uid = uid;
      if (!ug.second.empty()) overrides.gid = gid;
    }
    // runc's -g: repeated, or a comma-separated list; added to the main
    // process's, as runc appends them.
    if (auto it = f.values.find("additional-gids"); it != f.values.end()) {
      overrides.additional_gids.assign(main.additional_gids().begin(),
                                       main.additional_gids().end());
      for (const std::string& value : it->second) {
        for (absl::string_view one : absl::StrSplit(value, ',', absl::SkipEmpty())) {
          uint32_t gid;
          if (!absl::SimpleAtoi(one, &gid)) {
            return absl::InvalidArgumentError(
                absl::StrCat("--additional-gids: '", one, "' is not a gid (a number)"));
          }
          overrides.additional_gids.push_back(gid);
        }
      }
    }
    RETURN_IF_ERROR(RequireUtf8(overrides));
    ASSIGN_OR_RETURN(process, specutils::OverrideProcess(main, overrides));
  }
  if (auto it = f.values.find("cap"); it != f.values.end()) {
    ASSIGN_OR_RETURN(uint64_t added, specutils::CapabilityMask(it->second, "--cap"));
    auto* caps = process.mutable_capabilities();
    caps->set_bounding(caps->bounding() | added);
    caps->set_effective(caps->effective() | added);
    caps->set_permitted(caps->permitted() | added);
  }
  if (f.Has("no-new-privs")) process.set_no_new_privileges(true);
  // runc's labels for the process: refused, as a spec's are, where the
  // host enforces them and runsc would run the process without.
  if (auto it = f.values.find("apparmor"); it != f.values.end() && !it->second.empty()) {
    process.set_apparmor_profile(it->second.back());
  }
  if (auto it = f.values.find("process-label"); it != f.values.end() && !it->second.empty()) {
    process.set_selinux_label(it->second.back());
  }
  RETURN_IF_ERROR(sandbox::CheckSecurityLabels(process));
  // As runc's: an exec'd process does not join the container's keyring (it
  // gets an anonymous one of its own).
  process.clear_session_keyring();
  return process;
}

// The waiter of a detached exec with --pid-file, once its process runs:
// tells the detaching parent the pid, and lets go of the caller's stdio,
// which the process holds now. The waiter's own pid is the one the caller
// (a subreaper such as containerd's shim or conmon) waits on; the signals
// it forwards reach the process.
absl::Status ReportStarted(UniqueFd report, int pid) {
  if (write(report.get(), &pid, sizeof(pid)) != sizeof(pid)) {
    return absl::UnavailableError("the detaching parent went away");
  }
  UniqueFd null(open("/dev/null", O_RDWR | O_CLOEXEC));
  for (int fd = 0; fd < 3 && null; ++fd) dup2(null.get(), fd);
  return absl::OkStatus();
}

}  // namespace

constexpr char kExecUsage[] =
    "Usage: runsc [--root DIR] exec [--process FILE] [-t] [-d] [--pid-file FILE]\n"
    "             [--console-socket PATH] [--cwd DIR] [--env K=V]... [--user UID[:GID]]\n"
    "             [--additional-gids GID[,GID...]]... [--cap CAP]... [--no-new-privs]\n"
    "             [--preserve-fds N] ID [CMD [ARGS...]]\n\n"
    "Runs CMD (or the process that --process FILE describes, as containerd's shim\n"
    "writes it) in the running sandbox ID, with this terminal or these pipes,\n"
    "and exits with its status. Confinement (capabilities, seccomp, limits) is\n"
    "the main process's unless the process file says otherwise. --pid-file names\n"
    "a host process that lives as long as the exec'd one, forwards signals to it\n"
    "and exits with its status: this command, or with --detach one it leaves.\n";

namespace {

// runc's status for an exec that failed (1.1 and later), so that a caller
// can tell it from a command that exited 1. A usage error is still 1.
constexpr int kExecFailed = 255;

int ExecFailed(const std::string& message) {
  (void)Error("exec", message);
  return kExecFailed;
}

}  // namespace

int ExecCommand(int argc, char** argv) {
  FlagSpec spec;
  spec.with_value = {
      "cwd", "env",           "user",     "process",      "pid-file",     "console-socket",
      "cap", "process-label", "apparmor", "preserve-fds", "pidfd-socket", "additional-gids"};
  spec.booleans = {"tty", "detach", "no-new-privs"};
  spec.aliases = {
      {"t", "tty"}, {"d", "detach"},         {"e", "env"}, {"u", "user"}, {"p", "process"},
      {"c", "cap"}, {"g", "additional-gids"}};
  absl::StatusOr<ParsedFlags> f = ParseFlags(argc, argv, WithRoot(spec));
  if (!f.ok()) return Error("exec", std::string(f.status().message()));
  if (f->Has("help")) return Usage(kExecUsage);
  const bool from_file = f->values.count("process") != 0;
  if (f->positional.empty() || (!from_file && f->positional.size() < 2)) {
    return Error("exec", "requires an id and a command (or --process FILE)");
  }
  if (from_file && f->positional.size() > 1) {
    return Error("exec", "--process FILE and a command line are mutually exclusive");
  }
  absl::StatusOr<ExtraFds> extra = ExtraFdsFromFlags(*f, /*socket_activation=*/false);
  if (!extra.ok()) return ExecFailed(std::string(extra.status().message()));
  SignalForwarder forwarder;  // before any thread exists
  const bool detach = f->Has("detach");
  const bool waiter = detach && f->values.count("pid-file") != 0;
  // The waiter forks before any thread exists; the parent only reports.
  UniqueFd report;
  if (waiter) {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
      return ExecFailed(util::ErrnoError(errno, "socketpair").ToString());
    }
    UniqueFd parent_end(sv[0]), child_end(sv[1]);
    const pid_t child = fork();
    if (child < 0) return ExecFailed(util::ErrnoError(errno, "fork").ToString());
    if (child > 0) {
      child_end.reset();
      int pid = 0;
      if (read(parent_end.get(), &pid, sizeof(pid)) == sizeof(pid)) {
        absl::Status written = WritePidFile(*f, child);
        return written.ok() ? 0 : ExecFailed(std::string(written.message()));
      }
      // The child failed, and said why; its status is ours.
      int status = 0;
      waitpid(child, &status, 0);
      return WIFEXITED(status) && WEXITSTATUS(status) != 0 ? WEXITSTATUS(status) : kExecFailed;
    }
    parent_end.reset();
    report = std::move(child_end);
  }
  absl::StatusOr<Attached> attached = Open(*f, f->positional[0]);
  if (!attached.ok()) return ExecFailed(std::string(attached.status().message()));
  // Its launcher, which would start the process, is frozen with it (runc
  // refuses too).
  if (attached->box->ContainerStatus(attached->record) == "paused") {
    return ExecFailed(absl::StrCat("cannot exec in a paused container '", f->positional[0],
                                   "'; resume it first"));
  }
  absl::StatusOr<runsc::boot::v1::ProcessConfig> process =
      ExecProcess(*f, attached->record.container().process());
  if (!process.ok()) return ExecFailed(std::string(process.status().message()));
  absl::Status ids = specutils::CheckIdsMapped(
      attached->record.container(), *process,
      from_file ? specutils::IdFields{"process.user.uid", "process.user.gid",
                                      "process.user.additionalGids"}
                : specutils::IdFields{"--user", "--user's gid", "--additional-gids"});
  if (!ids.ok()) return ExecFailed(std::string(ids.message()));
  extra->ApplyTo(&*process);
  const std::string console_socket = f->Get("console-socket");
  absl::Status flags = CheckConsoleFlags(process->terminal(), detach, console_socket);
  if (!flags.ok()) return ExecFailed(std::string(flags.message()));
  // Where the pid file names this process (or the waiter) as the exec'd
  // one, a kill of it (containerd's, podman's, at an exec's timeout) must
  // end the exec'd one: SIGKILL cannot be forwarded, so the sandbox kills
  // the process once our connection ends before its exit.
  const bool stands_for_it = waiter || (!detach && f->values.count("pid-file") != 0);
  absl::StatusOr<Started> started =
      StartWithOurStdio(*attached->box, process->terminal(), &*process, console_socket, false,
                        *extra, /*kill_on_hangup=*/stands_for_it);
  if (!started.ok()) return ExecFailed(std::string(started.status().message()));
  // A process whose caller is told the exec failed does not run on: nothing
  // would wait for it or name it (runc's neither).
  auto abandon = [&](const absl::Status& failed) {
    (void)attached->box->SignalProcess(started->pid, SIGKILL);
    return ExecFailed(std::string(failed.message()));
  };
  absl::Status sent = SendPidfdIfAsked(*f, *attached->box, started->pid);
  if (!sent.ok()) return abandon(sent);
  if (waiter) {
    absl::Status reported = ReportStarted(std::move(report), started->pid);
    if (!reported.ok()) return abandon(reported);
  } else if (!detach) {
    // In the foreground this command is the host process that lives as long
    // as the exec'd one (runc too writes the file either way).
    absl::Status written = WritePidFile(*f, getpid());
    if (!written.ok()) return abandon(written);
  }
  int code = 0;
  if (!detach || waiter) code = Foreground(*attached->box, *started, forwarder);
  return code;
}

}  // namespace runsc::cli
