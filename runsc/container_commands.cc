#include "runsc/container_commands.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/wrappers.pb.h"
#include "proto/oci.pb.h"
#include "runsc/flags.h"
#include "runsc/util/errno_status.h"
#include "runsc/util/file_util.h"
#include "runsc/util/log.h"
#include "runsc/util/packet.h"
#include "runsc/util/stdio_socket.h"
#include "runsc/util/unique_fd.h"
#include "sandbox/bundle.h"
#include "sandbox/control_client.h"
#include "sandbox/sandbox.h"
#include "sandbox/state_store.h"
#include "specutils/capabilities.h"
#include "specutils/process_override.h"
#include "specutils/spec_json.h"

namespace runsc::cli {

using util::UniqueFd;

namespace {

// --root is forwarded to every command by main(); every command has --help.
const FlagSpec& WithRoot(FlagSpec& spec) {
  spec.with_value.insert("root");
  spec.booleans.insert("help");
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

// The common start of a command: its flags (with --root and --help), its
// usage on --help, and exactly `ids` positional arguments. Empty when the
// command is over already, with its exit code in *exit_code.
std::optional<ParsedFlags> ParseCommand(const char* name, const char* usage, FlagSpec spec,
                                        int argc, char** argv, size_t ids, int* exit_code) {
  absl::StatusOr<ParsedFlags> f = ParseFlags(argc, argv, WithRoot(spec));
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
    std::string s = name;
    if (s.rfind("SIG", 0) == 0) s = s.substr(3);
    for (int sig = 1; sig < 65; ++sig) {
      const char* abbrev = sigabbrev_np(sig);
      if (abbrev != nullptr && s == abbrev) return sig;
    }
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown signal \"", name, "\""));
}

// An OCI bundle as `run` and `create` take it: --bundle (default: the
// current directory), resolved, and its config.json translated.
struct Bundle {
  std::string path;
  runsc::boot::v1::ContainerConfig config;
};

absl::StatusOr<Bundle> LoadBundleFlag(const ParsedFlags& f) {
  const std::string given = f.Get("bundle", ".");
  char resolved[PATH_MAX];
  if (realpath(given.c_str(), resolved) == nullptr) {
    return absl::InvalidArgumentError("bundle '" + given + "': " + strerror(errno));
  }
  absl::StatusOr<runsc::boot::v1::ContainerConfig> config = sandbox::LoadBundle(resolved);
  if (!config.ok()) return config.status();
  return Bundle{resolved, *std::move(config)};
}

// The sandbox for `bundle`, named by the command's one positional argument.
absl::StatusOr<std::unique_ptr<sandbox::Sandbox>> CreateFromBundle(const ParsedFlags& f,
                                                                   const Bundle& bundle) {
  sandbox::SandboxOptions options;
  options.id = f.positional[0];
  options.state_root = Root(f);
  options.container = bundle.config;
  options.bundle = bundle.path;
  return sandbox::Sandbox::Create(options);
}

struct Attached {
  std::unique_ptr<sandbox::Sandbox> box;
  runsc::state::v1::SandboxRecord record;
};

absl::StatusOr<Attached> Open(const ParsedFlags& f, const std::string& id) {
  absl::StatusOr<std::unique_ptr<sandbox::Sandbox>> box = sandbox::Sandbox::Attach(Root(f), id);
  if (!box.ok()) return box.status();
  absl::StatusOr<runsc::state::v1::SandboxRecord> record = (*box)->Record();
  if (!record.ok()) return record.status();
  return Attached{std::move(*box), *record};
}

// Copies between our terminal and a pty master until the master closes.
class PtyProxy {
 public:
  explicit PtyProxy(UniqueFd master) : master_(std::move(master)) {
    if (isatty(0) && tcgetattr(0, &saved_) == 0) {
      struct termios raw = saved_;
      cfmakeraw(&raw);
      raw_ = tcsetattr(0, TCSANOW, &raw) == 0;
    }
    Resize();
    thread_ = std::thread([this] { Loop(); });
  }
  ~PtyProxy() {
    thread_.join();
    if (raw_) tcsetattr(0, TCSANOW, &saved_);
  }
  void Resize() {
    struct winsize size;
    if (isatty(0) && ioctl(0, TIOCGWINSZ, &size) == 0) ioctl(master_.get(), TIOCSWINSZ, &size);
  }

