// ExecReactor: one interactive Exec call (runsc.api.v1.Sandboxes.Exec), with
// gRPC's callback API.
//
// Reactions (OnReadDone, OnWriteDone, OnCancel, OnDone) run on gRPC's own
// threads, which also drive the daemon's client calls to sandboxes: a
// reaction that blocks can stall every control call of the daemon. So
// reactions only record what happened and return; the blocking work runs on
// threads of the reactor's own:
//   - the driver starts the process (the first message), waits for it, and
//     sends the exit message; it owns the other threads and joins them;
//   - the input thread applies each later message (stdin, close_stdin,
//     resize) and only then asks gRPC for the next one, so a process that
//     does not read its stdin holds the client back;
//   - one pump per output stream reads it into the write queue; at most
//     kMaxQueued messages wait, so output the client does not read holds the
//     process back. Once the process has ended (or was killed at its
//     timeout), what is left (kMaxDrainBytes a stream at most) is queued
//     past that bound: the driver and its --max-execs slot are let go
//     whether the client reads or not, and it loses none of it.
// If the client goes away, the process is killed. The reactor frees itself
// when both gRPC (OnDone) and the driver are done with it.
#ifndef RUNSC_RUNSC_EXEC_REACTOR_H_
#define RUNSC_RUNSC_EXEC_REACTOR_H_

#include <atomic>
#include <chrono>
#include <climits>
#include <deque>
#include <optional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "proto/api.grpc.pb.h"
#include "runsc/util/unique_fd.h"
#include "sandbox/control_client.h"
#include "sandbox/manager.h"

namespace runsc::cli {

// Counts live ExecReactors, so that the daemon frees the manager only after
// the last one is gone, and the running ones (each holds three or four
// threads of the daemon's while its process runs), which it bounds.
class ExecRegistry final {
 public:
  // Running Execs it takes at once by default; one more is
  // RESOURCE_EXHAUSTED.
  static constexpr int kDefaultMaxRunning = 1024;

  explicit ExecRegistry(int max_running = kDefaultMaxRunning) : max_running_(max_running) {}
  int max_running() const { return max_running_; }
  // Exec streams open at once, started or not.
  int max_live() const { return max_running_ > INT_MAX / 2 ? INT_MAX : 2 * max_running_; }

  // Counts one more live reactor (its constructor takes it over); false,
  // and nothing counted, at max_live().
  bool TryAdd();
  void Remove();
  void WaitUntilEmpty();
  // Counts one more running Exec; false (and nothing counted) at the limit.
  bool TryStartRunning();
  void StopRunning();
  // Waits until no reactor is live (each one's call answered, its exit
  // sent), or until `deadline`: whether none is. A daemon's stop gives
  // Execs the grace its other calls get.
  bool AwaitNoneLive(absl::Time deadline);

