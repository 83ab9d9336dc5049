#include "boot/boot.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "boot/container_fs.h"
#include "boot/control_server.h"
#include "boot/control_service.h"
#include "boot/launcher.h"
#include "boot/launcher_client.h"
#include "boot/seccomp_policy.h"
#include "boot/stdio_registry.h"
#include "proto/boot.pb.h"
#include "proto/launcher.pb.h"
#include "runsc/util/boot_fds.h"
#include "runsc/util/errno_status.h"
#include "runsc/util/fd_limit.h"
#include "runsc/util/file_util.h"
#include "runsc/util/log.h"
#include "runsc/util/packet.h"
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
absl::StatusOr<runsc::boot::v1::BootConfig> ReadBootConfig() {
  struct stat st;
  if (fstat(util::kConfigFd, &st) != 0) {
    return ErrnoError(errno, "fstat config fd 4");
  }
  if (st.st_size > util::kMaxBootConfigBytes) {
    return absl::InvalidArgumentError("boot config is larger than 1 MiB");
  }
  // A sealed memfd: its size cannot change under us.
  std::string data(static_cast<size_t>(st.st_size), '\0');
  RETURN_IF_ERROR(util::PreadAll(util::kConfigFd, data.data(), data.size(), 0, "config fd 4"));
  runsc::boot::v1::BootConfig config;
  if (!config.ParseFromString(data)) {
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

// The launcher's: its socket and the config.
bool HasLauncherFds() {
  struct stat st;
  return fstat(util::kLauncherFd, &st) == 0 && S_ISSOCK(st.st_mode) &&
         fstat(util::kConfigFd, &st) == 0 && S_ISREG(st.st_mode);
}

// Daemon mode (BootConfig.report_main_exit): the main process's exit goes
// to the host on the sync socket, after "ready" (a main started at once may
// end before it), and the socket closes with it. Thread-safe: the exit comes
// on whichever thread reads the launcher.
class MainExitReport {
 public:
  explicit MainExitReport(int sync_fd) : fd_(sync_fd) {}

  // Writes "ready", and then the exit if it came first.
  bool SendReady(const util::SyncMessage& ready) {
    absl::MutexLock lock(&mu_);
    if (!util::WriteSyncRecord(fd_, ready)) return false;
    ready_sent_ = true;
    if (exit_.has_value()) Send(*exit_);
    return true;
  }

  void Exited(int pid, const runsc::launcher::v1::Exited& exited) {
    util::SyncMessage message =
        util::MakeSyncMessage(util::SyncType::kExited, SetupStage::kNone, 0, "main process exited");
    message.pid = pid;
    message.wait_status = util::EncodeWaitStatus(exited.signaled(), exited.code(), exited.signal());
    absl::MutexLock lock(&mu_);
    if (ready_sent_) {
      Send(message);
    } else {
      exit_ = message;
    }
  }

 private:
  void Send(const util::SyncMessage& message) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (fd_ < 0) return;
    // A daemon restarted since has no end to read it (EPIPE; SIGPIPE is
    // ignored): it dials the sandbox to wait instead.
    (void)util::WriteSyncRecord(fd_, message);
    close(fd_);
    fd_ = -1;
  }

  absl::Mutex mu_;
  int fd_ ABSL_GUARDED_BY(mu_);
  bool ready_sent_ ABSL_GUARDED_BY(mu_) = false;
  std::optional<util::SyncMessage> exit_ ABSL_GUARDED_BY(mu_);
};

void ResetSignals() {
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
}

// `runsc boot --launcher`: the container's launcher, started by the
// spawner's child beside the supervisor in new PID and mount namespaces
// (sandbox/spawner.h). It reports on its socket, fd 7, as LauncherMain does.
int LaunchContainer() {
  ResetSignals();
  absl::StatusOr<runsc::boot::v1::BootConfig> config = ReadBootConfig();
  if (!config.ok()) ReportLauncherFailure(util::kLauncherFd, "config", config.status());
  LauncherMain(*config, util::kLauncherFd);
}

int Serve() {
  ResetSignals();
  absl::StatusOr<runsc::boot::v1::BootConfig> config = ReadBootConfig();
  if (!config.ok()) return Fail(SetupStage::kConfig, config.status());

  // With a container, its launcher builds it while we start. Asked before
  // this process opens any fd, which could take the launcher's number.
  struct stat st;
  const bool has_launcher = fstat(util::kLauncherFd, &st) == 0;

  // SIGTERM and SIGINT ask for a graceful stop; blocked before any thread,
  // and read by the control server's poll loop (a thread fewer: each costs
  // the sandbox a kernel stack, and pivot_root elsewhere walks them all).
  util::BlockStopSignals();
  absl::StatusOr<util::UniqueFd> stop_signals = util::StopSignalFd();
  if (!stop_signals.ok()) return Fail(SetupStage::kServe, stop_signals.status());

  // Every run, exec and start on the stdio socket holds a connection here
  // until it is over: the soft fd limit the spawner gave the sandbox for
  // its workloads (1024 on many hosts) would cap how many can be under way.
  // The launcher, cloned before this exec, and so every workload, keep it.
  if (absl::Status raised = util::RaiseFdLimit(); !raised.ok()) {
    util::Log(util::LogLevel::kWarning, "boot", std::string(raised.message()));
  }
  absl::Status status = InstallControlServerFilter(config->control_filter());
  if (!status.ok()) return Fail(SetupStage::kSeccomp, status);

  const bool report_exit = config->report_main_exit() && has_launcher;
  MainExitReport exit_report(util::kSyncFd);
  std::unique_ptr<LauncherClient> launcher;
  if (has_launcher) {
    launcher = std::make_unique<LauncherClient>(util::UniqueFd(util::kLauncherFd));
  }
  StdioRegistry stdio;
  ControlServer* server_ptr = nullptr;
  ControlService service(
      config->sandbox_id(), [&server_ptr] { server_ptr->RequestShutdown(); },
      launcher.get(), &stdio, config->container().config().process());
  // gRPC starts with the first connection. A sandbox that nobody dials
  // never starts its threads, nor tears them down at its end: the daemon's
  // and the CLI's starts, runs, execs and signals go over the stdio socket,
  // and so do lists and waits; the status comes from the host's /proc,
  // and the main process's exit over the sync socket. Other callers of
  // the Control service (`runsc check`, tests, older clients) dial, and
  // pay for it once.
  absl::StatusOr<std::unique_ptr<ControlServer>> server = ControlServer::Create(
      &service, util::kControlFd, [&service](absl::Time d) { return service.WaitUntilIdle(d); },
      util::kStdioFd,
      [&stdio, &service, &server_ptr](util::UniqueFd conn) {
        stdio.ServeConnection(std::move(conn), [&service, &server_ptr](
                                                   const runsc::control::v1::StdioRequest& request,
                                                   StdioFds fds, util::UniqueFd conn) {
          // A run, start, exec, signal or list waits for the launcher's
          // answer, which this thread would otherwise be the one to read.
          // A wait asks the launcher nothing: its exit is read here too.
          if (!request.has_wait()) server_ptr->StopReadingUntilStarted();
          service.ServeStdioRequest(request, std::move(fds), std::move(conn),
                                    [&server_ptr](int fd, std::function<void()> on_event) {
                                      server_ptr->Watch(fd, std::move(on_event));
                                    });
        });
      },
      /*on_first_connection=*/true);
  if (!server.ok()) return Fail(SetupStage::kServe, server.status());
  server_ptr = server->get();

  // A warm sandbox is up now; its container comes when the host assigns
  // one, and with it the launcher's ready, then ours as a cold sandbox's.
  const bool warm = config->container_on_socket() && launcher != nullptr;
  if (warm && !util::WriteSyncRecord(
                  util::kSyncFd, util::MakeSyncMessage(util::SyncType::kReady, SetupStage::kNone, 0,
                                                       util::kReadyText))) {
    return 1;  // the host is gone
  }

  // Only a launcher that is ready (it was born in the container's cgroups)
  // has a main process whose exit means ours.
  if (launcher != nullptr) {
    status = launcher->AwaitReady();
    if (!status.ok()) return Fail(SetupStage::kLauncher, status);
  }
  std::string sandbox_id = config->sandbox_id();
  bool main_at_ready = launcher != nullptr && config->main_fds_size() > 0;
  if (warm) {
    runsc::launcher::v1::Ready ready = launcher->ready();
    sandbox_id = ready.sandbox_id();
    main_at_ready = ready.main_pid() != 0 || ready.has_main_failed();
    service.Assign(sandbox_id, ready.main_process());
  }

  server_ptr->StopWhenReadable(std::move(*stop_signals));

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
  // Daemon mode: the exit is the host's to hear, on the sync socket.
  if (report_exit) {
    LauncherClient* client = launcher.get();
    launcher->OnMainExit([&exit_report, client](const runsc::launcher::v1::Exited& exited) {
      // A launcher that went away reports no pid: the main's, then.
      exit_report.Exited(exited.pid() != 0 ? exited.pid() : client->main_pid().value_or(0), exited);
    });
  }

  // `runsc run` and CreateSandbox{start}: the launcher started the main
  // process before its ready, and "ready" carries its pid. The exit
  // callback above is in place before its exit can be read, and a main
  // that ends before we serve still stops us (RequestShutdown only raises
  // the server's flag).
  int main_pid = 0;
  if (main_at_ready) {
    absl::StatusOr<int> pid = service.MainStartedAtReady();
    if (!pid.ok()) return Fail(SetupStage::kStartMain, pid.status());
    main_pid = *pid;
  }

  // Until here this thread read the launcher's replies itself; from here
  // gRPC's threads call it, and a thread of the client's reads, from the
  // start of gRPC (at once, or in runtime mode with the first connection:
  // until then the control server's loop reads the launcher).
  if (launcher != nullptr) {
    LauncherClient* client = launcher.get();
    server_ptr->ReadUntilStarted(
        client->fd(), [client] { return client->ReadOne(); }, [client] { client->StartReader(); });
  }

  // The fd set must be final when the spawner hears "ready": the config fd
  // goes first, the sync fd right after the message (the spawner waits for
  // its EOF), or in daemon mode once the main process's exit is reported.
  close(util::kConfigFd);
  util::SyncMessage ready =
      util::MakeSyncMessage(util::SyncType::kReady, SetupStage::kNone, 0, util::kReadyText);
  ready.pid = main_pid;
  if (!(report_exit ? exit_report.SendReady(ready) : util::WriteSyncRecord(util::kSyncFd, ready))) {
    Log(LogLevel::kError, kComponent, "could not report ready; exiting");
    return 1;
  }
  if (!report_exit) close(util::kSyncFd);
  Log(LogLevel::kInfo, kComponent, absl::StrCat("sandbox ", sandbox_id, " serving"));
  status = (*server)->Serve();
  if (!status.ok()) {
    Log(LogLevel::kError, kComponent, std::string(status.message()));
  } else {
    Log(LogLevel::kInfo, kComponent, "control server stopped; exiting");
  }
  // Every call has been answered (or the grace is over), and the
  // connections close with this process; the sandbox ends with it.
  // Returning would destroy the server, the service and exit_code while the
  // launcher client's reader thread can still call the main-exit callback
  // into them, and would join gRPC's threads (2 to 3 ms here) only for the
  // kernel to reclaim everything anyway. The log is written unbuffered.
  _exit(status.ok() ? exit_code.load() : 1);
}

}  // namespace

int BootMain(int argc, char** argv) {
  bool launcher = false;
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "--launcher") == 0) {
      launcher = true;
    } else {
      fprintf(stderr, "runsc boot: unknown flag '%s'\n", argv[i]);
      return 2;
    }
  }
  if (!(launcher ? HasLauncherFds() : HasBootFds())) {
    fprintf(stderr,
            "runsc boot: internal command; it is started by the runsc daemon "
            "or CLI with its control and sync fds\n");
    return 2;
  }
  return launcher ? LaunchContainer() : Serve();
}

}  // namespace runsc::boot
