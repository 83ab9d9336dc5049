#include "runsc/daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/generic/async_generic_service.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/server_posix.h"
#include "runsc/api_service.h"
#include "runsc/health_service.h"
#include "runsc/util/errno_status.h"
#include "runsc/util/fd_limit.h"
#include "runsc/util/file_util.h"
#include "runsc/util/huge_page_binary.h"
#include "runsc/util/log.h"
#include "runsc/util/server_plugins.h"
#include "runsc/util/status_macros.h"
#include "runsc/util/stop_signals.h"
#include "runsc/util/unique_fd.h"
#include "runsc/util/unix_address.h"
#include "sandbox/manager.h"

namespace runsc::cli {

using util::ErrnoError;
using util::Log;
using util::LogLevel;
using util::UniqueFd;

namespace {

constexpr char kComponent[] = "daemon";

// Answers every call with PERMISSION_DENIED: what unauthorized peers reach.
// An async generic service on a completion queue of its own, read by one
// thread. Not gRPC's callback generic service: in gRPC 1.51 a server with
// one made every call of the daemon, authorized or not, wait 100 ms once
// every 1.1 s, when the callback queue's threads had waited 1 s for work
// and slept 100 ms (the maximum of every API benchmark; docs/benchmarks-
// profile.md, twelfth pass).
class DenyAll final {
 public:
  // Before the server is built.
  void RegisterWith(grpc::ServerBuilder& builder) {
    builder.RegisterAsyncGenericService(&service_);
    cq_ = builder.AddCompletionQueue();
  }
  // Once the server is built.
  void Start() {
    thread_ = std::thread([this] { Serve(); });
  }
  ~DenyAll() { Stop(); }

  // After the server's Shutdown: ends the thread once the queue is drained.
  void Stop() {
    if (!thread_.joinable()) return;
    cq_->Shutdown();
    thread_.join();
  }

 private:
  struct Call {
    grpc::GenericServerContext context;
    grpc::GenericServerAsyncReaderWriter stream{&context};
    bool finishing = false;
  };

  void Await() {
    auto* call = new Call;
    service_.RequestCall(&call->context, &call->stream, cq_.get(), cq_.get(), call);
  }

  void Serve() {
    Await();
    void* tag;
    bool ok;
    while (cq_->Next(&tag, &ok)) {
      auto* call = static_cast<Call*>(tag);
      if (call->finishing || !ok) {  // answered, or the server is stopping
        delete call;
        continue;
      }
      Await();
      call->finishing = true;
      call->stream.Finish(grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                                       "caller is neither root nor a member of the daemon's group"),
                          call);
    }
  }

