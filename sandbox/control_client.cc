#include "sandbox/control_client.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "grpcpp/create_channel_posix.h"
#include "grpcpp/grpcpp.h"
#include "runsc/util/errno_status.h"
#include "runsc/util/event_flag.h"
#include "runsc/util/grpc_status.h"
#include "runsc/util/packet.h"
#include "runsc/util/poll_timeout.h"
#include "runsc/util/status_macros.h"
#include "runsc/util/stdio_socket.h"
#include "runsc/util/unique_fd.h"
#include "runsc/util/unix_address.h"

using runsc::util::FromGrpcStatus;

namespace runsc::sandbox {

namespace {
void SetDeadline(grpc::ClientContext& context, absl::Duration timeout) {
  if (timeout == absl::InfiniteDuration()) return;  // no deadline at all
  context.set_deadline(std::chrono::system_clock::now() +
                       absl::ToChronoMilliseconds(timeout));
}
}  // namespace

CallCanceller::CallCanceller() : wake_(util::NewEventFlag()) {}

void CallCanceller::Cancel() {
  absl::MutexLock lock(&mu_);
  cancelled_ = true;
  util::RaiseEventFlag(wake_.get());
  // Before the call starts, TryCancel marks the context; the call then
  // ends as soon as it is made.
  if (context_ != nullptr) context_->TryCancel();
}

bool CallCanceller::cancelled() {
  absl::MutexLock lock(&mu_);
  return cancelled_;
}

void CallCanceller::Attach(grpc::ClientContext* context) {
  absl::MutexLock lock(&mu_);
  context_ = context;
  if (cancelled_) context->TryCancel();
}

void CallCanceller::Detach() {
  absl::MutexLock lock(&mu_);
  context_ = nullptr;
}

namespace {

// A channel over a connection made here, with one connect(2): a channel
// made from a target would resolve it, build a load-balancing policy and a
// subchannel, and connect on gRPC's threads, which cost 1.6 ms more per
// first call on this machine kind. It never reconnects, which is right
// for a sandbox: the socket's only server is its supervisor, which does not
// come back. If the connect fails, a target channel reports why on the
// first call (UNAVAILABLE).
std::shared_ptr<grpc::Channel> ConnectChannel(const std::string& socket_path) {
  util::UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  absl::StatusOr<util::UnixAddress> addr = util::UnixAddress::Of(socket_path, "control socket");
  if (fd && addr.ok() && connect(fd.get(), addr->get(), addr->size()) == 0) {
    return grpc::CreateInsecureChannelFromFd(socket_path, fd.release());
  }
  return grpc::CreateChannel(absl::StrCat("unix:", socket_path),
                             grpc::InsecureChannelCredentials());
}

}  // namespace

ControlClient::ControlClient(const std::string& socket_path)
    : stub_(runsc::control::v1::Control::NewStub(ConnectChannel(socket_path))) {}

absl::StatusOr<runsc::control::v1::InfoResponse> ControlClient::Info(
    absl::Duration timeout) {
  grpc::ClientContext context;
  SetDeadline(context, timeout);
  runsc::control::v1::InfoResponse response;
  grpc::Status status =
      stub_->Info(&context, runsc::control::v1::InfoRequest(), &response);
  if (!status.ok()) return FromGrpcStatus(status);
  return response;
}

absl::Status ControlClient::Shutdown(absl::Duration timeout) {
  grpc::ClientContext context;
  SetDeadline(context, timeout);
  runsc::control::v1::ShutdownResponse response;
  return FromGrpcStatus(
      stub_->Shutdown(&context, runsc::control::v1::ShutdownRequest(), &response));
}

absl::StatusOr<int> ControlClient::Start(const std::string& token,
                                         absl::Duration timeout) {
  return StartMain(token, /*hold=*/false, timeout);
}

absl::StatusOr<int> ControlClient::Create(const std::string& token,
                                          absl::Duration timeout) {
  return StartMain(token, /*hold=*/true, timeout);
}

absl::StatusOr<int> ControlClient::StartMain(const std::string& token, bool hold,
                                             absl::Duration timeout) {
  grpc::ClientContext context;
  SetDeadline(context, timeout);
  runsc::control::v1::StartRequest request;
  request.set_stdio_token(token);
  request.set_hold(hold);
  runsc::control::v1::StartResponse response;
  grpc::Status status = stub_->Start(&context, request, &response);
  if (!status.ok()) return FromGrpcStatus(status);
  return response.pid();
}

absl::StatusOr<int> ControlClient::Exec(const runsc::boot::v1::ProcessConfig& process,
                                        const std::string& token,
                                        absl::Duration timeout) {
  grpc::ClientContext context;
  SetDeadline(context, timeout);
  runsc::control::v1::ExecRequest request;
  *request.mutable_process() = process;
  request.set_stdio_token(token);
  runsc::control::v1::ExecResponse response;
  grpc::Status status = stub_->Exec(&context, request, &response);
  if (!status.ok()) return FromGrpcStatus(status);
  return response.pid();
}

absl::StatusOr<runsc::control::v1::RunResponse> ControlClient::Run(
    const runsc::boot::v1::ProcessConfig& process, const std::string& token, bool stdio_in_flight,
    absl::Duration run_timeout, absl::Duration timeout, CallCanceller* cancel) {
  grpc::ClientContext context;
  SetDeadline(context, timeout);
  runsc::control::v1::RunRequest request;
  *request.mutable_process() = process;
  request.set_stdio_token(token);
  request.set_stdio_in_flight(stdio_in_flight);
  if (run_timeout != absl::InfiniteDuration()) {
    // At least a microsecond: zero would mean no limit.
    request.set_timeout_seconds(
        std::max(absl::ToDoubleSeconds(run_timeout), absl::ToDoubleSeconds(absl::Microseconds(1))));
  }
  runsc::control::v1::RunResponse response;
  if (cancel != nullptr) cancel->Attach(&context);
  grpc::Status status = stub_->Run(&context, request, &response);
  if (cancel != nullptr) cancel->Detach();
  if (!status.ok()) return FromGrpcStatus(status);
  return response;
}

absl::Status ControlClient::Signal(int pid, int signal, bool all,
                                   absl::Duration timeout) {
  grpc::ClientContext context;
  SetDeadline(context, timeout);
  runsc::control::v1::SignalRequest request;
  request.set_pid(pid);
  request.set_signal(signal);
  request.set_all(all);
  runsc::control::v1::SignalResponse response;
  return FromGrpcStatus(stub_->Signal(&context, request, &response));
}

absl::StatusOr<runsc::control::v1::ExitStatus> ControlClient::Wait(
    int pid, absl::Duration timeout, CallCanceller* cancel) {
  grpc::ClientContext context;
  SetDeadline(context, timeout);
  runsc::control::v1::WaitRequest request;
  request.set_pid(pid);
  runsc::control::v1::WaitResponse response;
  if (cancel != nullptr) cancel->Attach(&context);
  grpc::Status status = stub_->Wait(&context, request, &response);
  if (cancel != nullptr) cancel->Detach();
  if (!status.ok()) return FromGrpcStatus(status);
  return response.status();
}

void ControlClient::WaitAsync(
    int pid, std::shared_ptr<CallCanceller> cancel,
    std::function<void(std::function<void()>)> run_on,
    std::function<void(absl::StatusOr<runsc::control::v1::ExitStatus>)> done) {
  struct Call {
    grpc::ClientContext context;
    runsc::control::v1::WaitRequest request;
    runsc::control::v1::WaitResponse response;
    std::shared_ptr<runsc::control::v1::Control::Stub> stub;
    std::shared_ptr<CallCanceller> cancel;
    std::function<void(std::function<void()>)> run_on;
    std::function<void(absl::StatusOr<runsc::control::v1::ExitStatus>)> done;
  };
  auto* call = new Call;
  call->request.set_pid(pid);
  call->stub = stub_;
  call->cancel = std::move(cancel);
  call->run_on = std::move(run_on);
  call->done = std::move(done);
  if (call->cancel != nullptr) call->cancel->Attach(&call->context);
  call->stub->async()->Wait(
      &call->context, &call->request, &call->response, [call](grpc::Status status) {
        if (call->cancel != nullptr) call->cancel->Detach();
        absl::StatusOr<runsc::control::v1::ExitStatus> result =
            status.ok() ? absl::StatusOr<runsc::control::v1::ExitStatus>(call->response.status())
                        : absl::StatusOr<runsc::control::v1::ExitStatus>(FromGrpcStatus(status));
        // Freeing the last reference to a channel on gRPC's own callback
        // thread trips gRPC 1.51 ("prior > 0" in its callback queue): the
        // call, its stub and channel go on the caller's thread.
        auto run_on = std::move(call->run_on);
        run_on([call, result = std::move(result)]() mutable {
          auto finish = std::move(call->done);
          delete call;
          finish(std::move(result));
        });
      });
}

absl::StatusOr<runsc::control::v1::ListProcessesResponse> ControlClient::ListProcesses(
    absl::Duration timeout) {
  grpc::ClientContext context;
  SetDeadline(context, timeout);
  runsc::control::v1::ListProcessesResponse response;
  grpc::Status status =
      stub_->ListProcesses(&context, runsc::control::v1::ListProcessesRequest(), &response);
  if (!status.ok()) return FromGrpcStatus(status);
  return response;
}

namespace {

absl::StatusOr<RunOutcome> OutcomeOf(const absl::StatusOr<runsc::control::v1::RunResponse>& ran) {
  if (!ran.ok()) return ran.status();
  return RunOutcome{ran->status(), ran->timed_out()};
}

// The stdio went under `filed`, the sandbox's answer: Control.Run names it
// (unless `run_known` says the sandbox has no Run), or, before Run, Exec
// and Wait do, and the kill at the timeout is ours.
absl::StatusOr<RunOutcome> RunFiled(ControlClient& client,
                                    const runsc::boot::v1::ProcessConfig& process,
                                    const std::string& filed, absl::Duration timeout,
                                    absl::Duration kill_wait, CallCanceller* cancel,
                                    bool run_known = true) {
  if (run_known) {
    absl::StatusOr<runsc::control::v1::RunResponse> ran =
        client.Run(process, filed, /*stdio_in_flight=*/false, timeout, timeout + kill_wait, cancel);
    if (!absl::IsUnimplemented(ran.status())) return OutcomeOf(ran);
  }
  ASSIGN_OR_RETURN(const int pid, client.Exec(process, filed));
  RunOutcome outcome;
  absl::StatusOr<runsc::control::v1::ExitStatus> status = client.Wait(pid, timeout, cancel);
  if (absl::IsDeadlineExceeded(status.status()) ||
      (cancel != nullptr && absl::IsCancelled(status.status()))) {
    // Ours to kill: a sandbox of this age has no kill of its own.
    outcome.timed_out = absl::IsDeadlineExceeded(status.status());
    (void)client.Signal(pid, SIGKILL);
    if (outcome.timed_out) status = client.Wait(pid, kill_wait);
  }
  if (!status.ok()) return status.status();
  outcome.status = *status;
  return outcome;
}

// The Control.Run way: the stdio under a token of ours, sent without
// waiting for the answer, and one Run naming it at once.
absl::StatusOr<RunOutcome> RunOverGrpc(ControlClient& client, const std::string& stdio_socket,
                                       const runsc::boot::v1::ProcessConfig& process,
                                       const std::vector<int>& fds, absl::Duration timeout,
                                       absl::Duration kill_wait, CallCanceller* cancel) {
  ASSIGN_OR_RETURN(const std::string token, util::NewStdioToken());
  ASSIGN_OR_RETURN(util::UniqueFd handoff, util::SendStdio(stdio_socket, fds, token));
  absl::StatusOr<runsc::control::v1::RunResponse> ran =
      client.Run(process, token, /*stdio_in_flight=*/true, timeout,
                 timeout + kill_wait + util::kStdioInFlightWait, cancel);
  const bool late =
      absl::IsNotFound(ran.status()) && absl::StrContains(ran.status().message(), "stdio_token");
  if (!late && !absl::IsUnimplemented(ran.status())) return OutcomeOf(ran);
  // The answer names the token the sandbox filed the stdio under.
  ASSIGN_OR_RETURN(const std::string filed, util::ReadStdioAnswer(handoff.get()));
  return RunFiled(client, process, filed, timeout, kill_wait, cancel, /*run_known=*/late);
}

// A failure the sandbox reported on its stdio socket, as a status: its
// word, checked (a code outside absl's is UNKNOWN).
absl::Status SandboxError(int code, const std::string& message) {
  const bool known = code > 0 && code <= static_cast<int>(absl::StatusCode::kUnauthenticated);
  return absl::Status(known ? static_cast<absl::StatusCode>(code) : absl::StatusCode::kUnknown,
                      message);
}

// Waits on a run's connection for the sandbox's answer; at `timeout` asks
// for the kill (any packet does) and waits `kill_wait` more.
absl::StatusOr<runsc::control::v1::StdioAnswer> AwaitRunAnswer(int conn, absl::Duration timeout,
                                                               absl::Duration kill_wait,
                                                               bool* timed_out,
                                                               CallCanceller* cancel) {
  absl::Time deadline = absl::Now() + timeout;
  for (;;) {
    struct pollfd p[2] = {{conn, POLLIN, 0},
                          {cancel != nullptr ? cancel->wake_fd() : -1, POLLIN, 0}};
    const int ready = util::PollUntil(p, 2, deadline);
    if (ready < 0) return util::ErrnoError(errno, "poll the run's stdio connection");
    if (cancel != nullptr && cancel->cancelled()) {
      // The caller closes the connection, and the sandbox kills the process.
      return absl::CancelledError("the run was cancelled; its process is killed");
    }
    if (p[0].revents != 0) break;
    if (ready > 0) continue;
    if (*timed_out) {
      return absl::DeadlineExceededError(
          "the sandbox did not report the end of a process it was asked to kill");
    }
    *timed_out = true;
    RETURN_IF_ERROR(util::SendPacket(conn, runsc::control::v1::StdioRequest()));
    deadline = absl::Now() + kill_wait;
  }
  runsc::control::v1::StdioAnswer answer;
  absl::Status got = util::RecvPacket(conn, &answer);
  if (absl::IsUnavailable(got)) {
    return absl::UnavailableError("the sandbox closed the run's stdio connection before its end");
  }
  RETURN_IF_ERROR(got);
  return answer;
}

// One request on the sandbox's stdio socket, `fds` with it, and the
// sandbox's first answer, read within `timeout`; the connection stays open
// (an exec's exit follows on it). `what` names the request in errors.
struct StdioReply {
  util::UniqueFd conn;
  runsc::control::v1::StdioAnswer answer;
};
absl::StatusOr<StdioReply> AskOnStdioSocket(const std::string& stdio_socket,
                                            const runsc::control::v1::StdioRequest& request,
                                            const std::vector<int>& fds, absl::Duration timeout,
                                            absl::string_view what) {
  StdioReply reply;
  ASSIGN_OR_RETURN(reply.conn, util::SendOnStdioSocket(stdio_socket, request, fds,
                                                       std::min(timeout, util::kStdioSocketWait)));
  RETURN_IF_ERROR(util::SetSocketTimeout(reply.conn.get(), SO_RCVTIMEO, timeout, what));
  RETURN_IF_ERROR(util::RecvPacket(reply.conn.get(), &reply.answer));
  return reply;
}

}  // namespace

absl::StatusOr<RunOutcome> RunToExit(const ControlGetter& control, const std::string& stdio_socket,
                                     const runsc::boot::v1::ProcessConfig& process,
                                     std::vector<util::UniqueFd> stdio, absl::Duration timeout,
                                     absl::Duration kill_wait, CallCanceller* cancel) {
  std::vector<int> fds;
  for (const util::UniqueFd& fd : stdio) fds.push_back(fd.get());
  runsc::control::v1::StdioRequest request;
  *request.mutable_run()->mutable_process() = process;
  if (request.ByteSizeLong() > util::kMaxPacketSize) {
    ASSIGN_OR_RETURN(std::shared_ptr<ControlClient> client, control());
    return RunOverGrpc(*client, stdio_socket, process, fds, timeout, kill_wait, cancel);
  }
  ASSIGN_OR_RETURN(util::UniqueFd conn, util::SendOnStdioSocket(stdio_socket, request, fds));
  stdio.clear();  // the sandbox has its copies
  RunOutcome outcome;
  ASSIGN_OR_RETURN(runsc::control::v1::StdioAnswer answer,
                   AwaitRunAnswer(conn.get(), timeout, kill_wait, &outcome.timed_out, cancel));
  if (answer.has_run()) {
    const runsc::control::v1::StdioRunResult& run = answer.run();
    if (run.code() != 0) return SandboxError(run.code(), run.message());
    outcome.status = run.response().status();
    return outcome;
  }
  // A sandbox of a build before runs took the packet for a hand-off.
  if (answer.token().empty()) return absl::InternalError("the sandbox refused the run's stdio");
  ASSIGN_OR_RETURN(std::shared_ptr<ControlClient> client, control());
  return RunFiled(*client, process, answer.token(), timeout, kill_wait, cancel);
}

absl::StatusOr<int> StartOnStdioSocket(const ControlGetter& control,
                                       const std::string& stdio_socket,
                                       const std::vector<int>& stdio, bool hold,
                                       absl::Duration timeout, uint64_t output_limit) {
  const bool release = stdio.empty();
  runsc::control::v1::StdioRequest request;
  request.mutable_start()->set_hold(hold);
  request.mutable_start()->set_output_limit(output_limit);
  ASSIGN_OR_RETURN(StdioReply reply, AskOnStdioSocket(stdio_socket, request, stdio, timeout,
                                                      "the start's stdio connection"));
  const runsc::control::v1::StdioAnswer& answer = reply.answer;
  if (answer.has_start()) {
    const runsc::control::v1::StdioStartResult& start = answer.start();
    if (start.code() == 0) return start.pid();
    absl::Status refused = SandboxError(start.code(), start.message());
    // A build before releases took a start without stdio for a fresh one,
    // and refused it in these words: Control.Start("") releases there.
    if (!(release && absl::IsFailedPrecondition(refused) &&
          absl::StrContains(refused.message(), "start it with neither stdio_token nor hold"))) {
      return refused;
    }
  } else if (!release && answer.token().empty()) {
    return absl::InternalError("the sandbox refused the start's stdio");
  }
  // A build before starts on the stdio socket took the packet for a
  // hand-off: it answered with a token, or refused a packet without fds.
  ASSIGN_OR_RETURN(std::shared_ptr<ControlClient> client, control());
  if (release) return client->Start("", timeout);
  return hold ? client->Create(answer.token(), timeout) : client->Start(answer.token(), timeout);
}

absl::Status SignalOnStdioSocket(const ControlGetter& control, const std::string& stdio_socket,
                                 int pid, int signal, bool all, absl::Duration timeout) {
  runsc::control::v1::StdioRequest request;
  request.mutable_signal()->set_pid(pid);
  request.mutable_signal()->set_signal(signal);
  request.mutable_signal()->set_all(all);
  ASSIGN_OR_RETURN(StdioReply reply, AskOnStdioSocket(stdio_socket, request, {}, timeout,
                                                      "the signal's stdio connection"));
  const runsc::control::v1::StdioAnswer& answer = reply.answer;
  if (answer.has_signal()) {
    return answer.signal().code() == 0
               ? absl::OkStatus()
               : SandboxError(answer.signal().code(), answer.signal().message());
  }
  // A build before signals took the packet for a hand-off without fds,
  // and refused it.
  ASSIGN_OR_RETURN(std::shared_ptr<ControlClient> client, control());
  return client->Signal(pid, signal, all, timeout);
}

absl::StatusOr<runsc::control::v1::ListProcessesResponse> ListOnStdioSocket(
    const ControlGetter& control, const std::string& stdio_socket, absl::Duration timeout) {
  runsc::control::v1::StdioRequest request;
  request.mutable_list();
  ASSIGN_OR_RETURN(StdioReply reply, AskOnStdioSocket(stdio_socket, request, {}, timeout,
                                                      "the list's stdio connection"));
  const runsc::control::v1::StdioAnswer& answer = reply.answer;
  if (answer.has_list()) {
    const runsc::control::v1::StdioListResult& list = answer.list();
    if (list.code() == 0) return list.response();
    absl::Status refused = SandboxError(list.code(), list.message());
    if (!absl::IsResourceExhausted(refused)) return refused;
  }
  // Too large for a packet, or a sandbox of a build before lists on the
  // stdio socket, which took the packet for a hand-off without fds and
  // refused it.
  ASSIGN_OR_RETURN(std::shared_ptr<ControlClient> client, control());
  return client->ListProcesses(timeout);
}

absl::StatusOr<StartedExec> ExecOnStdioSocket(const ControlGetter& control,
                                              const std::string& stdio_socket,
                                              const runsc::boot::v1::ProcessConfig& process,
                                              const std::vector<int>& stdio, absl::Duration timeout,
                                              bool kill_on_hangup) {
  runsc::control::v1::StdioRequest request;
  *request.mutable_exec()->mutable_process() = process;
  request.mutable_exec()->set_kill_on_hangup(kill_on_hangup);
  StartedExec started;
  if (request.ByteSizeLong() > util::kMaxPacketSize) {
    ASSIGN_OR_RETURN(const std::string token, util::HandOffStdio(stdio_socket, stdio));
    ASSIGN_OR_RETURN(std::shared_ptr<ControlClient> client, control());
    ASSIGN_OR_RETURN(started.pid, client->Exec(process, token, timeout));
    return started;
  }
  ASSIGN_OR_RETURN(StdioReply reply, AskOnStdioSocket(stdio_socket, request, stdio, timeout,
                                                      "the exec's stdio connection"));
  const runsc::control::v1::StdioAnswer& answer = reply.answer;
  if (answer.has_exec()) {
    const runsc::control::v1::StdioExecResult& exec = answer.exec();
    if (exec.code() != 0) return SandboxError(exec.code(), exec.message());
    started.pid = exec.pid();
    started.exit_conn = std::move(reply.conn);
    return started;
  }
  // A sandbox of a build before execs took the packet for a hand-off.
  if (answer.token().empty()) return absl::InternalError("the sandbox refused the exec's stdio");
  ASSIGN_OR_RETURN(std::shared_ptr<ControlClient> client, control());
  ASSIGN_OR_RETURN(started.pid, client->Exec(process, answer.token(), timeout));
  return started;
}

absl::StatusOr<runsc::control::v1::ExitStatus> AwaitExecExit(const StartedExec& exec,
                                                             absl::Duration timeout,
                                                             CallCanceller* cancel) {
  if (!exec.exit_conn) return absl::FailedPreconditionError("the exec has no exit connection");
  const int conn = exec.exit_conn.get();
  const absl::Time deadline = absl::Now() + timeout;
  for (;;) {
    struct pollfd p[2] = {{conn, POLLIN, 0},
                          {cancel != nullptr ? cancel->wake_fd() : -1, POLLIN, 0}};
    const int ready = util::PollUntil(p, 2, deadline);
    if (ready < 0) return util::ErrnoError(errno, "poll the exec's stdio connection");
    if (cancel != nullptr && cancel->cancelled()) {
      return absl::CancelledError(
          absl::StrCat("the wait for process ", exec.pid, " was cancelled"));
    }
    if (ready == 0) {
      return absl::DeadlineExceededError(absl::StrCat("process ", exec.pid, " did not exit within ",
                                                      absl::FormatDuration(timeout)));
    }
    if (p[0].revents != 0) break;
  }
  runsc::control::v1::StdioAnswer answer;
  absl::Status got = util::RecvPacket(conn, &answer);
  if (absl::IsUnavailable(got) || (got.ok() && !answer.exec().has_exit())) {
    return absl::UnavailableError(
        absl::StrCat("the sandbox ended before process ", exec.pid, " reported its exit"));
  }
  RETURN_IF_ERROR(got);
  return answer.exec().exit();
}

std::optional<runsc::control::v1::ExitStatus> ReadExecExit(int conn) {
  runsc::control::v1::StdioAnswer answer;
  if (!util::RecvPacket(conn, &answer).ok() || !answer.exec().has_exit()) return std::nullopt;
  return answer.exec().exit();
}

absl::StatusOr<StartedExec> WaitOnStdioSocket(const std::string& stdio_socket, int pid,
                                              absl::Duration timeout) {
  runsc::control::v1::StdioRequest request;
  request.mutable_wait()->set_pid(pid);
  ASSIGN_OR_RETURN(StdioReply reply, AskOnStdioSocket(stdio_socket, request, {}, timeout,
                                                      "the wait's stdio connection"));
  StartedExec waiting;
  waiting.pid = pid;
  const runsc::control::v1::StdioAnswer& answer = reply.answer;
  // A sandbox of a build before waits took the packet for a hand-off
  // without fds, and refused it: no connection, Control.Wait then.
  if (!answer.has_exec()) return waiting;
  if (answer.exec().code() != 0) return SandboxError(answer.exec().code(), answer.exec().message());
  waiting.exit_conn = std::move(reply.conn);
  return waiting;
}

}  // namespace runsc::sandbox
