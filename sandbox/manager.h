// SandboxManager: the daemon's plain C++ core. It owns the live sandboxes of
// one state root, creates them from OCI bundles or the host template,
// enforces a limit on live sandboxes, deletes them gracefully or when their
// TTL expires, and runs one-shot commands with captured, capped output.
//
// On construction it recovers every sandbox recorded under the state root:
// live ones are re-attached, dead ones reclaimed. On destruction the
// sandboxes keep running (Detach), so a daemon restart loses none.
//
// Thread safety: thread-safe. Operations on one sandbox are serialised by a
// per-sandbox lock; the map lock is never held across a slow call.
#ifndef RUNSC_SANDBOX_MANAGER_H_
#define RUNSC_SANDBOX_MANAGER_H_

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "proto/boot.pb.h"
#include "proto/control.pb.h"
#include "runsc/util/unique_fd.h"
#include "sandbox/cgroup.h"
#include "sandbox/container_files.h"
#include "sandbox/control_client.h"
#include "sandbox/event_bus.h"
#include "sandbox/exit_report_watcher.h"
#include "sandbox/reclaimer.h"
#include "sandbox/sandbox.h"
#include "sandbox/stdio_pump.h"
#include "sandbox/warm_pool.h"
#include "specutils/process_override.h"

namespace runsc::sandbox {

// The state root's lock (a flock of the directory itself, which nothing
// else locks), held by a daemon for its life: two daemons on one root would
// reclaim each other's warm sandboxes and take each other's sandboxes for
// their own (a second daemon's start, or a new one's while the last one
// still stops). FAILED_PRECONDITION if another holds it.
absl::StatusOr<util::UniqueFd> LockStateRoot(const std::string& state_root);

struct ManagerOptions {
  std::string state_root = "/run/runsc";
  std::string runsc_path = "/proc/self/exe";
  std::string ranges_dir = "/run/runsc/ranges";
  int max_sandboxes = 1024;
  absl::Duration ttl_check_interval = absl::Seconds(1);
  // Warm sandboxes kept ready (sandbox/warm_pool.h): a create that a warm
  // sandbox can take (Sandbox::CheckAssignable) skips the spawn. 0: none.
  int warm_sandboxes = 0;
  // Deletes that may answer before the kernel has torn their sandboxes
  // down, the rest of the teardown left to a thread (sandbox/reclaimer.h).
  // 0: each delete waits for all of it.
  int reclaim_ahead = 16;
  // The console log's cap (<state>/<id>/console.log, where a main process
  // started by the daemon writes its stdout and stderr), in bytes: past it,
  // one line says so and the rest is dropped (boot/capped_output.h). It
  // keeps a workload from filling the file system of the state root. 0:
  // no cap.
  uint64_t console_log_limit = 8 << 20;
  // The caller holds LockStateRoot's lock for the manager's life (the
  // daemon takes it before anything else it does on the root); else the
  // manager takes it.
  bool root_locked = false;
};

struct CreateRequest {
  std::string id;      // empty: generated
  std::string bundle;  // absolute path of an OCI bundle; empty: host template
  std::vector<std::string> template_args = {"sleep", "infinity"};
  // Each limit set overrides the spec's; the spec's others stay.
  std::optional<runsc::boot::v1::ResourceConfig> resources;
  std::map<std::string, std::string> labels;
  absl::Duration ttl = absl::ZeroDuration();  // zero: none
  bool network_none = false;                  // loopback stays down
  // Start the main process too, as StartSandbox would (stdout and stderr to
  // the console log), with no call in between.
  bool start = false;
  // With `start`: the main process's stdin, stdout and stderr instead of
  // the console log (RunSandbox's pipes); the sandbox takes copies.
  std::vector<int> main_stdio;
};

struct SandboxView {
  std::string id;
  int pid = 0;            // host pid of the sandbox process
  std::string status;     // "created", "running" or "stopped"
  int main_pid = 0;       // container pid of the main process, once started
  std::map<std::string, std::string> labels;
  absl::Time created;
  absl::Time expires = absl::InfiniteFuture();
  // CreateSandbox's answer only: the sandbox's serial (ids are reused,
  // serials are not), which DeleteCreated goes by.
  uint64_t serial = 0;
};

struct RunRequest {
  std::string id;
  runsc::boot::v1::ProcessConfig process;  // validated by specutils
  std::string stdin_data;
  size_t max_output = 1 << 20;             // per stream
  absl::Duration timeout = absl::Minutes(1);
  // If given, ends the run early (CANCELLED), killing the process.
  CallCanceller* cancel = nullptr;
};

struct RunResult : CapturedOutput {
  bool timed_out = false;
  runsc::control::v1::ExitStatus status;
};

class SandboxManager final {
 public:
  static absl::StatusOr<std::unique_ptr<SandboxManager>> Create(const ManagerOptions& options);
  ~SandboxManager();
  SandboxManager(const SandboxManager&) = delete;
  SandboxManager& operator=(const SandboxManager&) = delete;

