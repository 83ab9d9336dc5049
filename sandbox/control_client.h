// ControlClient: the host side's client of one sandbox's Control service,
// over the sandbox's control socket. Calls have deadlines and return
// absl::Status.
//
// Thread safety: thread-safe (gRPC stubs are).
#ifndef RUNSC_SANDBOX_CONTROL_CLIENT_H_
#define RUNSC_SANDBOX_CONTROL_CLIENT_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "proto/control.grpc.pb.h"
#include "runsc/util/unique_fd.h"

namespace runsc::sandbox {

// Lets one thread end another's blocking control call early: Cancel() ends
// the call in progress, and every later one, with CANCELLED. Cancel() never
// blocks, so gRPC reactions may call it.
class CallCanceller final {
 public:
  CallCanceller();
  void Cancel();
  bool cancelled();
  // Readable once cancelled: for waits that poll (AwaitExecExit).
  int wake_fd() const { return wake_.get(); }

  // For ControlClient: the call that `context` carries can be cancelled
  // until Detach.
  void Attach(grpc::ClientContext* context);
  void Detach();

 private:
  absl::Mutex mu_;
  grpc::ClientContext* context_ ABSL_GUARDED_BY(mu_) = nullptr;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  const util::UniqueFd wake_;
};

class ControlClient final {
 public:
  explicit ControlClient(const std::string& socket_path);

  absl::StatusOr<runsc::control::v1::InfoResponse> Info(
      absl::Duration timeout = absl::Seconds(5));
  absl::Status Shutdown(absl::Duration timeout = absl::Seconds(5));

  // Container processes. `token` names stdio handed over with
  // util::HandOffStdio on the sandbox's stdio socket.
  absl::StatusOr<int> Start(const std::string& token,
                            absl::Duration timeout = absl::Seconds(30));
  // Creates the main process held before its exec (runc's create); a later
  // Start("") lets it run.
  absl::StatusOr<int> Create(const std::string& token,
                             absl::Duration timeout = absl::Seconds(30));
  absl::StatusOr<int> Exec(const runsc::boot::v1::ProcessConfig& process,
                           const std::string& token,
                           absl::Duration timeout = absl::Seconds(30));
  // Exec and Wait in one round trip: the sandbox kills the process at
  // `run_timeout` (infinite: no limit) and answers with how it ended; the
  // call itself gives up at `timeout`. `stdio_in_flight`: `token` is the
  // caller's own, sent with util::SendStdio and not yet answered.
  // UNIMPLEMENTED from a sandbox older than the call (the stdio named by
  // `token` is then still unused).
  // `cancel`, if given, cancels the call from another thread (the sandbox
  // then kills the process).
  absl::StatusOr<runsc::control::v1::RunResponse> Run(
      const runsc::boot::v1::ProcessConfig& process, const std::string& token, bool stdio_in_flight,
      absl::Duration run_timeout, absl::Duration timeout, CallCanceller* cancel = nullptr);
  absl::Status Signal(int pid, int signal, bool all = false,
                      absl::Duration timeout = absl::Seconds(5));
  // `cancel`, if given, can end the wait early from another thread.
  absl::StatusOr<runsc::control::v1::ExitStatus> Wait(
      int pid, absl::Duration timeout = absl::Seconds(60),
      CallCanceller* cancel = nullptr);
  // Waits without a thread of its own: once the process exits, the call
  // fails, or `cancel` cancels it, gRPC hands a task to `run_on`, which must
  // run it on some thread of the caller's (never inline: gRPC's threads must
  // not block, nor free the call's channel); the task calls `done`.
  void WaitAsync(int pid, std::shared_ptr<CallCanceller> cancel,
                 std::function<void(std::function<void()>)> run_on,
                 std::function<void(absl::StatusOr<runsc::control::v1::ExitStatus>)> done);
  absl::StatusOr<runsc::control::v1::ListProcessesResponse> ListProcesses(
      absl::Duration timeout = absl::Seconds(5));