 private:
  void Loop() {
    char buf[8192];
    bool stdin_open = true;
    for (;;) {
      struct pollfd fds[2] = {{master_.get(), POLLIN, 0}, {0, POLLIN, 0}};
      if (poll(fds, stdin_open ? 2 : 1, -1) < 0) {
        if (errno == EINTR) continue;
        return;
      }
      if (fds[0].revents) {
        ssize_t n = read(master_.get(), buf, sizeof(buf));
        if (n <= 0) return;  // EIO: the terminal's last process is gone
        if (write(1, buf, static_cast<size_t>(n)) < 0) return;
      }
      if (stdin_open && fds[1].revents) {
        ssize_t n = read(0, buf, sizeof(buf));
        if (n <= 0 || write(master_.get(), buf, static_cast<size_t>(n)) < 0) stdin_open = false;
      }
    }
  }
  UniqueFd master_;
  struct termios saved_ = {};
  bool raw_ = false;
  std::thread thread_;
};

// Hands our stdio to the sandbox (or, for a terminal, a console socket whose
// pty master we then proxy) and starts the process: `process` null means the
// main process. Returns its pid.
struct Started {
  int pid = 0;
  std::unique_ptr<PtyProxy> proxy;
  UniqueFd console;  // our end, until the master arrives
};

absl::StatusOr<Started> StartWithOurStdio(sandbox::Sandbox& box, bool terminal,
                                          const runsc::boot::v1::ProcessConfig* process) {
  Started started;
  std::vector<int> fds = {0, 1, 2};
  UniqueFd theirs;
  if (terminal) {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
      return absl::InternalError("socketpair for the console");
    }
    started.console.reset(sv[0]);
    theirs.reset(sv[1]);
    fds = {theirs.get()};
  }
  absl::StatusOr<std::string> token = util::HandOffStdio(box.stdio_socket_path(), fds);
  if (!token.ok()) return token.status();
  theirs.reset();
  sandbox::ControlClient client(box.control_socket_path());
  absl::StatusOr<int> pid = process == nullptr ? client.Start(*token) : client.Exec(*process, *token);
  if (!pid.ok()) return pid.status();
  started.pid = *pid;
  if (terminal) {
    google::protobuf::StringValue name;
    std::vector<UniqueFd> master;
    absl::Status got = util::RecvPacket(started.console.get(), &name, &master);
    if (!got.ok() || master.size() != 1) return absl::InternalError("no pty master from the sandbox");
    started.proxy = std::make_unique<PtyProxy>(std::move(master[0]));
  }
  return started;
}

// Forwards the usual terminating signals to `pid` until Stop(); SIGWINCH
// resizes the proxied terminal.
class SignalForwarder {
 public:
  SignalForwarder() {
    sigemptyset(&set_);
    for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH}) {
      signal(sig, SIG_DFL);
      sigaddset(&set_, sig);
    }
    pthread_sigmask(SIG_BLOCK, &set_, nullptr);
  }
  void Run(const std::string& control, int pid, PtyProxy* proxy) {
    thread_ = std::thread([this, control, pid, proxy] {
      sandbox::ControlClient client(control);
      for (;;) {
        int sig = 0;
        if (sigwait(&set_, &sig) != 0) continue;
        if (stop_.load()) return;
        if (sig == SIGWINCH) {
          if (proxy != nullptr) proxy->Resize();
          continue;
        }
        (void)client.Signal(pid, sig);
      }
    });
  }
  void Stop() {
    if (!thread_.joinable()) return;
    stop_.store(true);
    kill(getpid(), SIGWINCH);  // wakes sigwait
    thread_.join();
  }

 private:
  sigset_t set_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

int ShellCode(const runsc::control::v1::ExitStatus& s) {
  return s.signaled() ? 128 + s.signal() : s.code();
}

// Runs a started process in the foreground: forwards signals, waits, and
// returns its shell exit code.
int Foreground(sandbox::Sandbox& box, Started& started, SignalForwarder& forwarder) {
  forwarder.Run(box.control_socket_path(), started.pid, started.proxy.get());
  absl::StatusOr<runsc::control::v1::ExitStatus> status =
      box.WaitProcess(started.pid, absl::InfiniteDuration());
  forwarder.Stop();
  started.proxy.reset();  // drains the terminal and restores ours
  if (!status.ok()) {
    fprintf(stderr, "runsc: wait: %s\n", std::string(status.status().message()).c_str());
    return 255;
  }
  return ShellCode(*status);
}

}  // namespace

