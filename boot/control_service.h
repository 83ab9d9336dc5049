// ControlService: the gRPC adapter for runsc.control.v1.Control inside the
// sandbox. It answers Info from plain state and turns Shutdown into a call of
// the shutdown callback once the reply has been sent; it owns no threads or
// fds. It uses gRPC's callback API: no per-server thread pool.
#ifndef RUNSC_BOOT_CONTROL_SERVICE_H_
#define RUNSC_BOOT_CONTROL_SERVICE_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "boot/launcher_client.h"
#include "boot/stdio_registry.h"
#include "proto/boot.pb.h"
#include "proto/control.grpc.pb.h"
#include "runsc/util/unique_fd.h"

namespace runsc::boot {

class ControlService final
    : public runsc::control::v1::Control::CallbackService {
 public:
  // `request_shutdown` is called (from a gRPC thread) after a Shutdown reply
  // has been sent; it must not block. `launcher` and `stdio` (not owned) are
  // null for a sandbox without a container; `main_process` is the
  // container's main process.
  ControlService(std::string sandbox_id, std::function<void()> request_shutdown,
                 LauncherClient* launcher = nullptr, StdioRegistry* stdio = nullptr,
                 runsc::boot::v1::ProcessConfig main_process = {});

  grpc::ServerUnaryReactor* Info(
      grpc::CallbackServerContext* context,
      const runsc::control::v1::InfoRequest* request,
      runsc::control::v1::InfoResponse* response) override;
  grpc::ServerUnaryReactor* Shutdown(
      grpc::CallbackServerContext* context,
      const runsc::control::v1::ShutdownRequest* request,
      runsc::control::v1::ShutdownResponse* response) override;

  grpc::ServerUnaryReactor* Start(
      grpc::CallbackServerContext* context,
      const runsc::control::v1::StartRequest* request,
      runsc::control::v1::StartResponse* response) override;
  grpc::ServerUnaryReactor* Exec(
      grpc::CallbackServerContext* context,
      const runsc::control::v1::ExecRequest* request,
      runsc::control::v1::ExecResponse* response) override;
  grpc::ServerUnaryReactor* Run(grpc::CallbackServerContext* context,
                                const runsc::control::v1::RunRequest* request,
                                runsc::control::v1::RunResponse* response) override;
  grpc::ServerUnaryReactor* Signal(
      grpc::CallbackServerContext* context,
      const runsc::control::v1::SignalRequest* request,
      runsc::control::v1::SignalResponse* response) override;
  grpc::ServerUnaryReactor* Wait(
      grpc::CallbackServerContext* context,
      const runsc::control::v1::WaitRequest* request,
      runsc::control::v1::WaitResponse* response) override;
  grpc::ServerUnaryReactor* ListProcesses(
      grpc::CallbackServerContext* context,
      const runsc::control::v1::ListProcessesRequest* request,
      runsc::control::v1::ListProcessesResponse* response) override;

  // The container's main process, which the launcher started with the fds
  // it was given at its spawn (BootConfig.main_fds) before it reported
  // ready: `runsc run` and CreateSandbox{start}, where no Start call comes.
  // Returns its pid, or the error a Start call would have given.
  absl::StatusOr<int> MainStartedAtReady();

  // A warm sandbox's supervisor learns its id and main process only when a
  // request is assigned to it (the launcher's Ready says them). Before any
  // call can come.
  void Assign(std::string sandbox_id, runsc::boot::v1::ProcessConfig main_process);

  // A Run over the stdio socket (control.proto's StdioRequest.run): starts
  // the process with `fds` as its stdio, beside the running main process,
  // and answers on `conn` (StdioAnswer.run) once it has exited, or at once
  // if it cannot start. `watch` (ControlServer::Watch) has the serve loop
  // hear the caller's packets and hang-up on `conn`: either kills the
  // process, as a gRPC Run's cancel does. Call on the serve loop's thread,
  // which the start blocks for as long as the launcher takes to exec. The
  // run counts as a call in flight until it has been answered.
  using WatchFn = std::function<void(int fd, std::function<void()> on_event)>;
  void RunOnConnection(const runsc::control::v1::RunRequest& request, StdioFds fds,
                       util::UniqueFd conn, WatchFn watch);

  // A request on the stdio socket that is not a hand-off: a run (above), a
  // start of the main process with `fds`, as Start does with a token's,
  // answered on `conn` with its pid or why not (StdioAnswer.start), a
  // signal, as Signal, answered with whether it was sent, or an exec
  // (ExecOnConnection). On the serve
  // loop's thread.
  void ServeStdioRequest(const runsc::control::v1::StdioRequest& request, StdioFds fds,
                         util::UniqueFd conn, WatchFn watch);

  // Blocks until no call is in flight or `deadline` passes; returns whether
  // it became idle. A call is in flight from its handler's start until its
  // reply has been sent (the reactor's OnDone).
  bool WaitUntilIdle(absl::Time deadline);

 private:
  class Reactor;
  class ExitReactor;
  struct StdioRun;
  static void WatchCaller(std::shared_ptr<StdioRun> run, LauncherClient* launcher, WatchFn watch);
  void CallStarted();
  void CallDone();
  grpc::ServerUnaryReactor* Done(const absl::Status& status);
  // A call that named `token` fails with `why` before its start took the
  // stdio: the stdio goes (now, or when it comes).
  absl::Status Refuse(const std::string& token, absl::Status why);
  // Starts `process` with the stdio named by `token` (held before its exec
  // with `hold`); returns its pid. `stdio_wait`: how long a token whose
  // stdio is on its way may take. `output_limit`: StartRequest's.
  absl::StatusOr<int> StartProcess(const runsc::boot::v1::ProcessConfig& process,
                                   const std::string& token, bool main, bool hold = false,
                                   absl::Duration stdio_wait = absl::ZeroDuration(),
                                   uint64_t output_limit = 0);

  // Start's body: the main process, with the stdio named by the request's
  // token, or with `fds` where given (a start over the stdio socket); a
  // held one is released instead. Returns its pid.
  absl::StatusOr<int> StartMain(const runsc::control::v1::StartRequest& request,
                                std::optional<StdioFds> fds);
  // An exec on the stdio socket (StdioRequest.exec): starts `process` with
  // `fds` and answers on `conn` with its pid, then with its exit.
  // With `kill_on_hangup` (ExecRequest's), the end of `conn` before the
  // exit was answered kills the process.
  void ExecOnConnection(const runsc::boot::v1::ProcessConfig& process, bool kill_on_hangup,
                        StdioFds fds, util::UniqueFd conn, WatchFn watch);
  // A wait on the stdio socket: the pid at once, then the exit, on `conn`.
  void WaitOnConnection(int pid, StdioFds fds, util::UniqueFd conn, WatchFn watch);
  // The exit of `pid` (which is running or has run) answered on `conn`
  // once it comes, unless the caller has gone by then.
  void AnswerExitLater(int pid, util::UniqueFd conn, WatchFn watch, bool kill_on_hangup = false);
  struct ExecCaller;
  static void WatchExecCaller(std::shared_ptr<ExecCaller> caller, int fd, WatchFn watch);
  // A process other than the main one, with `fds` (a run or an exec on the
  // stdio socket): refused unless the main process runs.
  absl::StatusOr<int> LaunchOther(const runsc::boot::v1::ProcessConfig& process, StdioFds fds);
  // Signal's body.
  absl::Status SendSignal(const runsc::control::v1::SignalRequest& request);
  // ListProcesses's body: the launcher's list of what it started.
  absl::StatusOr<runsc::control::v1::ListProcessesResponse> ListStarted();

  // Exec's and Run's start: a process beside the running main process.
  absl::StatusOr<int> StartOther(const runsc::boot::v1::ProcessConfig& process,
                                 const std::string& token,
                                 absl::Duration stdio_wait = absl::ZeroDuration());
  // What StartProcess checks of `process` before it takes any stdio.
  static absl::Status CheckProcess(const runsc::boot::v1::ProcessConfig& process);
  // FAILED_PRECONDITION unless the main process runs (an exec needs it).
  absl::Status CheckMainRunning();
  // Has the launcher start `process` with `fds`; returns its pid.
  // `output_limit`: StartRequest's (StartProcess.output_limit).
  absl::StatusOr<int> Launch(const runsc::boot::v1::ProcessConfig& process, StdioFds fds, bool main,
                             bool hold, uint64_t output_limit = 0);

  LauncherClient* const launcher_;
  StdioRegistry* const stdio_;
  // Set at construction, or by Assign before any call.
  runsc::boot::v1::ProcessConfig main_process_;
  absl::Mutex start_mu_;
  std::optional<int> held_main_ ABSL_GUARDED_BY(start_mu_);  // created, not started

  absl::Mutex mu_;
  int inflight_ ABSL_GUARDED_BY(mu_) = 0;
  std::string sandbox_id_;  // as main_process_
  const std::function<void()> request_shutdown_;
  const absl::Time started_ = absl::Now();
};

}  // namespace runsc::boot

#endif  // RUNSC_BOOT_CONTROL_SERVICE_H_
