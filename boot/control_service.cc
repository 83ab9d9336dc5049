#include "boot/control_service.h"

#include <errno.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cmath>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "boot/process_list.h"
#include "grpcpp/alarm.h"
#include "runsc/util/grpc_status.h"
#include "runsc/util/log.h"
#include "runsc/util/packet.h"
#include "runsc/util/status_macros.h"
#include "runsc/util/stdio_socket.h"
#include "runsc/util/version.h"

namespace runsc::boot {

ControlService::ControlService(std::string sandbox_id,
                               std::function<void()> request_shutdown,
                               LauncherClient* launcher, StdioRegistry* stdio,
                               runsc::boot::v1::ProcessConfig main_process)
    : launcher_(launcher),
      stdio_(stdio),
      main_process_(std::move(main_process)),
      sandbox_id_(std::move(sandbox_id)),
      request_shutdown_(std::move(request_shutdown)) {}

// A unary reactor that finishes at once with `status`, marks the call done
// once the reply has been sent, and then runs `after` (if any).
class ControlService::Reactor final : public grpc::ServerUnaryReactor {
 public:
  Reactor(ControlService* service, grpc::Status status,
          std::function<void()> after = nullptr)
      : service_(service), after_(std::move(after)) {
    Finish(std::move(status));
  }
  void OnDone() override {
    service_->CallDone();
    if (after_) after_();
    delete this;
  }

 private:
  ControlService* const service_;
  const std::function<void()> after_;
};

void ControlService::CallStarted() {
  absl::MutexLock lock(&mu_);
  ++inflight_;
}

void ControlService::CallDone() {
  absl::MutexLock lock(&mu_);
  --inflight_;
}

bool ControlService::WaitUntilIdle(absl::Time deadline) {
  absl::MutexLock lock(&mu_);
  auto idle = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return inflight_ == 0; };
  return mu_.AwaitWithDeadline(absl::Condition(&idle), deadline);
}

grpc::ServerUnaryReactor* ControlService::Info(
    grpc::CallbackServerContext*, const runsc::control::v1::InfoRequest*,
    runsc::control::v1::InfoResponse* response) {
  CallStarted();
  response->set_sandbox_id(sandbox_id_);
  response->set_pid(getpid());
  response->set_uid(getuid());
  response->set_gid(getgid());
  response->set_version(util::kVersion);
  response->set_uptime_seconds(absl::ToDoubleSeconds(absl::Now() - started_));
  return new Reactor(this, grpc::Status::OK);
}

grpc::ServerUnaryReactor* ControlService::Shutdown(
    grpc::CallbackServerContext*, const runsc::control::v1::ShutdownRequest*,
    runsc::control::v1::ShutdownResponse*) {
  CallStarted();
  // Stop only after the reply has left, or the client would see the call
  // cancelled.
  return new Reactor(this, grpc::Status::OK, request_shutdown_);
}

grpc::ServerUnaryReactor* ControlService::Done(const absl::Status& status) {
  return new Reactor(this, util::ToGrpcStatus(status));
}

namespace {
absl::Status NoContainer() {
  return absl::FailedPreconditionError("this sandbox has no container");
}
}  // namespace

absl::Status ControlService::Refuse(const std::string& token, absl::Status why) {
  if (stdio_ != nullptr) stdio_->Discard(token);
  return why;
}

absl::Status ControlService::CheckProcess(const runsc::boot::v1::ProcessConfig& process) {
  if (process.args().empty()) return absl::InvalidArgumentError("process.args: must not be empty");
  if (process.listen_fds() > process.extra_fds()) {
    return absl::InvalidArgumentError("process.listen_fds: more than its extra fds");
  }
  return absl::OkStatus();
}

absl::StatusOr<int> ControlService::StartProcess(const runsc::boot::v1::ProcessConfig& process,
                                                 const std::string& token, bool main, bool hold,
                                                 absl::Duration stdio_wait, uint64_t output_limit) {
  if (absl::Status checked = CheckProcess(process); !checked.ok()) return Refuse(token, checked);
  ASSIGN_OR_RETURN(StdioFds fds, stdio_->Take(token, stdio_wait));
  return Launch(process, std::move(fds), main, hold, output_limit);
}