  absl::StatusOr<SandboxView> CreateSandbox(const CreateRequest& request);
  // Deletes the sandbox CreateSandbox answered `created` for, at once; not
  // another that has its id by then (NOT_FOUND).
  absl::Status DeleteCreated(const SandboxView& created);
  // Starts the main process; its stdout and stderr go to <state>/<id>/console.log
  // (up to ManagerOptions.console_log_limit).
  absl::StatusOr<SandboxView> StartSandbox(const std::string& id);
  // SIGTERM to every process, up to `grace` for the main process to end,
  // then the sandbox is killed and every trace removed. It returns once
  // every process of the sandbox is killed and the id is free; with
  // options.reclaim_ahead the kernel's teardown, and the removal of the
  // cgroups, uid range and state that must wait for it, may follow.
  // `cancel`, if given, cuts the grace period short (the daemon's API
  // cancels it when the daemon stops): the delete goes on at once with the
  // kill.
  absl::Status DeleteSandbox(const std::string& id, absl::Duration grace = absl::Seconds(5),
                             CallCanceller* cancel = nullptr);
  // Returns once every deleted sandbox is torn down and removed.
  void AwaitReclaimed();
  absl::StatusOr<SandboxView> GetSandbox(const std::string& id);
  // The main process's pid (0: not started yet), without GetSandbox's
  // status, which asks the sandbox: NOT_FOUND if there is no such sandbox.
  absl::StatusOr<int> MainPid(const std::string& id);
  // The serial of the sandbox that has this id now, which its events carry
  // (SandboxEvent::serial): NOT_FOUND if there is none.
  absl::StatusOr<uint64_t> Serial(const std::string& id);
  // Sandboxes whose labels contain every key=value of `selector`.
  std::vector<SandboxView> ListSandboxes(const std::map<std::string, std::string>& selector);
  absl::StatusOr<RunResult> Run(const RunRequest& request);
  // A sandbox for one run, as `docker run --rm` and gVisor's `runsc do`
  // give: created with its main process started on `stdin_data` and its
  // output captured (up to `max_output` a stream), run to its end (killed
  // at `timeout`: timed_out), and deleted, in one call, without the
  // round trips of Create, Wait and Delete. `create.start` is implied; a
  // TTL is refused (the sandbox lives as long as the run).
  // `cancel`, if given, ends the run early (CANCELLED; the sandbox is
  // deleted all the same).
  absl::StatusOr<RunResult> RunSandbox(CreateRequest create, const std::string& stdin_data,
                                       size_t max_output, absl::Duration timeout,
                                       CallCanceller* cancel = nullptr);
  // Starts `process` in sandbox `id` with the given stdio (three fds, or one
  // console socket for a terminal), over its stdio socket (no dial):
  // returns its container pid, and the connection its exit comes on. With
  // `kill_on_hangup` the sandbox kills the process if that connection
  // closes before its exit was answered (the caller's end, or a daemon that
  // died); without, the process outlives it, as a detached one does.
  absl::StatusOr<StartedExec> Exec(const std::string& id,
                                   const runsc::boot::v1::ProcessConfig& process,
                                   const std::vector<int>& stdio, bool kill_on_hangup = true);
  // The sandbox's main process with `overrides` on top, validated.
  absl::StatusOr<runsc::boot::v1::ProcessConfig> ExecProcess(
      const std::string& id, const specutils::ProcessOverrides& overrides);
  absl::Status Signal(const std::string& id, int pid, int signal, bool all);
  // `cancel`, if given, can end the wait early (CANCELLED) from another
  // thread.
  absl::StatusOr<runsc::control::v1::ExitStatus> Wait(const std::string& id, int pid,
                                                      absl::Duration timeout,
                                                      CallCanceller* cancel = nullptr);
  // Waits for a process Exec started: on its connection (through the
  // sandbox's control plane for a sandbox of an older build, as Wait).
  absl::StatusOr<runsc::control::v1::ExitStatus> WaitExec(const std::string& id,
                                                          const StartedExec& exec,
                                                          absl::Duration timeout,
                                                          CallCanceller* cancel = nullptr);
  absl::StatusOr<runsc::control::v1::ListProcessesResponse> ListProcesses(const std::string& id);
  absl::StatusOr<CgroupStats> Stats(const std::string& id);
  // The container's filesystem, for CopyIn and CopyOut.
  absl::StatusOr<std::unique_ptr<ContainerFiles>> OpenFiles(const std::string& id);
  size_t size() const;
  // The warm pool, when options.warm_sandboxes > 0; null otherwise.
  WarmPool* warm_pool() { return warm_pool_.get(); }
  // created, started, exited (the main process), oom and deleted.
  EventBus& events() { return events_; }