int SpecCommand(int argc, char** argv) {
  FlagSpec spec;
  spec.with_value = {"bundle", "b"};
  spec.aliases = {{"b", "bundle"}};
  absl::StatusOr<ParsedFlags> f = ParseFlags(argc, argv, WithRoot(spec), kNoPassthrough);
  if (!f.ok()) return Error("spec", std::string(f.status().message()));
  if (f->Has("help")) {
    return Usage(
        "Usage: runsc spec [--bundle DIR]\n\n"
        "Writes a new config.json for a rootless-style busybox bundle in DIR\n"
        "(default: the current directory); refuses to overwrite one.\n");
  }
  const std::string bundle = f->Get("bundle", ".");
  const std::string path = bundle + "/config.json";
  if (access(path.c_str(), F_OK) == 0) {
    return Error("spec", "File " + path + " exists. Remove it first");
  }
  runsc::oci::v1::Spec s;
  s.set_oci_version("1.0.2");
  auto* p = s.mutable_process();
  p->set_terminal(true);
  p->add_args("sh");
  p->add_env("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  p->add_env("TERM=xterm");
  p->set_cwd("/");
  p->mutable_user();
  for (const std::string& cap : specutils::DefaultCapabilities()) {
    for (auto* set : {p->mutable_capabilities()->mutable_bounding(),
                      p->mutable_capabilities()->mutable_effective(),
                      p->mutable_capabilities()->mutable_permitted(),
                      p->mutable_capabilities()->mutable_ambient()}) {
      set->Add(std::string(cap));
    }
  }
  auto* nofile = p->add_rlimits();
  nofile->set_type("RLIMIT_NOFILE");
  nofile->set_hard(1024);
  nofile->set_soft(1024);
  p->set_no_new_privileges(true);
  s.mutable_root()->set_path("rootfs");
  s.mutable_root()->set_readonly(true);
  s.set_hostname("runsc");
  auto mount = [&s](const char* dest, const char* type, const char* source,
                    std::vector<const char*> options) {
    auto* m = s.add_mounts();
    m->set_destination(dest);
    m->set_type(type);
    m->set_source(source);
    for (const char* o : options) m->add_options(o);
  };
  mount("/proc", "proc", "proc", {});
  mount("/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"});
  mount("/dev/pts", "devpts", "devpts",
        {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"});
  mount("/dev/shm", "tmpfs", "shm", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"});
  mount("/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"});
  mount("/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"});
  mount("/sys/fs/cgroup", "cgroup", "cgroup", {"nosuid", "noexec", "nodev", "relatime", "ro"});
  auto* linux = s.mutable_linux();
  for (const char* ns : {"pid", "network", "ipc", "uts", "mount", "cgroup"}) {
    linux->add_namespaces()->set_type(ns);
  }
  for (const char* m : {"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
                        "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
                        "/proc/sched_debug", "/sys/firmware", "/proc/scsi"}) {
    linux->add_masked_paths(m);
  }
  for (const char* r : {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}) {
    linux->add_readonly_paths(r);
  }
  // Integers as JSON numbers: runc, crun and gVisor parse this file too.
  const std::string json = specutils::SpecJson(s);
  FILE* out = fopen(path.c_str(), "wx");
  if (out == nullptr) return Error("spec", "cannot create " + path + ": " + strerror(errno));
  fputs(json.c_str(), out);
  fclose(out);
  return 0;
}

constexpr char kRunUsage[] =
    "Usage: runsc [--root DIR] run [--bundle DIR] [--detach] ID\n\n"
    "Creates a sandbox from the OCI bundle (default: the current directory) and\n"
    "runs its main process with this terminal or these pipes. In the foreground\n"
    "it forwards signals, deletes the sandbox when the process ends and exits\n"
    "with its status (128+signal when it was killed).\n";

int RunCommand(int argc, char** argv) {
  FlagSpec spec;
  spec.with_value = {"bundle"};
  spec.booleans = {"detach", "help"};
  spec.aliases = {{"b", "bundle"}, {"d", "detach"}, {"h", "help"}};
  int code = 0;
  std::optional<ParsedFlags> f = ParseCommand("run", kRunUsage, spec, argc, argv, 1, &code);
  if (!f) return code;
  SignalForwarder forwarder;  // before any thread exists
  absl::StatusOr<Bundle> bundle = LoadBundleFlag(*f);
  if (!bundle.ok()) return Error("run", std::string(bundle.status().message()));
  absl::StatusOr<std::unique_ptr<sandbox::Sandbox>> box = CreateFromBundle(*f, *bundle);
  if (!box.ok()) return Error("run", std::string(box.status().message()));
  absl::StatusOr<Started> started =
      StartWithOurStdio(**box, bundle->config.process().terminal(), nullptr);
  if (!started.ok()) return Error("run", std::string(started.status().message()));
  absl::StatusOr<runsc::state::v1::SandboxRecord> record = (*box)->Record();
  if (record.ok()) {
    record->set_main_pid(started->pid);
    (void)(*box)->SaveRecord(*record);
  }
  if (f->Has("detach")) {
    (*box)->Detach();
    return 0;
  }
  const int exit_code = Foreground(**box, *started, forwarder);
  (void)(*box)->Destroy();
  return exit_code;
}

int ExecCommand(int argc, char** argv) {
  FlagSpec spec;
  spec.with_value = {"cwd", "env", "user"};
  spec.booleans = {"tty", "detach", "help"};
  spec.aliases = {{"t", "tty"}, {"d", "detach"}, {"e", "env"}, {"u", "user"}, {"h", "help"}};
  absl::StatusOr<ParsedFlags> f = ParseFlags(argc, argv, WithRoot(spec));
  if (!f.ok()) return Error("exec", std::string(f.status().message()));
  if (f->Has("help")) {
    return Usage(
        "Usage: runsc [--root DIR] exec [-t] [-d] [--cwd DIR] [--env K=V]... [--user UID[:GID]]\n"
        "             ID CMD [ARGS...]\n\n"
        "Runs CMD in the running sandbox ID with this terminal or these pipes, and exits\n"
        "with its status. Confinement (capabilities, seccomp, limits) is the main\n"
        "process's.\n");
  }
  if (f->positional.size() < 2) return Error("exec", "requires an id and a command");
  SignalForwarder forwarder;
  absl::StatusOr<Attached> attached = Open(*f, f->positional[0]);
  if (!attached.ok()) return Error("exec", std::string(attached.status().message()));
  specutils::ProcessOverrides overrides;
  overrides.args.assign(f->positional.begin() + 1, f->positional.end());
  if (auto it = f->values.find("env"); it != f->values.end()) overrides.env = it->second;
  overrides.cwd = f->Get("cwd");
  overrides.terminal = f->Has("tty");
  if (std::string user = f->Get("user"); !user.empty()) {
    std::pair<std::string, std::string> ug = absl::StrSplit(user, absl::MaxSplits(':', 1));
    uint32_t uid, gid;
    if (!absl::SimpleAtoi(ug.first, &uid) || (!ug.second.empty() && !absl::SimpleAtoi(ug.second, &gid))) {
      return Error("exec", "--user: '" + user + "' is not UID or UID:GID (numbers)");
    }
    overrides.uid = uid;
    if (!ug.second.empty()) overrides.gid = gid;
  }
  absl::StatusOr<runsc::boot::v1::ProcessConfig> process =
      specutils::OverrideProcess(attached->record.container().process(), overrides);
  if (!process.ok()) return Error("exec", std::string(process.status().message()));
  absl::StatusOr<Started> started = StartWithOurStdio(*attached->box, overrides.terminal, &*process);
  if (!started.ok()) return Error("exec", std::string(started.status().message()));
  int code = 0;
  if (!f->Has("detach")) code = Foreground(*attached->box, *started, forwarder);
  attached->box->Detach();
  return code;
}

int KillCommand(int argc, char** argv) {
  FlagSpec spec;
  spec.booleans = {"all"};
  spec.aliases = {{"a", "all"}};
  absl::StatusOr<ParsedFlags> f = ParseFlags(argc, argv, WithRoot(spec), 2);
  if (!f.ok()) return Error("kill", std::string(f.status().message()));
  if (f->Has("help")) {
    return Usage(
        "Usage: runsc [--root DIR] kill [--all] ID [SIGNAL]\n\n"
        "Sends SIGNAL (a name such as KILL or SIGKILL, or a number; default TERM)\n"
        "to the sandbox's main process, or with --all to every process in it.\n");
  }
  if (f->positional.empty() || f->positional.size() > 2) {
    return Error("kill", "usage: runsc kill [--all] ID [SIGNAL]");
  }
  absl::StatusOr<int> sig = SignalNumber(f->positional.size() == 2 ? f->positional[1] : "TERM");
  if (!sig.ok()) return Error("kill", std::string(sig.status().message()));
  absl::StatusOr<Attached> attached = Open(*f, f->positional[0]);
  if (!attached.ok()) return Error("kill", std::string(attached.status().message()));
  absl::Status status;
  sandbox::ControlClient client(attached->box->control_socket_path());
  if (f->Has("all")) {
    status = client.Signal(0, *sig, true);
  } else if (attached->record.main_pid() == 0) {
    status = absl::FailedPreconditionError("container not started");
  } else {
    status = client.Signal(attached->record.main_pid(), *sig);
  }
  attached->box->Detach();
  if (!status.ok()) return Error("kill", std::string(status.message()));
  return 0;
}

constexpr char kDeleteUsage[] =
    "Usage: runsc [--root DIR] delete [--force] ID\n\n"
    "Removes a stopped sandbox and every trace of it (cgroups, uid range,\n"
    "state). --force kills it first if it still runs.\n";

int DeleteCommand(int argc, char** argv) {
  FlagSpec spec;
  spec.booleans = {"force"};
  spec.aliases = {{"f", "force"}};
  int code = 0;
  std::optional<ParsedFlags> f = ParseCommand("delete", kDeleteUsage, spec, argc, argv, 1, &code);
  if (!f) return code;
  const std::string& id = f->positional[0];
  absl::StatusOr<Attached> attached = Open(*f, id);
  if (absl::IsFailedPrecondition(attached.status())) {
    absl::Status reclaimed = sandbox::Sandbox::Reclaim(Root(*f), id);
    return reclaimed.ok() ? 0 : Error("delete", std::string(reclaimed.message()));
  }
  if (!attached.ok()) return Error("delete", std::string(attached.status().message()));
  std::string status = attached->box->ContainerStatus(attached->record);
  if (status == "running" && !f->Has("force")) {
    attached->box->Detach();
    return Error("delete", "cannot delete container " + id + " that is not stopped: running");
  }
  absl::Status destroyed = attached->box->Destroy();
  return destroyed.ok() ? 0 : Error("delete", std::string(destroyed.message()));
}

namespace {
std::string Rfc3339(int64_t unix_nanos) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E9SZ", absl::FromUnixNanos(unix_nanos),
                          absl::UTCTimeZone());
}
}  // namespace