absl::StatusOr<int> ControlService::Launch(const runsc::boot::v1::ProcessConfig& process,
                                           StdioFds fds, bool main, bool hold,
                                           uint64_t output_limit) {
  const size_t want = (process.terminal() ? 1 : 3) + process.extra_fds();
  if (fds.size() != want) {
    return absl::InvalidArgumentError(absl::StrCat(
        "stdio_token: a process ", process.terminal() ? "with" : "without", " a terminal and ",
        process.extra_fds(), " extra fd(s) takes ", want, " fd(s), the token holds ", fds.size()));
  }
  std::vector<int> raw;
  for (const auto& fd : fds) raw.push_back(fd.get());
  runsc::launcher::v1::LauncherRequest request;
  *request.mutable_start()->mutable_process() = process;
  request.mutable_start()->set_main(main);
  request.mutable_start()->set_hold(hold);
  request.mutable_start()->set_output_limit(output_limit);
  absl::StatusOr<runsc::launcher::v1::LauncherEvent> reply = launcher_->Call(request, raw);
  if (!reply.ok()) return reply.status();
  const int pid = reply->started().pid();
  launcher_->NoteStarted(pid, main);
  return pid;
}

void ControlService::Assign(std::string sandbox_id, runsc::boot::v1::ProcessConfig main_process) {
  sandbox_id_ = std::move(sandbox_id);
  main_process_ = std::move(main_process);
}

absl::StatusOr<int> ControlService::MainStartedAtReady() {
  if (launcher_ == nullptr) return NoContainer();
  absl::MutexLock lock(&start_mu_);
  return launcher_->MainStartedAtReady();
}

grpc::ServerUnaryReactor* ControlService::Start(
    grpc::CallbackServerContext*, const runsc::control::v1::StartRequest* request,
    runsc::control::v1::StartResponse* response) {
  CallStarted();
  absl::StatusOr<int> pid = StartMain(*request, std::nullopt);
  if (pid.ok()) response->set_pid(*pid);
  return Done(pid.status());
}

absl::StatusOr<int> ControlService::StartMain(const runsc::control::v1::StartRequest& request,
                                              std::optional<StdioFds> fds) {
  const std::string& token = request.stdio_token();
  const bool hold = request.hold();
  if (launcher_ == nullptr) return NoContainer();
  absl::MutexLock lock(&start_mu_);
  if (held_main_.has_value()) {
    if (hold || !token.empty() || fds.has_value()) {
      return absl::FailedPreconditionError(
          "the container is created; start it with neither stdio_token nor hold");
    }
    runsc::launcher::v1::LauncherRequest release;
    release.mutable_release()->set_pid(*held_main_);
    absl::StatusOr<runsc::launcher::v1::LauncherEvent> reply = launcher_->Call(release, {});
    // Released either way: a failed exec has ended the process.
    const int pid = *held_main_;
    held_main_.reset();
    if (!reply.ok()) return reply.status();
    return pid;
  }
  if (launcher_->main_pid().has_value()) {
    return absl::FailedPreconditionError("the container has already been started");
  }
  if (token.empty() && !fds.has_value()) {
    return absl::FailedPreconditionError(
        "no process of the container waits for start, and the start gives no stdio");
  }
  absl::StatusOr<int> pid;
  if (fds.has_value()) {
    absl::Status checked = CheckProcess(main_process_);
    pid = checked.ok() ? Launch(main_process_, std::move(*fds), true, hold, request.output_limit())
                       : absl::StatusOr<int>(checked);
  } else {
    pid = StartProcess(main_process_, token, true, hold, absl::ZeroDuration(),
                       request.output_limit());
  }
  if (pid.ok() && hold) held_main_ = *pid;
  return pid;
}

absl::Status ControlService::CheckMainRunning() {
  if (launcher_ == nullptr) return NoContainer();
  std::optional<int> main = launcher_->main_pid();
  if (!main.has_value() || !launcher_->IsRunning(*main)) {
    return absl::FailedPreconditionError(
        "the container is not running (start it first; a stopped container cannot exec)");
  }
  return absl::OkStatus();
}

