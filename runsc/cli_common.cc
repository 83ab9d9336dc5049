#include "runsc/cli_common.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "google/protobuf/wrappers.pb.h"
#include "runsc/util/binary_cache.h"
#include "runsc/util/errno_status.h"
#include "runsc/util/file_util.h"
#include "runsc/util/log.h"
#include "runsc/util/packet.h"
#include "runsc/util/status_macros.h"
#include "runsc/util/stdio_socket.h"
#include "runsc/util/unix_address.h"
#include "sandbox/bundle.h"
#include "sandbox/control_client.h"
#include "sandbox/hooks.h"
#include "sandbox/state_store.h"
#include "specutils/sandbox_id.h"

namespace runsc::cli {

using util::UniqueFd;

const FlagSpec& WithRoot(FlagSpec& spec) {
  spec.with_value.insert("root");
  spec.booleans.insert("help");
  spec.booleans.insert("systemd-cgroup");
  spec.aliases.emplace("h", "help");
  return spec;
}

std::string Root(const ParsedFlags& f) { return f.Get("root", "/run/runsc"); }

int Error(const std::string& command, const std::string& message) {
  fprintf(stderr, "runsc %s: %s\n", command.c_str(), message.c_str());
  // Callers such as containerd's shim read the last error from --log.
  if (util::HasLogFile()) util::Log(util::LogLevel::kError, "runsc " + command, message);
  return 1;
}

int Usage(const char* text) {
  printf("%s", text);
  return 0;
}

std::optional<ParsedFlags> ParseCommand(const char* name, const char* usage, FlagSpec spec,
                                        int argc, char** argv, size_t ids, int* exit_code) {
  // Flags may follow the id too (`delete ID --force`), as runc's commands
  // other than exec and ps take them.
  absl::StatusOr<ParsedFlags> f = ParseFlags(argc, argv, WithRoot(spec), kNoPassthrough);
  if (!f.ok()) {
    *exit_code = Error(name, std::string(f.status().message()));
    return std::nullopt;
  }
  if (f->Has("help")) {
    *exit_code = Usage(usage);
    return std::nullopt;
  }
  if (f->positional.size() != ids) {
    *exit_code = Error(name, ids == 1 ? "requires exactly one argument: the id"
                                      : absl::StrCat("requires exactly ", ids, " arguments"));
    return std::nullopt;
  }
  return std::move(*f);
}

absl::StatusOr<int> SignalNumber(const std::string& name) {
  int n;
  if (absl::SimpleAtoi(name, &n)) {
    if (n > 0 && n < 65) return n;
  } else {
    // As runc takes them: any case, with or without "SIG".
    std::string s = absl::AsciiStrToUpper(name);
    if (s.rfind("SIG", 0) == 0) s = s.substr(3);
    for (int sig = 1; sig < 65; ++sig) {
      const char* abbrev = sigabbrev_np(sig);
      if (abbrev != nullptr && s == abbrev) return sig;
    }
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown signal \"", name, "\""));
}

absl::StatusOr<Bundle> LoadBundleFlag(const ParsedFlags& f) {
  const std::string given = f.Get("bundle", ".");
  char resolved[PATH_MAX];
  if (realpath(given.c_str(), resolved) == nullptr) {
    return absl::InvalidArgumentError("bundle '" + given + "': " + strerror(errno));
  }
  absl::StatusOr<runsc::boot::v1::ContainerConfig> config = sandbox::LoadBundle(resolved);
  if (!config.ok()) return config.status();
  // A type the spec does not list is the runtime's own, as with runc
  // (podman's --network=host, --ipc=host, --uts=host): joined as a path to
  // ours would be. A sandbox's pid 1 is its launcher, in a PID namespace of
  // its own: --pid=host cannot be given.
  for (const std::string& type : config->unlisted_namespaces()) {
    if (type == "pid") {
      return absl::InvalidArgumentError(
          "linux.namespaces: no pid namespace listed, which means the host's; runsc always gives "
          "a container a PID namespace of its own");
    }
    std::string* path = type == "network" ? config->mutable_network_ns_path()
                        : type == "ipc"   ? config->mutable_ipc_ns_path()
                                          : config->mutable_uts_ns_path();
    *path = absl::StrCat("/proc/self/ns/", type == "network" ? "net" : type);
  }
  config->clear_unlisted_namespaces();
  return Bundle{resolved, *std::move(config)};
}

namespace {
std::string& BinaryCacheDir() {
  static auto* dir = new std::string(util::kDefaultBinaryCache);
  return *dir;
}
}  // namespace

