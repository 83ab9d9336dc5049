#include "boot/boot.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "boot/container_fs.h"
#include "boot/control_server.h"
#include "boot/control_service.h"
#include "boot/launcher.h"
#include "boot/launcher_client.h"
#include "boot/stdio_registry.h"
#include "proto/launcher.pb.h"
#include "runsc/util/packet.h"
#include "boot/privileges.h"
#include "boot/seccomp_policy.h"
#include "boot/setup_root.h"
#include "proto/boot.pb.h"
#include "runsc/util/boot_fds.h"
#include "runsc/util/errno_status.h"
#include "runsc/util/log.h"
#include "runsc/util/status_macros.h"
#include "runsc/util/stop_signals.h"
#include "runsc/util/sync_message.h"

namespace runsc::boot {

using util::ErrnoError;
using util::Log;
using util::LogLevel;
using util::SetupStage;

namespace {

constexpr char kComponent[] = "boot";
constexpr char kDefaultRootTmpfsSize[] = "64k";

absl::StatusOr<runsc::boot::v1::BootConfig> ReadBootConfig() {
  struct stat st;
  if (fstat(util::kConfigFd, &st) != 0) {
    return ErrnoError(errno, "fstat config fd 4");
  }
  if (st.st_size > (1 << 20)) {
    return absl::InvalidArgumentError("boot config is larger than 1 MiB");
  }
  std::string data(static_cast<size_t>(st.st_size), '\0');
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = pread(util::kConfigFd, data.data() + done, data.size() - done,
                      static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError(errno, "read config fd 4");
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  runsc::boot::v1::BootConfig config;
  if (!config.ParseFromString(data.substr(0, done))) {
    return absl::InvalidArgumentError("boot config is not a BootConfig proto");
  }
  return config;
}

// Sends the failure to the spawner and logs it; returns the exit code.
int Fail(SetupStage stage, const absl::Status& status) {
  Log(LogLevel::kError, kComponent,
      absl::StrCat("stage ", util::StageName(stage), ": ", status.message()));
  (void)util::SendSyncError(util::kSyncFd, stage, status);
  return 1;
}

// True if the fd layout looks like the spawner's: the sync fd is a socket.
bool HasBootFds() {
  struct stat st;
  return fstat(util::kSyncFd, &st) == 0 && S_ISSOCK(st.st_mode) &&
         fstat(util::kControlFd, &st) == 0 && S_ISSOCK(st.st_mode);
}

void ResetSignals() {
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
}

// Forks the launcher into the container's new PID and mount namespaces. The
// sandbox's IPC, UTS and network namespaces are the container's, as a
// runtime's pid-file process's are: podman points a pod's other containers
// at /proc/<that pid>/ns/* (the pod's shared namespaces, or ones joined by
// path). The supervisor makes no IPC objects and ignores the hostname.
// Stage 1 is single-threaded, so a plain fork-like clone is safe. Keeps the
// supervisor's end of the launcher's socket as fd 7. The launcher builds the
// container's filesystem while stage 1 builds its own root and the
// supervisor starts: the supervisor waits for its first message
// (AwaitLauncher).
absl::Status StartLauncher(const runsc::boot::v1::BootConfig& config) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
    return ErrnoError(errno, "socketpair for the launcher");
  }
  long pid = syscall(SYS_clone, CLONE_NEWPID | CLONE_NEWNS | SIGCHLD, nullptr, nullptr, nullptr,
                     nullptr);
  if (pid < 0) return ErrnoError(errno, "clone the launcher");
  if (pid == 0) {
    close(sv[0]);
    LauncherMain(config, sv[1]);
  }
  close(sv[1]);
  if (sv[0] == util::kLauncherFd) {
    // Already in place: it only has to survive the re-exec.
    if (fcntl(sv[0], F_SETFD, 0) != 0) return ErrnoError(errno, "clear O_CLOEXEC on fd 7");
  } else {
    if (dup3(sv[0], util::kLauncherFd, 0) < 0) {
      return ErrnoError(errno, "install the launcher socket as fd 7");
    }
    close(sv[0]);
  }
  // The mount trees are the launcher's alone now.
  CloseMountTrees(config.container());
  return absl::OkStatus();
}

// The supervisor's first word with the launcher: waits until it has built
// the container's filesystem (or says why it could not), and announces it to
// the spawner, which moves it into the container's cgroups while the control
// server starts.
absl::Status AwaitLauncher() {
  runsc::launcher::v1::LauncherEvent event;
  absl::Status status = util::RecvPacket(util::kLauncherFd, &event);
  if (!status.ok()) return util::Annotate(status, "waiting for the launcher");
  if (event.has_failed()) {
    const auto& f = event.failed();
    std::string message = absl::StrCat("container ", f.stage(), ": ", f.message());
    if (f.err() != 0) return util::StatusWithErrno(f.err(), message);
    return absl::InternalError(message);
  }
  if (!event.has_ready()) return absl::InternalError("unexpected first launcher message");
  if (!util::WriteSyncMessage(util::kSyncFd, util::SyncType::kLauncherReady, SetupStage::kNone, 0,
                              "launcher ready")) {
    return ErrnoError(errno, "report the launcher to the spawner");
  }
  return absl::OkStatus();
}

int SetupRootAndReexec() {
  ResetSignals();
  absl::StatusOr<runsc::boot::v1::BootConfig> config = ReadBootConfig();
  if (!config.ok()) return Fail(SetupStage::kConfig, config.status());
  const std::string size = config->root_tmpfs_size().empty()
                               ? kDefaultRootTmpfsSize
                               : config->root_tmpfs_size();
  struct Step {
    SetupStage stage;
    absl::Status (*run)(const runsc::boot::v1::BootConfig&, const std::string&);
  };
  const Step steps[] = {
      {SetupStage::kKeyring,
       [](const auto&, const std::string&) { return JoinNewSessionKeyring(""); }},
      {SetupStage::kDropPrivileges,
       [](const auto&, const std::string&) { return SetGroupsToNobody(); }},
      {SetupStage::kMountPropagation,
       [](const auto&, const std::string&) { return MakeMountsPrivate(); }},
      {SetupStage::kLoopback,
       [](const auto& c, const std::string&) {
         return c.network_none() || c.network_joined() ? absl::OkStatus() : BringUpLoopback();
       }},
      {SetupStage::kHostname,
       [](const auto& c, const std::string&) {
         return c.uts_joined() ? absl::OkStatus() : SetHostname(c.sandbox_id());
       }},
      {SetupStage::kRootTmpfs,
       [](const auto&, const std::string& s) { return CreateRootTmpfs(s); }},
      {SetupStage::kProcMount,
       [](const auto&, const std::string&) { return MountProc(); }},
      {SetupStage::kBindSelf,
       [](const auto&, const std::string&) { return BindSelf(); }},
      {SetupStage::kRemountRoot,
       [](const auto&, const std::string&) { return RemountRootReadOnly(); }},
      {SetupStage::kPivotRoot,
       [](const auto&, const std::string&) { return PivotIntoCwd(); }},
      {SetupStage::kDropPrivileges,
       [](const auto&, const std::string&) { return DropToNobody(); }},
  };
  for (const Step& step : steps) {
    // The launcher is forked from the sandbox's namespaces as the host left
    // them (mounts private, before the sandbox's own root exists).
    if (step.stage == SetupStage::kRootTmpfs && config->has_container()) {
      absl::Status status = StartLauncher(*config);
      if (!status.ok()) return Fail(SetupStage::kLauncher, status);
    }
    absl::Status status = step.run(*config, size);
    if (!status.ok()) return Fail(step.stage, status);
  }
  char arg0[] = "runsc";
  char arg1[] = "boot";
  char* const argv[] = {arg0, arg1, nullptr};
  char* const envp[] = {nullptr};
  execve("/runsc", argv, envp);
  return Fail(SetupStage::kReexec, ErrnoError(errno, "execve '/runsc boot'"));
}

int Serve() {
  ResetSignals();
  absl::StatusOr<runsc::boot::v1::BootConfig> config = ReadBootConfig();
  if (!config.ok()) return Fail(SetupStage::kConfig, config.status());

  // SIGTERM and SIGINT ask for a graceful stop; blocked before any thread.
  util::BlockStopSignals();

  absl::Status status = InstallControlServerFilter(config->control_filter());
  if (!status.ok()) return Fail(SetupStage::kSeccomp, status);

  std::unique_ptr<LauncherClient> launcher;
  struct stat st;
  if (fstat(util::kLauncherFd, &st) == 0) {
    status = AwaitLauncher();
    if (!status.ok()) return Fail(SetupStage::kLauncher, status);
    launcher = std::make_unique<LauncherClient>(util::UniqueFd(util::kLauncherFd));
  }
  StdioRegistry stdio;
  ControlServer* server_ptr = nullptr;
  ControlService service(
      config->sandbox_id(), [&server_ptr] { server_ptr->RequestShutdown(); },
      launcher.get(), &stdio, config->container().config().process());
  absl::StatusOr<std::unique_ptr<ControlServer>> server = ControlServer::Create(
      &service, util::kControlFd,
      [&service](absl::Time d) { return service.WaitUntilIdle(d); }, util::kStdioFd,
      [&stdio](util::UniqueFd conn) { stdio.ServeConnection(std::move(conn)); });
  if (!server.ok()) return Fail(SetupStage::kServe, server.status());
  server_ptr = server->get();

  util::OnStopSignal([server_ptr] { server_ptr->RequestShutdown(); });

  // Runtime mode: the main process's end is ours, with its status, once
  // the calls in flight (a Wait for it, say) are answered.
  std::atomic<int> exit_code{0};
  if (config->exit_with_main() && launcher != nullptr) {
    launcher->OnMainExit([&exit_code, server_ptr](const runsc::launcher::v1::Exited& exited) {
      const int code = exited.signaled() ? 128 + exited.signal() : exited.code();
      exit_code.store(code);
      // The host reads this line back once we are gone (Sandbox::ExitStatusFromLog).
      Log(LogLevel::kInfo, kComponent, absl::StrCat(util::kExitStatusLogMarker, code));
      server_ptr->RequestShutdown();
    });
  }

  // The fd set must be final when the spawner hears "ready": the config fd
  // goes first, the sync fd right after the message (the spawner waits for
  // its EOF).
  close(util::kConfigFd);
  if (!util::WriteSyncMessage(util::kSyncFd, util::SyncType::kReady,
                              SetupStage::kNone, 0, "serving")) {
    Log(LogLevel::kError, kComponent, "could not report ready; exiting");
    return 1;
  }
  close(util::kSyncFd);
  Log(LogLevel::kInfo, kComponent,
      absl::StrCat("sandbox ", config->sandbox_id(), " serving"));
  status = (*server)->Serve();
  if (!status.ok()) {
    Log(LogLevel::kError, kComponent, std::string(status.message()));
    return 1;
  }
  Log(LogLevel::kInfo, kComponent, "control server stopped; exiting");
  return exit_code.load();
}

}  // namespace

int BootMain(int argc, char** argv) {
  bool setup_root = false;
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "--setup-root") == 0) {
      setup_root = true;
    } else {
      fprintf(stderr, "runsc boot: unknown flag '%s'\n", argv[i]);
      return 2;
    }
  }
  if (!HasBootFds()) {
    fprintf(stderr,
            "runsc boot: internal command; it is started by the runsc daemon "
            "or CLI with its control and sync fds\n");
    return 2;
  }
  return setup_root ? SetupRootAndReexec() : Serve();
}

}  // namespace runsc::boot