absl::StatusOr<int> ControlService::LaunchOther(const runsc::boot::v1::ProcessConfig& process,
                                                StdioFds fds) {
  RETURN_IF_ERROR(CheckMainRunning());
  RETURN_IF_ERROR(CheckProcess(process));
  return Launch(process, std::move(fds), false, false);
}

absl::StatusOr<int> ControlService::StartOther(const runsc::boot::v1::ProcessConfig& process,
                                               const std::string& token,
                                               absl::Duration stdio_wait) {
  if (launcher_ == nullptr) return NoContainer();
  if (absl::Status running = CheckMainRunning(); !running.ok()) return Refuse(token, running);
  return StartProcess(process, token, false, false, stdio_wait);
}

grpc::ServerUnaryReactor* ControlService::Exec(
    grpc::CallbackServerContext*, const runsc::control::v1::ExecRequest* request,
    runsc::control::v1::ExecResponse* response) {
  CallStarted();
  absl::StatusOr<int> pid = StartOther(request->process(), request->stdio_token());
  if (!pid.ok()) return Done(pid.status());
  response->set_pid(*pid);
  return Done(absl::OkStatus());
}

grpc::ServerUnaryReactor* ControlService::Signal(
    grpc::CallbackServerContext*, const runsc::control::v1::SignalRequest* request,
    runsc::control::v1::SignalResponse*) {
  CallStarted();
  return Done(SendSignal(*request));
}

absl::Status ControlService::SendSignal(const runsc::control::v1::SignalRequest& request) {
  if (launcher_ == nullptr) return NoContainer();
  if (request.signal() <= 0 || request.signal() >= 65) {
    return absl::InvalidArgumentError(
        absl::StrCat("signal: ", request.signal(), " is not a signal number"));
  }
  if (!request.all() && !launcher_->Known(request.pid())) {
    return absl::NotFoundError(
        absl::StrCat("pid: no process ", request.pid(), " was started in this container"));
  }
  runsc::launcher::v1::LauncherRequest call;
  call.mutable_signal()->set_pid(request.pid());
  call.mutable_signal()->set_signal(request.signal());
  call.mutable_signal()->set_all(request.all());
  return launcher_->Call(call, {}).status();
}

namespace {

// How a process the launcher reported ended, as the Control protocol says it.
void SetExit(const runsc::launcher::v1::Exited& exited, runsc::control::v1::ExitStatus* status) {
  status->set_signaled(exited.signaled());
  status->set_code(exited.code());
  status->set_signal(exited.signal());
}

// Kills a process the launcher started. Runs on gRPC's threads (an alarm, a
// cancel) or the serve loop's (a stdio run's caller): a launcher that does
// not answer holds it for a second at most. A process that has ended is no
// failure (the launcher signals only processes it runs).
void KillStarted(LauncherClient* launcher, int pid, absl::string_view why) {
  runsc::launcher::v1::LauncherRequest call;
  call.mutable_signal()->set_pid(pid);
  call.mutable_signal()->set_signal(SIGKILL);
  absl::Status killed = launcher->Call(call, {}, absl::Seconds(1)).status();
  if (!killed.ok() && !absl::IsNotFound(killed)) {
    util::Log(util::LogLevel::kWarning, "control",
              absl::StrCat("kill pid ", pid, " ", why, ": ", killed.message()));
  }
}

}  // namespace

// Finishes when the process exits, or when the client cancels: whichever
// comes first. A Run's process is also killed at its timeout, and when the
// client cancels (it went away, or gave up on the sandbox). The exit
// callback and the alarm may outlive the reactor, so they share `State`,
// and only the first finisher touches the reactor. Finish is never called
// under the state's lock: gRPC may run OnDone inline, which takes it.
class ControlService::ExitReactor final : public grpc::ServerUnaryReactor {
 public:
  struct State {
    absl::Mutex mu;
    ExitReactor* reactor ABSL_GUARDED_BY(mu);
    bool finished ABSL_GUARDED_BY(mu) = false;
    bool timed_out ABSL_GUARDED_BY(mu) = false;
  };