void SetBinaryCache(std::string dir) { BinaryCacheDir() = std::move(dir); }

std::string SandboxBinary() {
  constexpr char kSelf[] = "/proc/self/exe";
  if (BinaryCacheDir() == "off") return kSelf;
  absl::StatusOr<std::string> copy = util::CachedBinary(kSelf, BinaryCacheDir());
  if (!copy.ok()) {
    util::Log(util::LogLevel::kDebug, "runsc",
              absl::StrCat("sandboxes run the binary itself: ", copy.status().message()));
    return kSelf;
  }
  return *copy;
}

std::string NotifySocket() {
  const char* notify = getenv("NOTIFY_SOCKET");
  return notify != nullptr ? notify : "";
}

absl::StatusOr<std::unique_ptr<sandbox::Sandbox>> CreateFromBundle(const ParsedFlags& f,
                                                                   const Bundle& bundle,
                                                                   bool start_main,
                                                                   std::vector<int> main_fds,
                                                                   UniqueFd* state_lock) {
  if (f.Has("systemd-cgroup") && access("/run/systemd/system", F_OK) != 0) {
    return absl::FailedPreconditionError(
        "--systemd-cgroup: systemd is not running on this host (no /run/systemd/system); "
        "leave the flag out (podman: --cgroup-manager cgroupfs)");
  }
  sandbox::SandboxOptions options;
  options.id = f.positional[0];
  options.state_root = Root(f);
  options.container = bundle.config;
  options.bundle = bundle.path;
  // As runc's: the sandbox process (the pid-file's) ends with the container.
  options.exit_with_main = true;
  options.notify_socket = NotifySocket();
  options.start_main = start_main;
  options.main_fds = std::move(main_fds);
  options.runsc_path = SandboxBinary();
  options.state_lock = state_lock;
  return sandbox::Sandbox::Create(options);
}

absl::StatusOr<Attached> Open(const ParsedFlags& f, const std::string& id) {
  absl::StatusOr<std::unique_ptr<sandbox::Sandbox>> box = sandbox::Sandbox::Attach(Root(f), id);
  if (!box.ok()) return box.status();
  runsc::state::v1::SandboxRecord record = (*box)->Record();
  return Attached{std::move(*box), std::move(record)};
}

absl::StatusOr<Attached> OpenRunning(const ParsedFlags& f, const std::string& id) {
  absl::StatusOr<Attached> attached = Open(f, id);
  if (absl::IsFailedPrecondition(attached.status())) {
    // containerd's shim looks for "container not running".
    return absl::FailedPreconditionError(absl::StrCat("container not running: ", id));
  }
  return attached;
}

bool ContainerEnded(const sandbox::Sandbox& box, const runsc::state::v1::SandboxRecord& record) {
  return !box.ProcessAlive() || box.ContainerStatus(record) == "stopped";
}

absl::StatusOr<UniqueFd> LockContainer(const ParsedFlags& f, const std::string& id,
                                       absl::Duration wait) {
  RETURN_IF_ERROR(specutils::ValidateSandboxId(id));
  absl::StatusOr<UniqueFd> lock = sandbox::LockStateDir(absl::StrCat(Root(f), "/", id), wait);
  if (absl::IsNotFound(lock.status())) return UniqueFd();
  if (util::ErrnoOf(lock.status()) == EWOULDBLOCK) {
    return absl::DeadlineExceededError(absl::StrCat("container ", id,
                                                    " is busy: another command on it has not "
                                                    "finished in ",
                                                    absl::FormatDuration(wait)));
  }
  return lock;
}

PtyProxy::PtyProxy(UniqueFd master) : master_(std::move(master)), done_(eventfd(0, EFD_CLOEXEC)) {
  if (isatty(0) && tcgetattr(0, &saved_) == 0) {
    struct termios raw = saved_;
    cfmakeraw(&raw);
    raw_ = tcsetattr(0, TCSANOW, &raw) == 0;
  }
  Resize();
  thread_ = std::thread([this] { Loop(); });
}

PtyProxy::~PtyProxy() {
  // (Without an eventfd, the loop ends only as it did before the drain
  // existed: at the terminal's EIO.)
  const uint64_t one = 1;
  if (done_) (void)!write(done_.get(), &one, sizeof(one));
  thread_.join();
  if (raw_) tcsetattr(0, TCSANOW, &saved_);
}