 private:
  static uint64_t NextSerial();
  struct Entry {
    // Unique in this daemon: ids are reused, serials are not.
    const uint64_t serial = NextSerial();
    absl::Mutex mu;
    std::unique_ptr<Sandbox> box ABSL_GUARDED_BY(mu);
    // Ends the wait for the main process's exit: the sandbox's exit
    // report (one the daemon created) or a Wait call (one it re-attached).
    // Null until there is one.
    std::function<void()> cancel_watch ABSL_GUARDED_BY(mu);
    // The main process, once started, and its exit once the watch has seen
    // it: the launcher has then killed the rest and refuses execs, so there
    // is nothing left to stop gently.
    int main_pid ABSL_GUARDED_BY(mu) = 0;
    std::optional<runsc::control::v1::ExitStatus> main_exit ABSL_GUARDED_BY(mu);
    // The watch has ended, with or without an exit (cancelled, or the
    // sandbox gone); set with main_exit, when it saw one.
    bool watch_done ABSL_GUARDED_BY(mu) = false;
    // No watch, or it has ended.
    bool WatchEnded() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
      return cancel_watch == nullptr || watch_done;
    }
    // A DeleteSandbox is under way (it holds the lock only between its
    // steps); another waits for it to end.
    bool deleting ABSL_GUARDED_BY(mu) = false;
    // A StartSandbox is under way (without the lock while the sandbox
    // starts the process); another waits for it to end.
    bool starting ABSL_GUARDED_BY(mu) = false;
    // Events of the main process's end that came while it was starting,
    // posted once its "started" is.
    std::vector<std::function<void()>> after_start ABSL_GUARDED_BY(mu);
    // Created by this daemon, so booted by this build (its ready named this
    // boot protocol): its launcher has killed the container's other
    // processes before reporting main_exit. Not so for one re-attached,
    // which may be of an older build.
    bool created_here ABSL_GUARDED_BY(mu) = false;
  };