  // The exit goes to `status`; with `run`, this is a Run's reactor.
  ExitReactor(ControlService* service, runsc::control::v1::ExitStatus* status,
              runsc::control::v1::RunResponse* run = nullptr)
      : service_(service), status_(status), run_(run), state_(std::make_shared<State>()) {
    absl::MutexLock lock(&state_->mu);
    state_->reactor = this;
  }

  // `timeout`: a Run's limit (infinite for none).
  void Arm(LauncherClient* launcher, int pid, absl::Duration timeout = absl::InfiniteDuration()) {
    launcher_ = launcher;
    pid_ = pid;
    std::shared_ptr<State> state = state_;
    wait_ = launcher->OnExit(pid, [state](const runsc::launcher::v1::Exited& exited) {
      ExitReactor* reactor = nullptr;
      {
        absl::MutexLock lock(&state->mu);
        if (state->finished || state->reactor == nullptr) return;
        state->finished = true;
        reactor = state->reactor;
        SetExit(exited, reactor->status_);
        if (reactor->run_ != nullptr) reactor->run_->set_timed_out(state->timed_out);
      }
      // Safe unlocked: OnDone cannot run before this Finish, and no one
      // else finishes once `finished` is set.
      reactor->Finish(grpc::Status::OK);
    });
    if (timeout == absl::InfiniteDuration()) return;
    alarm_ = std::make_unique<grpc::Alarm>();
    alarm_->Set(absl::ToChronoTime(absl::Now() + timeout), [state, launcher, pid](bool fired) {
      if (!fired) return;  // cancelled: the reactor is done
      {
        absl::MutexLock lock(&state->mu);
        if (state->finished) return;
        state->timed_out = true;
      }
      // The exit that follows finishes the call.
      KillStarted(launcher, pid, "at its timeout");
    });
  }

  void OnCancel() override {
    {
      absl::MutexLock lock(&state_->mu);
      if (state_->finished) return;
      state_->finished = true;
    }
    if (run_ != nullptr && launcher_ != nullptr) KillStarted(launcher_, pid_, "its caller gone");
    Finish(grpc::Status::CANCELLED);
  }

  void OnDone() override {
    {
      absl::MutexLock lock(&state_->mu);
      state_->reactor = nullptr;
    }
    // A call that ended without the exit (cancelled) leaves no callback.
    if (launcher_ != nullptr) launcher_->ForgetExitWait(pid_, wait_);
    service_->CallDone();
    delete this;
  }

 private:
  ControlService* const service_;
  runsc::control::v1::ExitStatus* const status_;
  runsc::control::v1::RunResponse* const run_;
  LauncherClient* launcher_ = nullptr;
  int pid_ = 0;
  uint64_t wait_ = 0;  // for ForgetExitWait
  std::shared_ptr<State> state_;
  // A Run's timeout, if it has one; destroyed with the reactor, which
  // cancels it.
  std::unique_ptr<grpc::Alarm> alarm_;
};

grpc::ServerUnaryReactor* ControlService::Wait(
    grpc::CallbackServerContext*, const runsc::control::v1::WaitRequest* request,
    runsc::control::v1::WaitResponse* response) {
  CallStarted();
  if (launcher_ == nullptr) return Done(NoContainer());
  if (!launcher_->Known(request->pid())) {
    return Done(absl::NotFoundError(absl::StrCat("pid: no process ", request->pid(),
                                                 " was started in this container")));
  }
  auto* reactor = new ExitReactor(this, response->mutable_status());
  reactor->Arm(launcher_, request->pid());
  return reactor;
}