// What `state` and `list` report of one sandbox: a live one's status and
// host pid; a dead one is "stopped" with pid 0, from its record.
struct Described {
  runsc::state::v1::SandboxRecord record;
  std::string status;
  int pid = 0;
};

absl::StatusOr<Described> Describe(const ParsedFlags& f, const std::string& id) {
  Described d;
  absl::StatusOr<Attached> attached = Open(f, id);
  if (attached.ok()) {
    d.record = attached->record;
    d.status = attached->box->ContainerStatus(d.record);
    d.pid = attached->box->pid();
    attached->box->Detach();
    return d;
  }
  if (!absl::IsFailedPrecondition(attached.status())) return attached.status();
  absl::StatusOr<runsc::state::v1::SandboxRecord> record = sandbox::LoadRecord(Root(f) + "/" + id);
  if (!record.ok()) return record.status();
  d.record = *record;
  d.status = "stopped";
  return d;
}

constexpr char kStateUsage[] =
    "Usage: runsc [--root DIR] state ID\n\n"
    "Prints the sandbox's OCI state as JSON (ociVersion, id, status, pid,\n"
    "bundle, created, owner), as runc does.\n";

int StateCommand(int argc, char** argv) {
  FlagSpec spec;
  int code = 0;
  std::optional<ParsedFlags> f = ParseCommand("state", kStateUsage, spec, argc, argv, 1, &code);
  if (!f) return code;
  const std::string& id = f->positional[0];
  absl::StatusOr<Described> d = Describe(*f, id);
  if (absl::IsNotFound(d.status())) {
    return Error("state", "container \"" + id + "\" does not exist");
  }
  if (!d.ok()) return Error("state", std::string(d.status().message()));
  const runsc::state::v1::SandboxRecord& record = d->record;
  const std::string& status = d->status;
  const int pid = d->pid;
  printf("{\n  \"ociVersion\": \"1.0.2\",\n  \"id\": \"%s\",\n  \"pid\": %d,\n"
         "  \"status\": \"%s\",\n  \"bundle\": \"%s\",\n  \"rootfs\": \"%s\",\n"
         "  \"created\": \"%s\",\n  \"owner\": \"\"\n}\n",
         id.c_str(), pid, status.c_str(), record.bundle().c_str(),
         record.container().rootfs().c_str(), Rfc3339(record.created_unix_nanos()).c_str());
  return 0;
}

