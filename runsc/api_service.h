// ApiService: the gRPC adapter for runsc.api.v1.Sandboxes. Each method
// validates its request (errors name the field), calls SandboxManager, and
// converts the Status in one place (util::ToGrpcStatus). It holds no state.
#ifndef RUNSC_RUNSC_API_SERVICE_H_
#define RUNSC_RUNSC_API_SERVICE_H_

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "proto/api.grpc.pb.h"
#include "runsc/call_watch.h"
#include "runsc/exec_reactor.h"
#include "sandbox/manager.h"

namespace runsc::cli {

// Exec is served with the callback API (see runsc/exec_reactor.h); the other
// methods are unary and synchronous.
class ApiService final
    : public runsc::api::v1::Sandboxes::WithCallbackMethod_Exec<runsc::api::v1::Sandboxes::Service> {
 public:
  // `max_message_bytes`: the server's largest message (--max-message-bytes),
  // which bounds what a run's output may be.
  // `bundles`: whether CreateSandbox and RunSandbox may name a bundle_path.
  // A bundle is host paths that the daemon reads, mounts and binds as root,
  // idmapped so that what host root owns is the container root's: only
  // root's calls may name one. The daemon serves its group's members with
  // another ApiService, without (runsc/daemon.cc).
  // `max_execs`: Execs running at once through this service (each holds
  // threads of the daemon's while its process runs); and, each kind counted
  // apart, the Waits, Events streams and copies open at once (each holds a
  // thread until it ends, which its client decides), and twice that many
  // Exec streams open, started or not.
  // `max_run_bytes`: what the Runs and RunSandboxes under way may hold of
  // the daemon's memory together, each counted at the most it may: its
  // stdin and each stream's cap, twice (the request's and the answer's).
  explicit ApiService(sandbox::SandboxManager* manager, int max_message_bytes = 16 << 20,
                      bool bundles = true, int max_execs = ExecRegistry::kDefaultMaxRunning,
                      uint64_t max_run_bytes = uint64_t{4} << 30)
      : manager_(manager),
        max_message_bytes_(max_message_bytes),
        bundles_(bundles),
        max_long_calls_(max_execs),
        max_run_bytes_(max_run_bytes),
        execs_(max_execs) {}

  // What a sandbox's labels may hold.
  static constexpr int kMaxLabels = 64;
  static constexpr size_t kMaxLabelKeyBytes = 256;
  static constexpr size_t kMaxLabelValueBytes = 4096;

  // Blocks until no call (Execs too) is in flight or `deadline` passes;
  // true if idle.
  // Shutdown uses it so that idle connections do not hold the grace period.
  bool WaitUntilIdle(absl::Time deadline);
  // After the server has shut down: blocks until every Exec's threads are
  // done (a cancelled Exec kills its process first).
  void WaitForExecs() { execs_.WaitUntilEmpty(); }
  // As the daemon stops: every Wait, Run and RunSandbox under way, and any
  // that comes later, ends with UNAVAILABLE (they would hold gRPC's shutdown
  // for as long; a run's process is killed, as when its client goes).
  void EndWaits() { call_watch_.Stop(); }

  grpc::Status CreateSandbox(grpc::ServerContext*, const runsc::api::v1::CreateSandboxRequest*,
                             runsc::api::v1::Sandbox*) override;
  grpc::Status StartSandbox(grpc::ServerContext*, const runsc::api::v1::StartSandboxRequest*,
                            runsc::api::v1::Sandbox*) override;
  grpc::Status DeleteSandbox(grpc::ServerContext*, const runsc::api::v1::DeleteSandboxRequest*,
                             runsc::api::v1::DeleteSandboxResponse*) override;
  grpc::Status GetSandbox(grpc::ServerContext*, const runsc::api::v1::GetSandboxRequest*,
                          runsc::api::v1::Sandbox*) override;
  grpc::Status ListSandboxes(grpc::ServerContext*, const runsc::api::v1::ListSandboxesRequest*,
                             runsc::api::v1::ListSandboxesResponse*) override;
  grpc::Status Run(grpc::ServerContext*, const runsc::api::v1::RunRequest*,
                   runsc::api::v1::RunResponse*) override;
  grpc::Status RunSandbox(grpc::ServerContext*, const runsc::api::v1::RunSandboxRequest*,
                          runsc::api::v1::RunResponse*) override;
  grpc::Status Signal(grpc::ServerContext*, const runsc::api::v1::SignalRequest*,
                      runsc::api::v1::SignalResponse*) override;
  grpc::Status Wait(grpc::ServerContext*, const runsc::api::v1::WaitRequest*,
                    runsc::api::v1::WaitResponse*) override;
  grpc::Status ListProcesses(grpc::ServerContext*, const runsc::api::v1::ListProcessesRequest*,
                             runsc::api::v1::ListProcessesResponse*) override;
  grpc::Status Stats(grpc::ServerContext*, const runsc::api::v1::StatsRequest*,
                     runsc::api::v1::StatsResponse*) override;
  grpc::Status Events(grpc::ServerContext*, const runsc::api::v1::EventsRequest*,
                      grpc::ServerWriter<runsc::api::v1::Event>*) override;
  grpc::Status CopyIn(grpc::ServerContext*, grpc::ServerReader<runsc::api::v1::CopyInRequest>*,
                      runsc::api::v1::CopyInResponse*) override;
  grpc::Status CopyOut(grpc::ServerContext*, const runsc::api::v1::CopyOutRequest*,
                       grpc::ServerWriter<runsc::api::v1::CopyOutResponse>*) override;
  grpc::ServerBidiReactor<runsc::api::v1::ExecRequest, runsc::api::v1::ExecResponse>* Exec(
      grpc::CallbackServerContext* context) override;

 private:
  // Counts a call from its start to its return.
  class InFlight;
  // Holds one of the max_long_calls_ a Wait, an Events stream or a copy
  // takes while it is open; its status() is RESOURCE_EXHAUSTED at the limit.
  class LongCall;

  // Runs `wait(cancel)` with its call under watch (CallWatch): the
  // client's going or the daemon's stop cancels it. One the stop cancelled
  // says so (UNAVAILABLE: a client may try again with the next daemon).
  template <typename Wait>
  auto Watched(grpc::ServerContext* context, Wait wait) -> decltype(wait(nullptr)) {
    sandbox::CallCanceller cancel;
    decltype(wait(nullptr)) result = [&] {
      CallWatch::Scope watched(&call_watch_, context, &cancel);
      return wait(&cancel);
    }();
    if (absl::IsCancelled(result.status()) && call_watch_.stopping()) {
      return absl::UnavailableError("the daemon is stopping");
    }
    return result;
  }

  sandbox::SandboxManager* const manager_;  // not owned
  const int max_message_bytes_;
  const bool bundles_;
  const int max_long_calls_;
  const uint64_t max_run_bytes_;
  class RunSlot;
  ExecRegistry execs_;
  CallWatch call_watch_;
  absl::Mutex mu_;
  int inflight_ ABSL_GUARDED_BY(mu_) = 0;
  int long_calls_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t run_bytes_ ABSL_GUARDED_BY(mu_) = 0;  // held by RunSlots
};

}  // namespace runsc::cli

#endif  // RUNSC_RUNSC_API_SERVICE_H_