  explicit SandboxManager(ManagerOptions options) : options_(std::move(options)) {}
  absl::Status Recover();
  // Attaches sandbox `id` of the state root (Recover's work for one):
  // false where it may still run but could not be attached now (it is in
  // unattached_ then, and tried again by RetryUnattached). `again`: a retry.
  bool RecoverOne(const std::string& id, bool again);
  void RetryUnattached();
  // Reclaims what the dead sandbox `id` left (Sandbox::Reclaim), unless
  // another process is at work on it or it is the runtime CLI's to delete:
  // FAILED_PRECONDITION saying which.
  absl::Status ReclaimDead(const std::string& id);
  absl::StatusOr<std::shared_ptr<Entry>> Find(const std::string& id);
  // Every entry, copied under mu_ and returned without it: an entry's lock
  // is only ever taken without mu_ held (DeleteSandbox takes the entry's,
  // then mu_).
  std::vector<std::shared_ptr<Entry>> Entries();
  // The sandbox's stdio socket path, and its control client on demand:
  // made (and so dialled, which starts the sandbox's gRPC server) only if
  // the call needs it, for a sandbox of an older build.
  struct OnDemand {
    std::string stdio;
    ControlGetter control;
  };
  // The sandbox `id`, for a call that starts a process in it: refused while
  // it is paused (`runsc pause` on this state root), whose launcher would
  // hold the request until a resume.
  absl::StatusOr<OnDemand> FindRunnable(const std::string& id);
  absl::StatusOr<OnDemand> FindOnDemand(const std::string& id);
  static absl::StatusOr<OnDemand> OnDemandOf(const std::string& id,
                                             const std::shared_ptr<Entry>& entry);
  // Marks `status` of process `pid` as an OOM kill if sandbox `id` (still
  // there) says the OOM killer ended it.
  void AnnotateOom(const std::string& id, int pid, runsc::control::v1::ExitStatus* status);
  // What the API shows of `box`; its status asked of the sandbox unless the
  // caller knows it.
  SandboxView View(const Sandbox& box, absl::string_view known_status = "");
  void Publish(const std::string& type, const std::string& id, int pid, uint64_t serial);
  // Waits for the main process without a thread of its own; its exit
  // becomes an "exited" event (and "oom" if the OOM killer ended it).
  // From the sandbox's exit report on `sync_fd` (Sandbox::TakeExitReports),
  // whenever the main process is started:
  void WatchExitReports(const std::string& id, const std::shared_ptr<Entry>& entry,
                        util::UniqueFd sync_fd) ABSL_EXCLUSIVE_LOCKS_REQUIRED(entry->mu);
  // From a wait for `pid` (a sandbox re-attached, which has no report): on
  // the sandbox's stdio socket, heard by the same watcher as the reports; a
  // sandbox of an older build is asked over gRPC.
  void WatchMainExit(const std::string& id, const std::shared_ptr<Entry>& entry, int pid)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(entry->mu);
  // Either watch's end: `status` if it saw the exit of `pid`.
  void OnWatchEnd(const std::string& id, const std::shared_ptr<Entry>& entry, int pid,
                  std::optional<runsc::control::v1::ExitStatus> status);
  // Runs `task` on the worker thread (gRPC callbacks must not block).
  void Post(std::function<void()> task);
  // The worker: posted tasks (event delivery), in order.
  void WorkLoop();
  // The expirer: deletes sandboxes whose TTL has passed, each on a thread
  // of its own, so that no grace period holds up the worker's events or
  // another expired sandbox.
  void ExpiryLoop();
  // The sandboxes whose TTL has passed, with their entries: a delete of one
  // must not take another sandbox that has its id by then.
  std::vector<std::pair<std::string, std::shared_ptr<Entry>>> Expired();
  // DeleteSandbox of that very entry (`id`'s when it was found): the map's
  // entry for `id` is let go only if it is still this one.
  absl::Status DeleteEntry(const std::string& id, std::shared_ptr<Entry> entry,
                           absl::Duration grace, CallCanceller* cancel);
  // CreateSandbox, Signal and Wait of the very entry made (`made`, if
  // given) or found: what a caller does next to the sandbox it made must
  // not reach another that has its id by then (a delete and a new create
  // between its calls).
  absl::StatusOr<SandboxView> CreateEntry(const CreateRequest& request,
                                          std::shared_ptr<Entry>* made);
  absl::Status SignalEntry(const std::string& id, const std::shared_ptr<Entry>& entry, int pid,
                           int signal, bool all);
  absl::StatusOr<runsc::control::v1::ExitStatus> WaitEntry(const std::string& id,
                                                           const std::shared_ptr<Entry>& entry,
                                                           int pid, absl::Duration timeout,
                                                           CallCanceller* cancel);

  const ManagerOptions options_;
  // The state root, flock-ed: one manager a state root. Before the rest, so
  // that it goes after them.
  util::UniqueFd root_lock_;
  mutable absl::Mutex mu_;
  std::map<std::string, std::shared_ptr<Entry>> sandboxes_ ABSL_GUARDED_BY(mu_);
  // Sandboxes of the state root a restart could not attach, though they may
  // still run (RecoverOne): tried again at each TTL check.
  std::set<std::string> unattached_ ABSL_GUARDED_BY(mu_);
  // The ids of the creates under way (CreateEntry), which count against
  // max_sandboxes, and which a retry of an unattached one must leave alone:
  // a create's sandbox is at its id's path before it is in sandboxes_.
  std::multiset<std::string> creating_ids_ ABSL_GUARDED_BY(mu_);
  EventBus events_;
  absl::Mutex tasks_mu_;
  std::deque<std::function<void()>> tasks_ ABSL_GUARDED_BY(tasks_mu_);
  bool stopping_ ABSL_GUARDED_BY(tasks_mu_) = false;
  int watches_ ABSL_GUARDED_BY(tasks_mu_) = 0;  // exit waits in flight
  bool expiry_stopping_ ABSL_GUARDED_BY(tasks_mu_) = false;
  std::thread worker_;
  std::thread expirer_;
  std::unique_ptr<WarmPool> warm_pool_;
  std::unique_ptr<Reclaimer> reclaimer_;  // null without options.reclaim_ahead
  // Last: destroyed first, while what its callbacks touch is still here.
  std::unique_ptr<ExitReportWatcher> exit_reports_;
};

}  // namespace runsc::sandbox

#endif  // RUNSC_SANDBOX_MANAGER_H_