int ListCommand(int argc, char** argv) {
  FlagSpec spec;
  spec.with_value = {"format"};
  spec.booleans = {"quiet"};
  spec.aliases = {{"f", "format"}, {"q", "quiet"}};
  absl::StatusOr<ParsedFlags> f = ParseFlags(argc, argv, WithRoot(spec), kNoPassthrough);
  if (!f.ok()) return Error("list", std::string(f.status().message()));
  if (f->Has("help")) {
    return Usage(
        "Usage: runsc [--root DIR] list [--format table|json] [-q]\n\n"
        "Lists the sandboxes under the state root; -q prints only their ids.\n");
  }
  const std::string format = f->Get("format", "table");
  if (format != "table" && format != "json") {
    return Error("list", "invalid format option \"" + format + "\"");
  }
  absl::StatusOr<std::vector<std::string>> ids = sandbox::Sandbox::ListIds(Root(*f));
  if (!ids.ok()) return Error("list", std::string(ids.status().message()));
  std::vector<std::string> json;
  if (format == "table" && !f->Has("quiet")) printf("%-20s %-8s %-10s %-40s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED");
  for (const std::string& id : *ids) {
    if (f->Has("quiet")) {
      printf("%s\n", id.c_str());
      continue;
    }
    // An unreadable record still gets its row, as stopped.
    const Described d = Describe(*f, id).value_or(Described{{}, "stopped", 0});
    const runsc::state::v1::SandboxRecord& record = d.record;
    const std::string& status = d.status;
    const int pid = d.pid;
    if (format == "table") {
      printf("%-20s %-8d %-10s %-40s %s\n", id.c_str(), pid, status.c_str(),
             record.bundle().c_str(), Rfc3339(record.created_unix_nanos()).c_str());
    } else {
      json.push_back(absl::StrCat(
          "{\"ociVersion\":\"1.0.2\",\"id\":\"", id, "\",\"pid\":", pid, ",\"status\":\"",
          status, "\",\"bundle\":\"", record.bundle(), "\",\"rootfs\":\"",
          record.container().rootfs(), "\",\"created\":\"",
          Rfc3339(record.created_unix_nanos()), "\",\"owner\":\"\"}"));
    }
  }
  if (format == "json") printf("[%s]\n", absl::StrJoin(json, ",").c_str());
  return 0;
}