 private:
  absl::StatusOr<int> StartMain(const std::string& token, bool hold, absl::Duration timeout);
  // Shared with asynchronous calls, which may outlive the client.
  std::shared_ptr<runsc::control::v1::Control::Stub> stub_;
};

// How a process that RunToExit ran ended.
struct RunOutcome {
  runsc::control::v1::ExitStatus status;
  bool timed_out = false;  // killed at the timeout
};

// The sandbox's Control client, made (and so dialled, which starts the
// sandbox's gRPC server) only when a call needs it.
using ControlGetter = std::function<absl::StatusOr<std::shared_ptr<ControlClient>>()>;

// Runs `process` in the running container of the sandbox whose stdio socket
// is `stdio_socket` and whose Control service `control` reaches, to its end:
// the process and `stdio` (stdin, stdout, stderr; closed here once sent) go
// in one packet on the stdio socket (a run, runsc/util/stdio_socket.h), and
// the sandbox answers on that connection when the process has exited; no
// gRPC call is made. At `timeout` a packet of ours asks for the kill; the
// call gives up `kill_wait` later.
//   - A request too large for a packet goes the Control.Run way: the stdio
//     under a token of ours, without waiting for the answer, and one Run
//     naming it at once (made again with the answered token if the sandbox
//     filed the stdio too late for Run's wait).
//   - A sandbox of a build before runs answers with a token (a hand-off):
//     Control.Run names it, or, before Run (UNIMPLEMENTED), Exec and Wait,
//     and the kill at the timeout is ours.
//   - `cancel` ends the wait with CANCELLED, and the sandbox kills the
//     process (the connection's end, or the call's cancel).
absl::StatusOr<RunOutcome> RunToExit(const ControlGetter& control, const std::string& stdio_socket,
                                     const runsc::boot::v1::ProcessConfig& process,
                                     std::vector<util::UniqueFd> stdio, absl::Duration timeout,
                                     absl::Duration kill_wait, CallCanceller* cancel = nullptr);

// Starts the main process of the sandbox whose stdio socket is
// `stdio_socket`, with `stdio` (not owned; they stay open here), in one
// packet on that socket (a start, runsc/util/stdio_socket.h): the answer is
// its pid, or why it did not start. With `hold` the process is created and
// waits before its exec (runc's create); a start with no `stdio` lets such
// a process run. No gRPC call is made, so the sandbox does not start its
// gRPC server for it. A sandbox of a build before starts answers with a
// token, which Control.Start then names (`control`'s client is made only
// then), and one before releases refuses the packet: Control.Start("")
// then. `timeout` bounds each wait for an answer. `output_limit`: the
// console log's cap (StartRequest.output_limit; a build before it ignores it).
absl::StatusOr<int> StartOnStdioSocket(const ControlGetter& control,
                                       const std::string& stdio_socket,
                                       const std::vector<int>& stdio, bool hold = false,
                                       absl::Duration timeout = absl::Seconds(30),
                                       uint64_t output_limit = 0);

// Sends `signal` to the container's process `pid` (with `all`: to every
// process of the container), as Control.Signal does, in one packet on the
// sandbox's stdio socket (a signal, runsc/util/stdio_socket.h): no dial.
// A sandbox of a build before signals there refuses the packet, and
// Control.Signal then sends it. `timeout` bounds the wait for the answer.
absl::Status SignalOnStdioSocket(const ControlGetter& control, const std::string& stdio_socket,
                                 int pid, int signal, bool all = false,
                                 absl::Duration timeout = absl::Seconds(5));

// The processes the container's launcher started and that still run, as
// Control.ListProcesses answers, in one packet on the sandbox's stdio
// socket: no dial. A sandbox of a build before lists there refuses the
// packet, and a list too large for one comes back RESOURCE_EXHAUSTED:
// Control.ListProcesses then. `timeout` bounds the wait for the answer.
absl::StatusOr<runsc::control::v1::ListProcessesResponse> ListOnStdioSocket(
    const ControlGetter& control, const std::string& stdio_socket,
    absl::Duration timeout = absl::Seconds(30));

// A process started by ExecOnStdioSocket: its pid, and the connection its
// exit is answered on (none for a sandbox of an older build, which a
// Control.Wait asks instead).
struct StartedExec {
  int pid = 0;
  util::UniqueFd exit_conn;
};

// Starts `process` in the running container of the sandbox whose stdio
// socket is `stdio_socket`, with `stdio` (not owned; they stay open here),
// as Control.Exec does, in one packet on that socket (an exec,
// runsc/util/stdio_socket.h): no dial. The process does not depend on the
// connection; AwaitExecExit reads its end from it. A process too large for
// a packet, or a sandbox of a build before execs there (which answers with
// a token), gets Control.Exec. `timeout` bounds the wait for the start.
// With `kill_on_hangup`, closing `exit_conn` before the exit was answered
// kills the process (ExecRequest.kill_on_hangup).
absl::StatusOr<StartedExec> ExecOnStdioSocket(const ControlGetter& control,
                                              const std::string& stdio_socket,
                                              const runsc::boot::v1::ProcessConfig& process,
                                              const std::vector<int>& stdio,
                                              absl::Duration timeout = absl::Seconds(30),
                                              bool kill_on_hangup = false);

// A wait for the container's process `pid` (the main one or another the
// launcher started), as Control.Wait, in one packet on the sandbox's stdio
// socket: no dial. Answered as an exec is, so AwaitExecExit (or
// ReadExecExit, once the connection is readable) reads the exit from the
// connection returned; the wait ends when that closes. A sandbox of a build
// before waits there refuses the packet: no exit connection then, and
// Control.Wait is the way. `timeout` bounds the wait for the first answer.
absl::StatusOr<StartedExec> WaitOnStdioSocket(const std::string& stdio_socket, int pid,
                                              absl::Duration timeout = absl::Seconds(5));

// The exit answered on the exit connection `conn` of an exec or a wait,
// which is readable: nullopt if the sandbox closed it without one.
std::optional<runsc::control::v1::ExitStatus> ReadExecExit(int conn);

// How the process `exec` names ended, read from its connection, waiting up
// to `timeout`. UNAVAILABLE if the sandbox went first; CANCELLED once
// `cancel` (if given) is.
absl::StatusOr<runsc::control::v1::ExitStatus> AwaitExecExit(const StartedExec& exec,
                                                             absl::Duration timeout,
                                                             CallCanceller* cancel = nullptr);

}  // namespace runsc::sandbox

#endif  // RUNSC_SANDBOX_CONTROL_CLIENT_H_