  grpc::AsyncGenericService service_;
  std::unique_ptr<grpc::ServerCompletionQueue> cq_;
  std::thread thread_;
};

// The gid of `name` from /etc/group (no NSS: the binary is static).
std::optional<gid_t> GroupId(const std::string& name) {
  for (absl::string_view line :
       absl::StrSplit(util::ReadFileOrEmpty("/etc/group"), '\n', absl::SkipEmpty())) {
    std::vector<absl::string_view> f = absl::StrSplit(line, ':');
    gid_t gid;
    if (f.size() >= 3 && f[0] == name && absl::SimpleAtoi(f[2], &gid)) return gid;
  }
  return std::nullopt;
}

// Whether the peer on `conn` may use the API: root, or in `group` (primary
// or supplementary). Both as the kernel took them at the peer's connect
// (SO_PEERCRED, SO_PEERGROUPS), never from its pid, which may have gone to
// another process since.
bool Authorized(int conn, const struct ucred& cred, std::optional<gid_t> group) {
  if (cred.uid == 0) return true;
  if (!group.has_value()) return false;
  if (cred.gid == *group) return true;
  std::vector<gid_t> groups(64);
  for (;;) {
    socklen_t len = static_cast<socklen_t>(groups.size() * sizeof(gid_t));
    if (getsockopt(conn, SOL_SOCKET, SO_PEERGROUPS, groups.data(), &len) == 0) {
      groups.resize(len / sizeof(gid_t));
      break;
    }
    // ERANGE: `len` says how much room the peer's groups need.
    if (errno != ERANGE || len / sizeof(gid_t) <= groups.size()) return false;
    groups.resize(len / sizeof(gid_t));
  }
  return std::find(groups.begin(), groups.end(), *group) != groups.end();
}

absl::StatusOr<UniqueFd> Listen(const DaemonOptions& options, std::optional<gid_t> group) {
  // Socket activation: systemd passes the socket as fd 3.
  const char* fds = getenv("LISTEN_FDS");
  const char* pid = getenv("LISTEN_PID");
  int n = 0, owner = 0;
  if (fds != nullptr && pid != nullptr && absl::SimpleAtoi(fds, &n) &&
      absl::SimpleAtoi(pid, &owner) && owner == getpid() && n >= 1) {
    fcntl(3, F_SETFD, FD_CLOEXEC);
    Log(LogLevel::kInfo, kComponent, "using the socket passed by socket activation");
    return UniqueFd(3);
  }
  size_t slash = options.socket_path.rfind('/');
  if (slash != std::string::npos && slash > 0) {
    mkdir(options.socket_path.substr(0, slash).c_str(), 0755);
  }
  // After the mkdir: a long path is reached through its directory.
  ASSIGN_OR_RETURN(util::UnixAddress addr, util::UnixAddress::Of(options.socket_path, "--socket"));
  UniqueFd sock(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!sock) return ErrnoError(errno, "socket(AF_UNIX)");
  // A socket file left by a daemon that died is in the way; a live one is not.
  if (connect(sock.get(), addr.get(), addr.size()) == 0) {
    return absl::AlreadyExistsError(
        absl::StrCat("a daemon is already serving '", options.socket_path, "'"));
  }
  unlink(options.socket_path.c_str());
  sock.reset(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  mode_t old = umask(0117);
  int rc = bind(sock.get(), addr.get(), addr.size());
  umask(old);
  if (rc != 0) return ErrnoError(errno, absl::StrCat("bind '", options.socket_path, "'"));
  if (chmod(options.socket_path.c_str(), 0660) != 0 ||
      (group.has_value() && chown(options.socket_path.c_str(), 0, *group) != 0)) {
    return ErrnoError(errno, absl::StrCat("set mode/owner of '", options.socket_path, "'"));
  }
  if (listen(sock.get(), 1024) != 0) {
    return ErrnoError(errno, absl::StrCat("listen '", options.socket_path, "'"));
  }
  return sock;
}

std::unique_ptr<grpc::Server> BuildServer(std::vector<grpc::Service*> services, DenyAll* deny,
                                          int max_message_bytes) {
  grpc::ServerBuilder builder;
  for (grpc::Service* s : services) builder.RegisterService(s);
  if (deny != nullptr) deny->RegisterWith(builder);
  builder.SetMaxReceiveMessageSize(max_message_bytes);
  builder.SetMaxSendMessageSize(max_message_bytes);
  return builder.BuildAndStart();
}

}  // namespace

int RunDaemon(const DaemonOptions& options) {
  std::optional<gid_t> group;
  if (!options.group.empty()) {
    group = GroupId(options.group);
    if (!group.has_value()) {
      fprintf(stderr, "runsc daemon: --group: no group '%s' in /etc/group\n",
              options.group.c_str());
      return 2;
    }
  }
  util::BlockStopSignals();  // before any thread exists
  // The state root is this daemon's before anything is done on it: a second
  // daemon's binary on huge pages (below) would detach the first one's as
  // an earlier daemon's leftover.
  absl::StatusOr<UniqueFd> root_lock = sandbox::LockStateRoot(options.state_root);
  if (!root_lock.ok()) {
    fprintf(stderr, "runsc daemon: %s\n", std::string(root_lock.status().message()).c_str());
    return 1;
  }
  // Also before any thread (a mount namespace of the daemon's own, where
  // the copy may go, needs that): the binary on huge pages.
  std::string runsc_path = options.runsc_path;
  const std::string huge_mount = options.state_root + "/.binary";
  bool huge = false;
  if (options.binary_on_huge_pages != "off") {
    absl::Status made = util::MakeDirs(options.state_root, 0711);
    absl::StatusOr<util::HugePagePlace> place = made.ok()
                                                    ? util::ChooseHugePagePlace(huge_mount)
                                                    : absl::StatusOr<util::HugePagePlace>(made);
    absl::StatusOr<std::string> copy =
        place.ok() ? util::InstallOnHugePages(runsc_path, huge_mount, *place)
                   : absl::StatusOr<std::string>(place.status());
    if (copy.ok()) {
      runsc_path = *copy;
      huge = true;
    } else if (options.binary_on_huge_pages == "on") {
      fprintf(stderr, "runsc daemon: --binary-on-huge-pages: %s\n",
              std::string(copy.status().message()).c_str());
      return 1;
    } else {
      Log(LogLevel::kWarning, kComponent,
          absl::StrCat("sandboxes run the binary from disk: ", copy.status().message()));
    }
  }
  // The mount goes with the daemon, however it returns (the sandboxes
  // running the copy keep what they use), and its mount point too. In a
  // namespace of our own the mount would go anyway, but the directory it
  // covers is the host's.
  absl::Cleanup detach_huge = [&] {
    if (huge) util::DetachHugePages(huge_mount);
  };
  // A few fds per live sandbox; sandboxes get the limit found here back.
  if (absl::Status raised = util::RaiseFdLimit(); !raised.ok()) {
    util::Log(util::LogLevel::kWarning, "daemon", std::string(raised.message()));
  }

  absl::StatusOr<UniqueFd> listener = Listen(options, group);
  if (!listener.ok()) {
    fprintf(stderr, "runsc daemon: %s\n", std::string(listener.status().message()).c_str());
    return 1;
  }
  sandbox::ManagerOptions manager_options;
  manager_options.state_root = options.state_root;
  manager_options.runsc_path = runsc_path;
  manager_options.max_sandboxes = options.max_sandboxes;
  manager_options.warm_sandboxes = options.warm_sandboxes;
  manager_options.reclaim_ahead = options.reclaim_ahead;
  manager_options.console_log_limit = options.console_log_limit;
  manager_options.root_locked = true;
  absl::StatusOr<std::unique_ptr<sandbox::SandboxManager>> manager =
      sandbox::SandboxManager::Create(manager_options);
  if (!manager.ok()) {
    fprintf(stderr, "runsc daemon: %s\n", std::string(manager.status().message()).c_str());
    return 1;
  }
  ApiService api(manager->get(), options.max_message_bytes, /*bundles=*/true, options.max_execs,
                 options.max_run_bytes);
  HealthService health;
  // gRPC's reflection plugin registered itself before main; the registration
  // is held back from every other command (runsc/util/server_plugins.h).
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  util::RegisterHeldServerPlugins();
  std::unique_ptr<grpc::Server> server =
      BuildServer({&api, &health}, nullptr, options.max_message_bytes);
  // The group's members: the same API on the same sandboxes, but no bundle
  // (a bundle is host paths the daemon reads, mounts and binds as root).
  ApiService member_api(manager->get(), options.max_message_bytes, /*bundles=*/false,
                        options.max_execs, options.max_run_bytes);
  std::unique_ptr<grpc::Server> members =
      group.has_value() ? BuildServer({&member_api, &health}, nullptr, options.max_message_bytes)
                        : nullptr;
  DenyAll deny;
  std::unique_ptr<grpc::Server> denier = BuildServer({}, &deny, 4096);
  if (server == nullptr || denier == nullptr || (group.has_value() && members == nullptr)) {
    fprintf(stderr, "runsc daemon: could not start the gRPC server\n");
    return 1;
  }
  deny.Start();
  absl::StatusOr<UniqueFd> stop = util::StopSignalFd();
  if (!stop.ok()) {
    fprintf(stderr, "runsc daemon: %s\n", std::string(stop.status().message()).c_str());
    return 1;
  }
  Log(LogLevel::kInfo, kComponent,
      absl::StrCat("serving on '", options.socket_path, "' with ", (*manager)->size(),
                   " recovered sandbox(es)"));
  bool starved = false;  // accept4 failed for want of fds or memory
  for (;;) {
    struct pollfd fds[2] = {{listener->get(), POLLIN, 0}, {stop->get(), POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[1].revents != 0) break;
    int conn = accept4(listener->get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (conn < 0) {
      // Out of fds or memory, the connection stays queued and the listener
      // readable: a pause, not a spin on one CPU, until some are freed.
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        if (!starved) {
          Log(LogLevel::kWarning, kComponent,
              absl::StrCat("cannot accept a connection: ", strerror(errno),
                           "; retrying every 100 ms"));
        }
        starved = true;
        poll(&fds[1], 1, 100);  // the stop signal still ends the wait
      }
      continue;
    }
    starved = false;
    struct ucred cred = {};
    socklen_t len = sizeof(cred);
    bool ok = getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 &&
              Authorized(conn, cred, group);
    if (!ok) {
      Log(LogLevel::kWarning, kComponent,
          absl::StrCat("refusing uid ", cred.uid, " (pid ", cred.pid, ")"));
    }
    grpc::Server* serving = !ok ? denier.get() : cred.uid == 0 ? server.get() : members.get();
    grpc::AddInsecureChannelFromFd(serving, conn);
  }
  Log(LogLevel::kInfo, kComponent, "stopping");
  // Event streams and waits end now; they would otherwise hold the grace
  // period, and waits gRPC's shutdown after it.
  (*manager)->events().Close();
  api.EndWaits();
  member_api.EndWaits();
  // Calls in flight get up to 5 s; idle connections are then closed at once
  // (gRPC's own shutdown would wait for clients to hang up).
  const absl::Time grace_end = absl::Now() + absl::Seconds(5);
  if (!api.WaitUntilIdle(grace_end) || !member_api.WaitUntilIdle(grace_end)) {
    Log(LogLevel::kWarning, kComponent, "calls still in flight after 5 s; cancelling them");
  }
  // What the host sees of the daemon goes before gRPC's shutdown, which in
  // gRPC 1.51 can abort on a call that arrives during it: the socket (no
  // connection is accepted any more) and the binary's huge-page mount (the
  // sandboxes keep what they have mapped; a create still under way fails).
  if (listener->get() != 3) unlink(options.socket_path.c_str());
  std::move(detach_huge).Invoke();
  server->Shutdown(std::chrono::system_clock::now());
  if (members != nullptr) members->Shutdown(std::chrono::system_clock::now());
  denier->Shutdown(std::chrono::system_clock::now());
  deny.Stop();
  api.WaitForExecs();
  member_api.WaitForExecs();
  if (options.delete_on_exit) {
    for (const auto& view : (*manager)->ListSandboxes({})) {
      (void)(*manager)->DeleteSandbox(view.id, absl::Seconds(2));
    }
  }
  manager->reset();  // sandboxes that remain keep running
  return 0;
}

namespace {

// The value of numeric flag --`name`, from `min` to `max` (`what` says
// which numbers to the user); false, with a message, if it is not one.
bool ParseCount(const char* name, const std::string& value, int min, int max, const char* what,
                int* out) {
  int n = 0;
  if (absl::SimpleAtoi(value, &n) && n >= min && n <= max) {
    *out = n;
    return true;
  }
  fprintf(stderr, "runsc daemon: --%s: '%s' is not %s\n", name, value.c_str(), what);
  return false;
}

}  // namespace

int DaemonMain(int argc, char** argv) {
  DaemonOptions options;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](const char* name) -> std::optional<std::string> {
      std::string flag = std::string("--") + name;
      if (arg == flag && i + 1 < argc) return std::string(argv[++i]);
      if (absl::StartsWith(arg, flag + "=")) return arg.substr(flag.size() + 1);
      return std::nullopt;
    };
    if (arg == "--help" || arg == "-h") {
      printf(
          "Usage: runsc [--root DIR] daemon [flags]\n\n"
          "Serves the runsc API (runsc.api.v1.Sandboxes), health and reflection.\n\n"
          "  --socket PATH            unix socket (default /run/runsc/runsc.sock)\n"
          "  --group NAME             members may use the API besides root\n"
          "  --max-sandboxes N        live sandboxes at most (default 1024)\n"
          "  --warm-sandboxes N       sandboxes spawned ahead of creates (default 0)\n"
          "  --reclaim-ahead N        deletes that may answer before their teardown\n"
          "                           is over (default 16; 0: every delete waits)\n"
          "  --max-message-bytes N    largest request or response (default 16 MiB)\n"
          "  --max-execs N            Execs, Runs and RunSandboxes running at once,\n"
          "                           root's and the group's each (default 1024); as\n"
          "                           many Waits, Events streams and copies open, and\n"
          "                           twice as many Exec streams, started or not\n"
          "  --max-run-bytes N        what the Runs under way may hold of the daemon's\n"
          "                           memory, each its stdin and output caps twice,\n"
          "                           root's and the group's each (default 4 GiB)\n"
          "  --console-log-limit N    bytes of a main process's stdout and stderr kept in\n"
          "                           ROOT/ID/console.log; the rest is dropped (default\n"
          "                           8 MiB; 0: no limit)\n"
          "  --binary-on-huge-pages auto|on|off\n"
          "                           sandboxes run a copy of this binary on a tmpfs of\n"
          "                           huge pages (default auto: where it can be mounted\n"
          "                           safely, else from disk; on: or fail): in a mount\n"
          "                           namespace of the daemon's own where the root mount\n"
          "                           is shared, else at ROOT/.binary, detached on exit\n"
          "  --delete-on-exit         delete every sandbox when stopping\n");
      return 0;
    } else if (auto v = value("socket")) {
      options.socket_path = *v;
    } else if (auto v = value("group")) {
      options.group = *v;
    } else if (auto v = value("root")) {
      options.state_root = *v;
    } else if (auto v = value("max-sandboxes")) {
      if (!ParseCount("max-sandboxes", *v, 1, INT_MAX, "a positive number",
                      &options.max_sandboxes)) {
        return 2;
      }
    } else if (auto v = value("max-execs")) {
      if (!ParseCount("max-execs", *v, 1, INT_MAX, "a positive number", &options.max_execs)) {
        return 2;
      }
    } else if (auto v = value("warm-sandboxes")) {
      if (!ParseCount("warm-sandboxes", *v, 0, 1024, "a number from 0 to 1024",
                      &options.warm_sandboxes)) {
        return 2;
      }
    } else if (auto v = value("reclaim-ahead")) {
      if (!ParseCount("reclaim-ahead", *v, 0, 1024, "a number from 0 to 1024",
                      &options.reclaim_ahead)) {
        return 2;
      }
    } else if (auto v = value("max-message-bytes")) {
      if (!ParseCount("max-message-bytes", *v, 4096, INT_MAX, "a number >= 4096",
                      &options.max_message_bytes)) {
        return 2;
      }
    } else if (auto v = value("max-run-bytes")) {
      if (!absl::SimpleAtoi(*v, &options.max_run_bytes) || options.max_run_bytes == 0) {
        fprintf(stderr, "runsc daemon: --max-run-bytes: '%s' is not a positive number of bytes\n",
                v->c_str());
        return 2;
      }
    } else if (auto v = value("console-log-limit")) {
      if (!absl::SimpleAtoi(*v, &options.console_log_limit)) {
        fprintf(stderr, "runsc daemon: --console-log-limit: '%s' is not a number of bytes\n",
                v->c_str());
        return 2;
      }
    } else if (auto v = value("binary-on-huge-pages")) {
      if (*v != "auto" && *v != "on" && *v != "off") {
        fprintf(stderr, "runsc daemon: --binary-on-huge-pages: '%s' is not auto, on or off\n",
                v->c_str());
        return 2;
      }
      options.binary_on_huge_pages = *v;
    } else if (arg == "--delete-on-exit") {
      options.delete_on_exit = true;
    } else {
      fprintf(stderr, "runsc daemon: flag provided but not defined: %s\n", arg.c_str());
      return 2;
    }
  }
  return RunDaemon(options);
}

}  // namespace runsc::cli