constexpr char kPsUsage[] =
    "Usage: runsc [--root DIR] ps [--format table|json] ID\n\n"
    "Lists the processes running in the sandbox: container and host pids and\n"
    "commands, or with --format json the host pids (as runc prints them).\n";

int PsCommand(int argc, char** argv) {
  FlagSpec spec;
  spec.with_value = {"format"};
  spec.aliases = {{"f", "format"}};
  int code = 0;
  std::optional<ParsedFlags> f = ParseCommand("ps", kPsUsage, spec, argc, argv, 1, &code);
  if (!f) return code;
  absl::StatusOr<Attached> attached = Open(*f, f->positional[0]);
  if (!attached.ok()) return Error("ps", std::string(attached.status().message()));
  absl::StatusOr<runsc::control::v1::ListProcessesResponse> ps =
      sandbox::ControlClient(attached->box->control_socket_path()).ListProcesses();
  absl::StatusOr<std::map<int, pid_t>> host = attached->box->HostPids();
  attached->box->Detach();
  if (!ps.ok()) return Error("ps", std::string(ps.status().message()));
  if (!host.ok()) return Error("ps", std::string(host.status().message()));
  auto host_pid = [&](int pid) {
    auto it = host->find(pid);
    return it == host->end() ? 0 : it->second;
  };
  if (f->Get("format", "table") == "json") {
    // As runc: host pids, which is what containerd's shim reads.
    std::vector<std::string> pids;
    for (const auto& p : ps->processes()) {
      if (host_pid(p.pid()) != 0) pids.push_back(absl::StrCat(host_pid(p.pid())));
    }
    printf("[%s]\n", absl::StrJoin(pids, ",").c_str());
    return 0;
  }
  printf("%-8s %-8s %s\n", "PID", "HOSTPID", "CMD");
  for (const auto& p : ps->processes()) {
    printf("%-8d %-8d %s\n", p.pid(), host_pid(p.pid()), absl::StrJoin(p.args(), " ").c_str());
  }
  return 0;
}

constexpr char kWaitUsage[] =
    "Usage: runsc [--root DIR] wait ID\n\n"
    "Waits for the sandbox's main process to exit and prints\n"
    "{\"id\":ID,\"exitStatus\":N} (128+signal when it was killed).\n";

