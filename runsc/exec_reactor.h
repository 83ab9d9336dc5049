// ExecReactor: one interactive Exec call (runsc.api.v1.Sandboxes.Exec), with
// gRPC's callback API so that no thread ever blocks on a read from the
// client. The first message starts the process (pipes, or a pty with
// `tty`); stdin chunks, close_stdin and resizes follow. A reader thread per
// output stream and a driver thread (wait, timeout, then the exit message)
// feed one write queue; at most kMaxQueued messages wait, so output the
// client does not read holds the process back. If the client goes away, the
// process is killed. OnDone joins every thread before the reactor is freed.
#ifndef RUNSC_RUNSC_EXEC_REACTOR_H_
#define RUNSC_RUNSC_EXEC_REACTOR_H_

#include <deque>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "proto/api.grpc.pb.h"
#include "runsc/util/unique_fd.h"
#include "sandbox/manager.h"

namespace runsc::cli {

class ExecReactor final
    : public grpc::ServerBidiReactor<runsc::api::v1::ExecRequest, runsc::api::v1::ExecResponse> {
 public:
  static constexpr size_t kMaxQueued = 64;

  ExecReactor(sandbox::SandboxManager* manager, grpc::CallbackServerContext* context);

  void OnReadDone(bool ok) override;
  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

 private:
  absl::Status Start(const runsc::api::v1::ExecStart& start);
  void CloseStdin();
  // Queues a message; blocks while the queue is full (not for the last one).
  void Enqueue(runsc::api::v1::ExecResponse response);
  // Under mu_, these only decide; StartWrite and Finish are called after
  // the lock is released (gRPC may run reactions inline, which take mu_).
  bool PrepareWrite() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool TakeFinish() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void FinishUnlocked(const grpc::Status& status);
  void Pump(int fd, bool is_stderr);
  // Kills the process, retrying while the sandbox does not answer, until
  // the kill lands, the process is gone, or 30 s pass.
  void KillUntilGone();
  void Drive(absl::Duration timeout);

  sandbox::SandboxManager* const manager_;
  grpc::CallbackServerContext* const context_;
  runsc::api::v1::ExecRequest request_;

  absl::Mutex stdin_mu_;
  util::UniqueFd stdin_ ABSL_GUARDED_BY(stdin_mu_);  // pipe write end, or the pty master
  bool tty_ = false;
  util::UniqueFd master_;  // with tty: for resizes (a dup of stdin_)

  absl::Mutex mu_;
  std::deque<runsc::api::v1::ExecResponse> queue_ ABSL_GUARDED_BY(mu_);
  runsc::api::v1::ExecResponse writing_msg_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  bool started_ = false;  // only OnReadDone touches it
  std::string id_;
  int pid_ = 0;
  std::vector<util::UniqueFd> outputs_;
  std::thread driver_;
  std::thread killer_;  // started by OnCancel, joined by OnDone
};

}  // namespace runsc::cli

#endif  // RUNSC_RUNSC_EXEC_REACTOR_H_