grpc::ServerUnaryReactor* ControlService::Run(grpc::CallbackServerContext*,
                                              const runsc::control::v1::RunRequest* request,
                                              runsc::control::v1::RunResponse* response) {
  CallStarted();
  if (!std::isfinite(request->timeout_seconds()) || request->timeout_seconds() < 0) {
    return Done(Refuse(request->stdio_token(), absl::InvalidArgumentError(absl::StrCat(
                                                   "timeout_seconds: ", request->timeout_seconds(),
                                                   " is not a non-negative number"))));
  }
  absl::StatusOr<int> pid =
      StartOther(request->process(), request->stdio_token(),
                 request->stdio_in_flight() ? util::kStdioInFlightWait : absl::ZeroDuration());
  if (!pid.ok()) return Done(pid.status());
  response->set_pid(*pid);
  auto* reactor = new ExitReactor(this, response->mutable_status(), response);
  reactor->Arm(launcher_, *pid,
               request->timeout_seconds() > 0 ? absl::Seconds(request->timeout_seconds())
                                              : absl::InfiniteDuration());
  return reactor;
}

grpc::ServerUnaryReactor* ControlService::ListProcesses(
    grpc::CallbackServerContext*, const runsc::control::v1::ListProcessesRequest*,
    runsc::control::v1::ListProcessesResponse* response) {
  CallStarted();
  absl::StatusOr<runsc::control::v1::ListProcessesResponse> list = ListStarted();
  if (list.ok()) *response = *std::move(list);
  return Done(list.status());
}

absl::StatusOr<runsc::control::v1::ListProcessesResponse> ControlService::ListStarted() {
  if (launcher_ == nullptr) return NoContainer();
  runsc::launcher::v1::LauncherRequest call;
  call.mutable_list();
  ASSIGN_OR_RETURN(runsc::launcher::v1::LauncherEvent reply, launcher_->Call(call, {}));
  return ToListProcessesResponse(reply.list());
}

// A run over the stdio socket: its connection, owned here, open until the
// run is over and the caller has closed its end.
struct ControlService::StdioRun {
  util::UniqueFd conn;
  int pid = 0;
  absl::Mutex mu;
  bool answered ABSL_GUARDED_BY(mu) = false;
};

namespace {

// Answers a run or a start on its stdio connection. A caller that is gone
// (and so had a run's process killed) needs nothing more.
void Answer(int conn, const runsc::control::v1::StdioAnswer& answer) {
  absl::Status sent = util::SendPacket(conn, answer);
  if (!sent.ok()) {
    util::Log(util::LogLevel::kInfo, "control",
              absl::StrCat("a stdio run's or start's answer: ", sent.message()));
  }
}

// The answers on `conn` that come later (a run's or an exec's end) must not
// hold the thread that sends them if the caller stops reading: the
// socket's buffer takes one, or it is dropped after a second.
void BoundLaterAnswers(int conn) {
  struct timeval limit = {1, 0};
  setsockopt(conn, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof(limit));
}

// Why a run or a start did not happen, as its answer says it
// (StdioRunResult or StdioStartResult).
template <typename Result>
void SetFailure(const absl::Status& why, Result* result) {
  result->set_code(static_cast<int>(why.code()));
  result->set_message(std::string(why.message()));
}

}  // namespace

void ControlService::ServeStdioRequest(const runsc::control::v1::StdioRequest& request,
                                       StdioFds fds, util::UniqueFd conn, WatchFn watch) {
  if (request.has_run()) {
    RunOnConnection(request.run(), std::move(fds), std::move(conn), std::move(watch));
    return;
  }
  if (request.has_exec()) {
    ExecOnConnection(request.exec().process(), request.exec().kill_on_hangup(), std::move(fds),
                     std::move(conn), std::move(watch));
    return;
  }
  if (request.has_signal()) {
    runsc::control::v1::StdioAnswer answer;
    absl::Status sent = fds.empty() ? SendSignal(request.signal())
                                    : absl::InvalidArgumentError("a signal carries no fds");
    if (!sent.ok()) SetFailure(sent, answer.mutable_signal());
    answer.mutable_signal();  // present on success too
    Answer(conn.get(), answer);
    return;
  }
  if (request.has_wait()) {
    WaitOnConnection(request.wait().pid(), std::move(fds), std::move(conn), std::move(watch));
    return;
  }
  if (request.has_list()) {
    runsc::control::v1::StdioAnswer answer;
    absl::StatusOr<runsc::control::v1::ListProcessesResponse> list =
        fds.empty() ? ListStarted() : absl::InvalidArgumentError("a list carries no fds");
    if (list.ok()) *answer.mutable_list()->mutable_response() = *std::move(list);
    if (list.ok() && answer.ByteSizeLong() > util::kMaxPacketSize) {
      list = absl::ResourceExhaustedError(
          absl::StrCat("the list of ", answer.list().response().processes_size(),
                       " processes is too large for a packet; Control.ListProcesses has it"));
    }
    if (!list.ok()) {
      answer.clear_list();
      SetFailure(list.status(), answer.mutable_list());
    }
    Answer(conn.get(), answer);
    return;
  }
  // A start without fds lets a held main process run (as Control.Start
  // with neither token nor hold).
  std::optional<StdioFds> given;
  if (!fds.empty()) given = std::move(fds);
  runsc::control::v1::StartRequest start = request.start();
  start.clear_stdio_token();  // unused on the stdio socket
  absl::StatusOr<int> pid = StartMain(start, std::move(given));
  runsc::control::v1::StdioAnswer answer;
  if (pid.ok()) {
    answer.mutable_start()->set_pid(*pid);
  } else {
    SetFailure(pid.status(), answer.mutable_start());
  }
  Answer(conn.get(), answer);
}