int WaitCommand(int argc, char** argv) {
  FlagSpec spec;
  int code = 0;
  std::optional<ParsedFlags> f = ParseCommand("wait", kWaitUsage, spec, argc, argv, 1, &code);
  if (!f) return code;
  absl::StatusOr<Attached> attached = Open(*f, f->positional[0]);
  if (!attached.ok()) return Error("wait", std::string(attached.status().message()));
  if (attached->record.main_pid() == 0) {
    attached->box->Detach();
    return Error("wait", "container not started");
  }
  absl::StatusOr<runsc::control::v1::ExitStatus> status =
      attached->box->WaitProcess(attached->record.main_pid(), absl::InfiniteDuration());
  attached->box->Detach();
  if (!status.ok()) return Error("wait", std::string(status.status().message()));
  printf("{\"id\":\"%s\",\"exitStatus\":%d}\n", f->positional[0].c_str(), ShellCode(*status));
  return 0;
}

// runc's event JSON (types.Event): {"type":"stats","id":ID,"data":{...}}
// with the fields our cgroup reports, or {"type":"oom","id":ID}.
std::string StatsEventJson(const std::string& id, const sandbox::CgroupStats& s) {
  return absl::StrCat("{\"type\":\"stats\",\"id\":\"", id,
                      "\",\"data\":{\"cpu\":{\"usage\":{\"total\":", s.cpu_usage_ns,
                      ",\"kernel\":0,\"user\":0}},\"memory\":{\"usage\":{\"usage\":",
                      s.memory_current, ",\"max\":", s.memory_peak,
                      ",\"limit\":0,\"failcnt\":0}},\"pids\":{\"current\":", s.pids_current,
                      "}}}");
}

constexpr char kEventsUsage[] =
    "Usage: runsc [--root DIR] events [--stats] [--interval 5s] ID\n\n"
    "Prints the sandbox's resource usage as runc's JSON events, one a line:\n"
    "once with --stats, else every --interval, plus an \"oom\" event whenever\n"
    "the OOM killer strikes, until the container stops.\n";

int EventsCommand(int argc, char** argv) {
  FlagSpec spec;
  spec.with_value = {"interval"};
  spec.booleans = {"stats", "help"};
  spec.aliases = {{"h", "help"}};
  int code = 0;
  std::optional<ParsedFlags> f = ParseCommand("events", kEventsUsage, spec, argc, argv, 1, &code);
  if (!f) return code;
  const std::string& id = f->positional[0];
  absl::Duration interval;
  if (!absl::ParseDuration(f->Get("interval", "5s"), &interval) ||
      interval <= absl::ZeroDuration()) {
    return Error("events", "--interval: want a positive duration such as 5s or 500ms");
  }
  absl::StatusOr<Attached> attached = Open(*f, id);
  if (!attached.ok()) return Error("events", std::string(attached.status().message()));
  sandbox::Sandbox& box = *attached->box;
  absl::StatusOr<sandbox::CgroupStats> stats = box.Stats();
  if (!stats.ok()) {
    box.Detach();
    return Error("events", std::string(stats.status().message()));
  }
  if (f->Has("stats")) {
    printf("%s\n", StatsEventJson(id, *stats).c_str());
    box.Detach();
    return 0;
  }
  uint64_t ooms_seen = stats->oom_kills;
  absl::Time next_stats = absl::Now();
  for (;;) {
    // Read before the stats, so an OOM kill that ends the container is
    // still reported.
    absl::StatusOr<runsc::state::v1::SandboxRecord> record = box.Record();
    const bool running = record.ok() && box.ContainerStatus(*record) != "stopped";
    stats = box.Stats();
    if (!stats.ok()) break;  // the sandbox is gone
    if (stats->oom_kills > ooms_seen) {
      ooms_seen = stats->oom_kills;
      printf("{\"type\":\"oom\",\"id\":\"%s\"}\n", id.c_str());
    }
    if (absl::Now() >= next_stats) {
      printf("%s\n", StatsEventJson(id, *stats).c_str());
      next_stats = absl::Now() + interval;
    }
    fflush(stdout);
    if (!running) break;
    absl::SleepFor(std::min(interval, absl::Milliseconds(250)));
  }
  box.Detach();
  return 0;
}