void PtyProxy::Resize() {
  struct winsize size;
  if (isatty(0) && ioctl(0, TIOCGWINSZ, &size) == 0) ioctl(master_.get(), TIOCSWINSZ, &size);
}

void PtyProxy::Loop() {
  // The terminal's side never blocks this loop: a process that holds the
  // terminal and reads nothing would otherwise keep input in a write that
  // never returns, and this thread from seeing the exit.
  fcntl(master_.get(), F_SETFL, fcntl(master_.get(), F_GETFL) | O_NONBLOCK);
  char buf[8192];
  std::string pending;  // input the terminal has not taken yet
  bool stdin_open = true;
  std::optional<absl::Time> drain_until;  // set once the process has exited
  for (;;) {
    int wait_ms = -1;
    if (drain_until.has_value()) {
      const absl::Duration left = *drain_until - absl::Now();
      if (left <= absl::ZeroDuration()) return;
      wait_ms = static_cast<int>(std::min<int64_t>(100, absl::ToInt64Milliseconds(left) + 1));
    }
    const short master_events = POLLIN | (pending.empty() || drain_until ? 0 : POLLOUT);
    struct pollfd fds[3] = {
        {master_.get(), master_events, 0}, {done_.get(), POLLIN, 0}, {0, POLLIN, 0}};
    // Draining: the terminal alone (the eventfd stays readable). Input is
    // read only once the last is written.
    const int nfds = drain_until ? 1 : stdin_open && pending.empty() ? 3 : 2;
    const int ready = poll(fds, nfds, wait_ms);
    if (ready < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (ready == 0) return;  // quiet for 100 ms after the exit
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = read(master_.get(), buf, sizeof(buf));
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      if (n <= 0) return;  // EIO: the terminal's last process is gone
      if (write(1, buf, static_cast<size_t>(n)) < 0) return;
    }
    if ((fds[0].revents & POLLOUT) && !pending.empty()) {
      ssize_t n = write(master_.get(), pending.data(), pending.size());
      if (n > 0) {
        pending.erase(0, static_cast<size_t>(n));
      } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
        pending.clear();
        stdin_open = false;
      }
    }
    if (nfds > 1 && (fds[1].revents & POLLIN) && !drain_until) {
      drain_until = absl::Now() + absl::Seconds(1);
    }
    if (nfds > 2 && fds[2].revents != 0) {  // POLLNVAL too: read says EBADF
      ssize_t n = read(0, buf, sizeof(buf));
      if (n <= 0) {
        stdin_open = false;
      } else {
        pending.assign(buf, static_cast<size_t>(n));
      }
    }
  }
}

void ExtraFds::ApplyTo(runsc::boot::v1::ProcessConfig* process) const {
  process->set_extra_fds(static_cast<uint32_t>(fds.size()));
  process->set_listen_fds(listen);
}

absl::StatusOr<ExtraFds> ExtraFdsFromFlags(const ParsedFlags& f, bool socket_activation) {
  ExtraFds extra;
  const char* listen = socket_activation ? getenv("LISTEN_FDS") : nullptr;
  const char* listen_pid = getenv("LISTEN_PID");
  int owner = 0;
  if (listen != nullptr && *listen != '\0' && listen_pid != nullptr &&
      absl::SimpleAtoi(listen_pid, &owner) && owner == getpid()) {
    if (!absl::SimpleAtoi(listen, &extra.listen)) {
      return absl::InvalidArgumentError(absl::StrCat("LISTEN_FDS: '", listen, "' is not a count"));
    }
  }
  const std::string preserve = f.Get("preserve-fds", "0");
  if (!absl::SimpleAtoi(preserve, &extra.preserve)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--preserve-fds: '", preserve, "' is not a count"));
  }
  const uint32_t total = extra.listen + extra.preserve;
  // Stdio (at most 3) and these travel in one message.
  if (total > static_cast<uint32_t>(util::kMaxPacketFds - 3)) {
    return absl::InvalidArgumentError(absl::StrCat("--preserve-fds and LISTEN_FDS: ", total,
                                                   " fds; at most ", util::kMaxPacketFds - 3));
  }
  for (uint32_t i = 0; i < total; ++i) {
    const int fd = 3 + static_cast<int>(i);
    if (fcntl(fd, F_GETFD) < 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          i < extra.listen ? "LISTEN_FDS" : "--preserve-fds", ": fd ", fd, " is not open"));
    }
    extra.fds.push_back(fd);
  }
  return extra;
}