void ControlService::RunOnConnection(const runsc::control::v1::RunRequest& request, StdioFds fds,
                                     util::UniqueFd conn, WatchFn watch) {
  absl::StatusOr<int> pid = LaunchOther(request.process(), std::move(fds));
  if (!pid.ok()) {
    runsc::control::v1::StdioAnswer refused;
    SetFailure(pid.status(), refused.mutable_run());
    Answer(conn.get(), refused);
    return;
  }
  CallStarted();
  auto run = std::make_shared<StdioRun>();
  run->conn = std::move(conn);
  run->pid = *pid;
  BoundLaterAnswers(run->conn.get());  // the launcher's reader sends the end
  launcher_->OnExit(*pid, [this, run](const runsc::launcher::v1::Exited& exited) {
    runsc::control::v1::StdioAnswer answer;
    runsc::control::v1::RunResponse* response = answer.mutable_run()->mutable_response();
    response->set_pid(run->pid);
    SetExit(exited, response->mutable_status());
    {
      absl::MutexLock lock(&run->mu);
      run->answered = true;
    }
    Answer(run->conn.get(), answer);
    // The caller reads the answer, then the end; the watch hears ours and
    // lets the connection go, whether or not the caller ever closes it.
    shutdown(run->conn.get(), SHUT_RDWR);
    CallDone();
  });
  WatchCaller(std::move(run), launcher_, std::move(watch));
}

// An exec's connection, until its caller closes it or the exit is
// answered on it, whichever comes first.
struct ControlService::ExecCaller {
  absl::Mutex mu;
  util::UniqueFd conn ABSL_GUARDED_BY(mu);
  bool exited ABSL_GUARDED_BY(mu) = false;
  // The wait for the process's exit, dropped if the caller goes first.
  LauncherClient* launcher = nullptr;
  int pid = 0;
  uint64_t wait = 0;
  // The caller's going first kills the process (ExecRequest.kill_on_hangup).
  bool kill_on_hangup = false;
};

void ControlService::ExecOnConnection(const runsc::boot::v1::ProcessConfig& process,
                                      bool kill_on_hangup, StdioFds fds, util::UniqueFd conn,
                                      WatchFn watch) {
  absl::StatusOr<int> pid = LaunchOther(process, std::move(fds));
  runsc::control::v1::StdioAnswer started;
  if (!pid.ok()) {
    SetFailure(pid.status(), started.mutable_exec());
    Answer(conn.get(), started);
    return;
  }
  started.mutable_exec()->set_pid(*pid);
  BoundLaterAnswers(conn.get());  // this loop sends the start, the launcher's reader the end
  Answer(conn.get(), started);
  AnswerExitLater(*pid, std::move(conn), std::move(watch), kill_on_hangup);
}