// Connects to the console socket a caller (conmon, containerd's shim, a
// test) listens on: the pty master of the process goes there.
absl::StatusOr<UniqueFd> ConnectConsoleSocket(const std::string& path) {
  UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return util::ErrnoError(errno, "socket for --console-socket");
  struct sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr.sun_path)) {
    return absl::InvalidArgumentError(absl::StrCat("--console-socket: path '", path, "' is too long"));
  }
  memcpy(addr.sun_path, path.data(), path.size());
  if (connect(fd.get(), reinterpret_cast<struct sockaddr*>(&addr), sizeof(addr)) != 0) {
    return util::ErrnoError(errno, absl::StrCat("--console-socket: connect '", path, "'"));
  }
  return fd;
}

constexpr char kCreateUsage[] =
    "Usage: runsc [--root DIR] create [--bundle DIR] [--pid-file FILE]\n"
    "                                 [--console-socket PATH] ID\n\n"
    "Creates a sandbox from the OCI bundle (default: the current directory) and\n"
    "its main process, which gets this command's stdin, stdout and stderr (or,\n"
    "with process.terminal, a pty whose master goes to --console-socket), but\n"
    "runs only at `runsc start ID`. --pid-file receives the sandbox process's\n"
    "pid, written atomically.\n";

int CreateCommand(int argc, char** argv) {
  FlagSpec spec;
  spec.with_value = {"bundle", "pid-file", "console-socket"};
  spec.aliases = {{"b", "bundle"}};
  int code = 0;
  std::optional<ParsedFlags> f = ParseCommand("create", kCreateUsage, spec, argc, argv, 1, &code);
  if (!f) return code;
  absl::StatusOr<Bundle> bundle = LoadBundleFlag(*f);
  if (!bundle.ok()) return Error("create", std::string(bundle.status().message()));
  // runc's rules: create always detaches, so a terminal needs a socket to
  // send the master to, and a socket without a terminal is a mistake.
  const bool terminal = bundle->config.process().terminal();
  const std::string console_socket = f->Get("console-socket");
  if (terminal && console_socket.empty()) {
    return Error("create", "cannot allocate tty if runsc will detach without setting console socket");
  }
  if (!terminal && !console_socket.empty()) {
    return Error("create", "cannot use console socket if runsc will not detach or allocate tty");
  }
  absl::StatusOr<std::unique_ptr<sandbox::Sandbox>> box = CreateFromBundle(*f, *bundle);
  if (!box.ok()) return Error("create", std::string(box.status().message()));
  // From here a failure destroys the sandbox (~Sandbox).
  std::vector<int> stdio = {0, 1, 2};
  UniqueFd console;
  if (terminal) {
    absl::StatusOr<UniqueFd> connected = ConnectConsoleSocket(console_socket);
    if (!connected.ok()) return Error("create", std::string(connected.status().message()));
    console = std::move(*connected);
    stdio = {console.get()};
  }
  absl::StatusOr<std::string> token = util::HandOffStdio((*box)->stdio_socket_path(), stdio);
  if (!token.ok()) return Error("create", std::string(token.status().message()));
  console.reset();
  absl::StatusOr<int> pid = sandbox::ControlClient((*box)->control_socket_path()).Create(*token);
  if (!pid.ok()) return Error("create", std::string(pid.status().message()));
  absl::StatusOr<runsc::state::v1::SandboxRecord> record = (*box)->Record();
  if (!record.ok()) return Error("create", std::string(record.status().message()));
  record->set_main_pid(*pid);
  record->set_main_held(true);
  absl::Status saved = (*box)->SaveRecord(*record);
  if (!saved.ok()) return Error("create", std::string(saved.message()));
  if (f->values.count("pid-file") != 0) {
    absl::Status written =
        util::WriteFileAtomically(f->Get("pid-file"), absl::StrCat((*box)->pid()), 0644);
    if (!written.ok()) return Error("create", std::string(written.message()));
  }
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
  absl::StatusOr<Attached> attached = Open(*f, id);
  if (!attached.ok()) return Error("start", std::string(attached.status().message()));
  const std::string status = attached->box->ContainerStatus(attached->record);
  absl::Status started = status == "created" && attached->record.main_held()
                             ? attached->box->StartHeldMain()
                             : absl::FailedPreconditionError(absl::StrCat(
                                   "cannot start container ", id, " in the ", status,
                                   " state", attached->record.main_pid() == 0
                                                 ? " (it was created through the daemon: "
                                                   "start it there)"
                                                 : ""));
  attached->box->Detach();
  if (!started.ok()) return Error("start", std::string(started.message()));
  return 0;
}

}  // namespace runsc::cli