namespace {

// A stream connection to the unix socket at `path`; errors name `flag`.
absl::StatusOr<UniqueFd> ConnectUnix(const std::string& path, const char* flag) {
  ASSIGN_OR_RETURN(util::UnixAddress addr, util::UnixAddress::Of(path, flag));
  UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return util::ErrnoError(errno, absl::StrCat("socket for ", flag));
  if (connect(fd.get(), addr.get(), addr.size()) != 0) {
    return util::ErrnoError(errno, absl::StrCat(flag, ": connect '", path, "'"));
  }
  return fd;
}

}  // namespace

absl::StatusOr<UniqueFd> ConnectConsoleSocket(const std::string& path) {
  return ConnectUnix(path, "--console-socket");
}

absl::Status SendPidfd(sandbox::Sandbox& box, int pid, const std::string& path) {
  // Checked once pinned: a host pid reused since the lookup would give the
  // caller (containerd, podman), who signals through it, a pidfd of a
  // process that is not the container's.
  absl::StatusOr<UniqueFd> pidfd = box.OpenPidfd(pid);
  if (absl::IsNotFound(pidfd.status())) {
    return absl::FailedPreconditionError(absl::StrCat("--pidfd-socket: process ", pid, " is gone"));
  }
  if (!pidfd.ok()) return pidfd.status();
  ASSIGN_OR_RETURN(UniqueFd conn, ConnectUnix(path, "--pidfd-socket"));
  google::protobuf::StringValue name;
  name.set_value("pidfd");
  return util::SendPacket(conn.get(), name, {pidfd->get()});
}

absl::StatusOr<Started> StartWithOurStdio(sandbox::Sandbox& box, bool terminal,
                                          const runsc::boot::v1::ProcessConfig* process,
                                          const std::string& console_socket, bool hold,
                                          const ExtraFds& extra, bool kill_on_hangup) {
  Started started;
  std::vector<int> fds = {0, 1, 2};
  UniqueFd theirs;
  if (terminal && !console_socket.empty()) {
    absl::StatusOr<UniqueFd> connected = ConnectConsoleSocket(console_socket);
    if (!connected.ok()) return connected.status();
    theirs = std::move(*connected);
    fds = {theirs.get()};
  } else if (terminal) {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
      return util::ErrnoError(errno, "socketpair for the console");
    }
    started.console.reset(sv[0]);
    theirs.reset(sv[1]);
    fds = {theirs.get()};
  }
  fds.insert(fds.end(), extra.fds.begin(), extra.fds.end());
  absl::StatusOr<int> pid;
  if (process == nullptr) {
    // The main process: one packet on the stdio socket, no dial.
    pid = sandbox::StartOnStdioSocket(box.ControlOnDemand(), box.stdio_socket_path(), fds, hold);
  } else {
    // An exec: one packet too, answered with the pid, then the exit.
    absl::StatusOr<sandbox::StartedExec> exec =
        sandbox::ExecOnStdioSocket(box.ControlOnDemand(), box.stdio_socket_path(), *process, fds,
                                   absl::Seconds(30), kill_on_hangup);
    if (exec.ok()) {
      pid = exec->pid;
      started.exit_conn = std::move(exec->exit_conn);
    } else {
      pid = exec.status();
    }
  }
  theirs.reset();
  if (!pid.ok()) return pid.status();
  started.pid = *pid;
  if (started.console) {
    google::protobuf::StringValue name;
    std::vector<UniqueFd> master;
    absl::Status got = util::RecvPacket(started.console.get(), &name, &master);
    if (!got.ok() || master.size() != 1) {
      // Nobody would have its terminal: an exec'd process does not run on
      // (a main process goes with its sandbox, which the caller destroys).
      if (process != nullptr) (void)box.SignalProcess(started.pid, SIGKILL);
      return absl::InternalError("no pty master from the sandbox");
    }
    started.proxy = std::make_unique<PtyProxy>(std::move(master[0]));
  }
  return started;
}

SignalForwarder::SignalForwarder() {
  sigemptyset(&set_);
  // Every signal another process may send us, as runc forwards them, but
  // the faults (synchronous), SIGCHLD and SIGPIPE (ours), and glibc's own
  // two real-time signals. SIGWINCH resizes the pty instead.
  for (int sig : {SIGHUP,    SIGINT,    SIGQUIT, SIGUSR1,  SIGUSR2, SIGALRM, SIGTERM,
                  SIGSTKFLT, SIGCONT,   SIGTSTP, SIGTTIN,  SIGTTOU, SIGURG,  SIGXCPU,
                  SIGXFSZ,   SIGVTALRM, SIGPROF, SIGWINCH, SIGIO,   SIGPWR}) {
    signal(sig, SIG_DFL);
    sigaddset(&set_, sig);
  }
  for (int sig = SIGRTMIN; sig <= SIGRTMAX; ++sig) {
    signal(sig, SIG_DFL);
    sigaddset(&set_, sig);
  }
  pthread_sigmask(SIG_BLOCK, &set_, nullptr);
}