void ControlService::WaitOnConnection(int pid, StdioFds fds, util::UniqueFd conn, WatchFn watch) {
  absl::Status waits = absl::OkStatus();
  if (!fds.empty()) {
    waits = absl::InvalidArgumentError("a wait carries no fds");
  } else if (launcher_ == nullptr) {
    waits = NoContainer();
  } else if (!launcher_->Known(pid)) {
    waits = absl::NotFoundError(
        absl::StrCat("pid: no process ", pid, " was started in this container"));
  }
  runsc::control::v1::StdioAnswer accepted;
  if (!waits.ok()) {
    SetFailure(waits, accepted.mutable_exec());
    Answer(conn.get(), accepted);
    return;
  }
  accepted.mutable_exec()->set_pid(pid);
  BoundLaterAnswers(conn.get());
  Answer(conn.get(), accepted);
  AnswerExitLater(pid, std::move(conn), std::move(watch));
}

void ControlService::AnswerExitLater(int pid, util::UniqueFd conn, WatchFn watch,
                                     bool kill_on_hangup) {
  auto caller = std::make_shared<ExecCaller>();
  const int fd = conn.get();
  {
    absl::MutexLock lock(&caller->mu);
    caller->conn = std::move(conn);
  }
  caller->kill_on_hangup = kill_on_hangup;
  // At once for a process that has exited already.
  const uint64_t wait =
      launcher_->OnExit(pid, [caller, pid](const runsc::launcher::v1::Exited& exited) {
        runsc::control::v1::StdioAnswer ended;
        runsc::control::v1::StdioExecResult* exec = ended.mutable_exec();
        exec->set_pid(pid);
        SetExit(exited, exec->mutable_exit());
        absl::MutexLock lock(&caller->mu);
        caller->exited = true;
        if (!caller->conn) return;  // the caller went
        Answer(caller->conn.get(), ended);
        // The watch hears the end and lets the connection go.
        shutdown(caller->conn.get(), SHUT_RDWR);
      });
  {
    absl::MutexLock lock(&caller->mu);
    caller->launcher = launcher_;
    caller->pid = pid;
    caller->wait = wait;
  }
  WatchExecCaller(std::move(caller), fd, std::move(watch));
}

void ControlService::WatchExecCaller(std::shared_ptr<ExecCaller> caller, int fd, WatchFn watch) {
  // The connection is closed only here, once its watch has ended: a
  // process that outlives its caller (a detached exec) holds no fd of the
  // supervisor's, and the fd's number is never watched after its close.
  watch(fd, [caller, fd, watch] {
    char byte;
    const ssize_t n = recv(fd, &byte, 1, MSG_DONTWAIT);
    if (n > 0 || (n < 0 && (errno == EAGAIN || errno == EINTR))) {
      // A packet means nothing to an exec: it is dropped.
      WatchExecCaller(caller, fd, watch);
      return;
    }
    LauncherClient* launcher;
    bool kill;
    {
      absl::MutexLock lock(&caller->mu);
      caller->conn.reset();
      launcher = caller->launcher;
      kill = caller->kill_on_hangup && !caller->exited;
    }
    // Not under the caller's lock, which the exit's callback takes.
    if (launcher == nullptr) return;
    if (kill) KillStarted(launcher, caller->pid, "its caller gone");
    launcher->ForgetExitWait(caller->pid, caller->wait);
  });
}

void ControlService::WatchCaller(std::shared_ptr<StdioRun> run, LauncherClient* launcher,
                                 WatchFn watch) {
  const int fd = run->conn.get();
  watch(fd, [run, launcher, watch] {
    // A packet (its content does not matter: one byte of it is read, the
    // rest of a SEQPACKET packet dropped) asks for the kill; the end of
    // the connection means the caller is gone.
    char byte;
    const ssize_t n = recv(run->conn.get(), &byte, 1, MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      WatchCaller(run, launcher, watch);
      return;
    }
    {
      absl::MutexLock lock(&run->mu);
      if (run->answered) return;  // over; the caller closed, or will
    }
    KillStarted(launcher, run->pid, n > 0 ? "at its caller's request" : "its caller gone");
    // Still waiting for the answer: hear if the caller goes meanwhile.
    if (n > 0) WatchCaller(run, launcher, watch);
  });
}

}  // namespace runsc::boot