 private:
  const int max_running_;
  absl::Mutex mu_;
  int live_ ABSL_GUARDED_BY(mu_) = 0;
  int running_ ABSL_GUARDED_BY(mu_) = 0;
};

// The answer to an Exec stream that cannot be taken: its status at once.
class RefusedExec final
    : public grpc::ServerBidiReactor<runsc::api::v1::ExecRequest, runsc::api::v1::ExecResponse> {
 public:
  explicit RefusedExec(const grpc::Status& status) { Finish(status); }
  void OnDone() override { delete this; }
};

class ExecReactor final
    : public grpc::ServerBidiReactor<runsc::api::v1::ExecRequest, runsc::api::v1::ExecResponse> {
 public:
  static constexpr size_t kMaxQueued = 64;
  // How long the output of a process that exited is still copied: a
  // descendant that outlives it may hold its pipes open for good (Run's
  // StdioPump::kDrainAfterExit too).
  static constexpr absl::Duration kDrainAfterExit = absl::Milliseconds(200);
  // What a pump reads once told to stop, at most: a writer that keeps the
  // pipe full cannot keep it reading.
  static constexpr size_t kMaxDrainBytes = 1 << 20;

  // `registry` has counted it already (TryAdd); it uncounts itself at its end.
  ExecReactor(sandbox::SandboxManager* manager, grpc::CallbackServerContext* context,
              ExecRegistry* registry);

  void OnReadDone(bool ok) override;
  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

 private:
  ~ExecReactor();
  // Frees the reactor when both gRPC and the driver have let go of it.
  void Unref();

  // The driver thread: Start, then wait, then the exit message.
  void Run(runsc::api::v1::ExecStart start);
  absl::Status Start(const runsc::api::v1::ExecStart& start);
  // Waits for the process, up to `timeout`, then kills it.
  // CANCELLED if the client went away (the process is then killed).
  absl::StatusOr<runsc::api::v1::ExitStatus> Wait(absl::Duration timeout);
  // Kills the process: by hanging up its exit connection, which the sandbox
  // answers with the kill; where there is none (a sandbox of an older
  // build), by a signal, retried while the sandbox does not answer, until
  // the kill lands, the process is gone, or 30 s pass.
  void KillUntilGone();

  void InputLoop();
  void WriteStdin(const std::string& data);
  void CloseStdin();
  void Pump(int fd, bool is_stderr);
  // Tells the pumps to drain what is left and stop.
  void StopOutput();

  // Queues a message; blocks while the queue is full (not for the last one).
  void Enqueue(runsc::api::v1::ExecResponse response);
  // Ends the call after the queued messages: with `last` (the exit) as the
  // final message, or with `status` alone.
  void EnqueueLast(std::optional<runsc::api::v1::ExecResponse> last, grpc::Status status);
  bool PrepareWrite() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // StartRead, StartWrite and Finish are called outside mu_ (gRPC may run
  // reactions inline, which take it). A started operation is counted in
  // ops_starting_ until its call returns, and Finish waits for the count to
  // drop, so no operation is ever started on a call that may be done.
  void StartReadIfLive();
  // With PrepareWrite's message; the op was counted by PrepareWrite.
  void StartCountedWrite();
  void FinishOnce(const grpc::Status& status);

  sandbox::SandboxManager* const manager_;
  // The call's deadline, read while its context is alive: gRPC frees the
  // context after OnDone, which a cancel can bring while the driver runs.
  const std::chrono::system_clock::time_point deadline_;
  ExecRegistry* const registry_;
  runsc::api::v1::ExecRequest request_;  // the read in progress
  sandbox::CallCanceller wait_canceller_;

  // Set once by the driver before the input thread and pumps start.
  std::string id_;
  sandbox::StartedExec exec_;  // its pid, and the connection its exit comes on
  bool tty_ = false;
  util::UniqueFd stdin_;   // pipe write end, or a dup of the pty master
  util::UniqueFd master_;  // with tty: for resizes
  std::vector<util::UniqueFd> outputs_;
  // Readable once the pumps should drain what is left and stop (cancel,
  // timeout), and once the input thread should stop.
  util::UniqueFd stop_output_;
  std::atomic<bool> output_stopping_{false};  // stop_output_, for a pump that never polls
  util::UniqueFd stop_input_;
  int flags_errno_ = 0;  // why making them failed

  absl::Mutex mu_;
  int refs_ ABSL_GUARDED_BY(mu_) = 1;  // gRPC's until OnDone, +1 while the driver runs
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  int pid_ ABSL_GUARDED_BY(mu_) = 0;
  // The message for the input thread, and whether the client half-closed.
  std::optional<runsc::api::v1::ExecRequest> inbox_ ABSL_GUARDED_BY(mu_);
  bool client_done_ ABSL_GUARDED_BY(mu_) = false;
  bool input_stopped_ ABSL_GUARDED_BY(mu_) = false;
  int pumps_running_ ABSL_GUARDED_BY(mu_) = 0;
  std::deque<runsc::api::v1::ExecResponse> queue_ ABSL_GUARDED_BY(mu_);
  runsc::api::v1::ExecResponse writing_msg_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  std::optional<grpc::Status> closing_ ABSL_GUARDED_BY(mu_);  // after the queue
  int ops_starting_ ABSL_GUARDED_BY(mu_) = 0;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace runsc::cli

#endif  // RUNSC_RUNSC_EXEC_REACTOR_H_