void SignalForwarder::Run(sandbox::Sandbox& box, int pid, PtyProxy* proxy) {
  thread_ = std::thread([this, &box, pid, proxy] {
    for (;;) {
      int sig = 0;
      if (sigwait(&set_, &sig) != 0) continue;
      if (stop_.load()) return;
      Forward(box, pid, proxy, sig);
    }
  });
}

void SignalForwarder::Forward(sandbox::Sandbox& box, int pid, PtyProxy* proxy, int sig) {
  if (sig == SIGWINCH) {
    if (proxy != nullptr) proxy->Resize();
    return;
  }
  // The sandbox's own socket: a signal can only reach this sandbox's
  // supervisor.
  (void)box.SignalProcess(pid, sig);
}

void SignalForwarder::ForwardUntilExit(sandbox::Sandbox& box, int pid) {
  // The signals are blocked (the constructor): they queue for the signalfd.
  UniqueFd signals(signalfd(-1, &set_, SFD_CLOEXEC | SFD_NONBLOCK));
  for (;;) {
    struct pollfd fds[2] = {{box.pidfd(), POLLIN, 0}, {signals.get(), POLLIN, 0}};
    if (poll(fds, signals ? 2 : 1, -1) < 0) {
      if (errno == EINTR) continue;
      return;  // the caller's wait reports the process
    }
    if (fds[1].revents & POLLIN) {
      struct signalfd_siginfo info;
      while (read(signals.get(), &info, sizeof(info)) == static_cast<ssize_t>(sizeof(info))) {
        Forward(box, pid, nullptr, static_cast<int>(info.ssi_signo));  // no terminal here
      }
    }
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) return;
  }
}

void SignalForwarder::Stop() {
  if (!thread_.joinable()) return;
  stop_.store(true);
  kill(getpid(), SIGWINCH);  // wakes sigwait
  thread_.join();
}

int ShellCode(const runsc::control::v1::ExitStatus& s) {
  return s.signaled() ? 128 + s.signal() : s.code();
}

int Foreground(sandbox::Sandbox& box, Started& started, SignalForwarder& forwarder,
               bool our_main) {
  // Our sandbox with no terminal: this thread forwards signals until the
  // sandbox process ends (no thread to make and join on the run's path).
  if (our_main && started.proxy == nullptr) {
    forwarder.ForwardUntilExit(box, started.pid);
  } else {
    forwarder.Run(box, started.pid, started.proxy.get());
  }
  int code = 255;
  if (our_main) {
    absl::StatusOr<sandbox::ExitStatus> status = box.Wait(absl::InfiniteDuration());
    if (status.ok()) {
      code = status->ShellCode();
    } else {
      fprintf(stderr, "runsc: wait: %s\n", std::string(status.status().message()).c_str());
    }
  } else {
    absl::StatusOr<runsc::control::v1::ExitStatus> status = box.WaitExec(
        sandbox::StartedExec{started.pid, std::move(started.exit_conn)}, absl::InfiniteDuration());
    if (status.ok()) {
      code = ShellCode(*status);
    } else if (absl::IsUnavailable(status.status()) && ContainerEnded(box, box.Record())) {
      // The container ended first: its init, the launcher, went, and the
      // kernel killed every process of its PID namespace, this one too.
      // What runc's exec reports then (conmon and the shim read 137).
      code = 128 + SIGKILL;
    } else {
      fprintf(stderr, "runsc: wait: %s\n", std::string(status.status().message()).c_str());
    }
  }
  forwarder.Stop();
  started.proxy.reset();  // drains the terminal and restores ours
  return code;
}

absl::Status RunPoststopHooks(const std::string& id,
                              const runsc::state::v1::SandboxRecord& record) {
  sandbox::HookState state;
  state.id = id;
  state.status = "stopped";
  state.pid = record.pid();
  state.bundle = record.bundle();
  state.annotations = {record.container().annotations().begin(),
                       record.container().annotations().end()};
  return sandbox::RunHooks(record.container().hooks().poststop(), "hooks.poststop", state);
}

}  // namespace runsc::cli
