// Sandbox: the host side's owner of one running sandbox process. Create()
// makes the sandbox's state directory (<state_root>/<id>/ holding its control
// socket and log), spawns the sandbox process and waits until its Control
// server is ready, or returns the setup error the sandbox reported, naming the
// stage. Destroy() (also run by the destructor) kills the sandbox, reaps it
// and removes its state directory, so nothing is left behind: the sandbox's
// mounts live only in its own mount namespace and vanish with it.
//
// Every sandbox also has a record, <state_root>/<id>/state.pb
// (sandbox/state_store.h). A process that did not create a sandbox, or a
// restarted daemon, re-attaches with Attach(); Reclaim() removes the
// leftovers (cgroups, uid range, state) of a sandbox whose process is gone.
//
// Thread safety: not thread-safe; callers serialise access.
#ifndef RUNSC_SANDBOX_SANDBOX_H_
#define RUNSC_SANDBOX_SANDBOX_H_

#include <sys/types.h>
#include <time.h>

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "proto/boot.pb.h"
#include "proto/control.pb.h"
#include "proto/state.pb.h"
#include "runsc/util/unique_fd.h"
#include "sandbox/cgroup.h"
#include "sandbox/child_process.h"
#include "sandbox/control_client.h"
#include "sandbox/state_store.h"
#include "sandbox/uid_range.h"
#include "sandbox/userns_cache.h"

namespace runsc::sandbox {

// The state directory name of a warm sandbox, followed by its range slot:
// never a sandbox id (ids may not start with '.').
inline constexpr char kWarmPrefix[] = ".warm-";
// The state directory of a sandbox deleted but not yet torn down
// (Sandbox::Retire), followed by its range slot.
inline constexpr char kRetiredPrefix[] = ".retired-";
// A state directory being made, locked before it is renamed to its id:
// followed by the id and a random suffix.
inline constexpr char kCreatingPrefix[] = ".creating-";

struct SandboxOptions {
  // Validated with specutils::ValidateSandboxId.
  std::string id;
  // The directory that holds one state directory per sandbox.
  std::string state_root = "/run/runsc";
  // The statically linked runsc binary the sandbox runs.
  std::string runsc_path = "/proc/self/exe";
  // Size of the sandbox's root tmpfs (tmpfs size= syntax); empty: 64k.
  std::string root_tmpfs_size;
  // How long the sandbox may take to report ready.
  absl::Duration boot_timeout = absl::Seconds(10);
  // The container to set up (validated by specutils). Without one the
  // sandbox has no launcher and runs no workloads.
  std::optional<runsc::boot::v1::ContainerConfig> container;
  // Where idmap namespaces are cached (not owned); nullptr: a process-wide one.
  UsernsCache* userns_cache = nullptr;
  // The workload uid range allocator's directory: host-wide, so that no two
  // live sandboxes share a range whatever their state roots.
  std::string ranges_dir = "/run/runsc/ranges";
  // Recorded in the sandbox's state: labels, and when it expires (0: never).
  std::map<std::string, std::string> labels;
  int64_t expires_unix_nanos = 0;
  // Network mode "none": the namespace's loopback stays down.
  bool network_none = false;
  // Recorded for `runsc state` and `list`.
  std::string bundle;
  // Runtime mode: the sandbox process exits with the main process's status
  // (BootConfig.exit_with_main), and joins the container's cgroup leaf,
  // where conmon and containerd's shim look for the container's OOM kills
  // and usage. Off in daemon mode, where a sandbox outlives its main
  // process until it is deleted, and stays in its own leaf.
  bool exit_with_main = false;
  // The caller's NOTIFY_SOCKET: the container gets a notify socket of its
  // own (sandbox/notify_socket.h), whose READY=1 `start` relays here.
  std::string notify_socket;
  // Start the main process with the sandbox (`runsc run`, and the API's
  // CreateSandbox with start): as soon as the launcher is in the
  // container's cgroups, before Create returns, with no Start call; the
  // record holds its pid. Its stdio and extra fds are `main_fds` (not
  // owned; they go to the launcher alone) or, when that is empty, /dev/null
  // and console_log_path() for stdout and stderr (the daemon's).
  bool start_main = false;
  std::vector<int> main_fds;
  // The console log's cap, in bytes: what the main process writes there
  // beyond it is dropped (boot/capped_output.h). 0: no cap.
  uint64_t console_log_limit = 0;
  // Daemon mode: the sandbox reports its main process's exit on the sync
  // socket (BootConfig.report_main_exit), which Create then leaves open for
  // TakeExitReports. Needs a container; not with exit_with_main.
  bool report_main_exit = false;
  // If set, receives the create's lock on the state directory (held from
  // its mkdir on), for a caller that goes on building the sandbox (the
  // CLI's create hooks) before another command may act on it.
  util::UniqueFd* state_lock = nullptr;
};

// runc applies a process's AppArmor profile and SELinux label where the
// host has those LSMs and ignores them where it has neither. runsc applies
// neither yet, so on a host that enforces one, a process that names a label
// for it is refused (FAILED_PRECONDITION) rather than run with less
// confinement than asked. `lsm_root` is where the LSMs show themselves
// ("/sys" on a real host).
absl::Status CheckSecurityLabels(const runsc::boot::v1::ProcessConfig& process,
                                 const std::string& lsm_root = "/sys");

// The stdio of a main process the daemon starts: stdin /dev/null, stdout
// and stderr appended to `console_log` (made, 0600, if missing).
struct ConsoleStdio {
  util::UniqueFd in;
  util::UniqueFd out;
};
absl::StatusOr<ConsoleStdio> OpenConsoleStdio(const std::string& console_log);

class Sandbox final {
 public:
  static absl::StatusOr<std::unique_ptr<Sandbox>> Create(
      const SandboxOptions& options);

  // A warm sandbox (sandbox/warm_pool.h): made before any request, with a
  // launcher that waits for its container (BootConfig.container_on_socket).
  // Of `options` only the state root, runsc path, ranges directory, root
  // tmpfs size and boot timeout count. It has its own uid range and cgroups
  // (runsc/warm.<slot>), its state directory is <state_root>/.warm-<slot>,
  // and it is meant for a daemon: its main process's exit is reported.
  static absl::StatusOr<std::unique_ptr<Sandbox>> CreateWarm(const SandboxOptions& options);
  // Whether a warm sandbox can become what `options` asks for, which
  // needs nothing that is fixed at the spawn: new namespaces (none joined
  // by path), the default id mapping, cgroups of the daemon's choosing, a
  // loopback network, daemon mode. FAILED_PRECONDITION says why not.
  static absl::Status CheckAssignable(const SandboxOptions& options);
  // Makes this warm sandbox the one `options` asks for, as Create would
  // have: its state directory takes the id, its container is built, its
  // main process started with it if asked. On failure, a sandbox that is
  // still warm() is untouched (the request could not be checked, its id is
  // taken, or its container does not fit the launcher's one packet: a cold
  // create may still take it); one that is not is spent, to be destroyed.
  absl::Status Assign(const SandboxOptions& options);
  bool warm() const { return static_cast<bool>(warm_host_); }

  // Re-attaches to the live sandbox `id` under `state_root`. NOT_FOUND if
  // there is no such sandbox; FAILED_PRECONDITION if its process is gone
  // (pid and start time must both match the record), then Reclaim() it.
  static absl::StatusOr<std::unique_ptr<Sandbox>> Attach(const std::string& state_root,
                                                         const std::string& id);
  // The exit status (the shell's code) of the main process of runtime-mode
  // sandbox `id`, which its sandbox process logged as it exited; NOT_FOUND
  // if it logged none.
  static absl::StatusOr<int> ExitStatusFromLog(const std::string& state_root,
                                               const std::string& id);
  // Removes what a dead sandbox left: cgroups, its uid range, its state
  // directory. FAILED_PRECONDITION while its process still runs.
  static absl::Status Reclaim(const std::string& state_root, const std::string& id);
  // Removes a state directory without a record: what a create killed
  // before its first record left (the directory, its sockets and log; a
  // uid range or cgroups it had made by then stay, not knowable from it).
  // A create holds a lock on its directory from before the directory has
  // its name until it returns (LockStateDir): a directory still locked is
  // FAILED_PRECONDITION, and so is one younger than a second (a create of
  // a build before 2026-12-05 locked its directory just after its mkdir).
  // NOT_FOUND without such a directory; ALREADY_EXISTS if it has a record.
  // `locked`: the caller holds that lock itself (a CLI command's,
  // runsc/cli_common.h).
  static absl::Status ReclaimUnrecorded(const std::string& state_root, const std::string& id,
                                        bool locked = false);
  // Kills and removes every warm or retired sandbox a daemon left under
  // `state_root` (a daemon's end ends its warm sandboxes, and a retired
  // one is dead or dying, but either may not be gone yet), and the
  // directories of creates that died before they named theirs (older than
  // `creating_age`: a younger one may be a create about to lock it).
  static void ReclaimAside(const std::string& state_root,
                           absl::Duration creating_age = absl::Minutes(1));
  // The ids that have a record under `state_root`.
  static absl::StatusOr<std::vector<std::string>> ListIds(const std::string& state_root);

  Sandbox(const Sandbox&) = delete;
  Sandbox& operator=(const Sandbox&) = delete;
  ~Sandbox();

  const std::string& id() const { return id_; }
  // Its cgroups, or nullptr for a sandbox without them.
  const Cgroup* cgroup() const { return cgroup_.get(); }
  // The sandbox process's pid in the host's PID namespace.
  pid_t pid() const { return process_.pid(); }
  // A pidfd of the sandbox process: readable once it has exited.
  int pidfd() const { return process_.pidfd(); }
  const std::string& state_dir() const { return state_dir_; }
  std::string control_socket_path() const;
  // The client of the sandbox's control plane. One channel, made on first
  // use and kept until Destroy: its connection is set up once, not on every
  // call. Safe to share between threads, and to keep past the sandbox's
  // lock (calls then fail once the sandbox is gone).
  std::shared_ptr<ControlClient> control() const;
  // Sends `signal` to container process `pid` (with `all`: to every process
  // of the container) over the stdio socket (SignalOnStdioSocket): no dial.
  // A paused container's launcher, which sends it, is frozen too: then, as
  // runc does, by host pid from here, and a SIGKILL thaws the container
  // (a v1 freezer would hold it back until then).
  absl::Status SignalProcess(int pid, int signal, bool all = false) const;
  // Whether the container is paused (its cgroup frozen): its launcher, which
  // starts, lists and signals its processes, answers nothing until resumed.
  bool Paused() const;
  // SignalProcess for a paused container: by host pid, from here.
  absl::Status SignalFrozen(int pid, int signal, bool all) const;
  // What the launcher's list would say of a paused container: its processes
  // (container pid 1, the launcher, left out) and their arguments, from the
  // host's /proc.
  absl::StatusOr<runsc::control::v1::ListProcessesResponse> ListFrozen() const;
  // control(), for calls that need it only with a sandbox of an older build
  // (StartOnStdioSocket, RunToExit). Valid while this object lives.
  ControlGetter ControlOnDemand() const;
  std::string stdio_socket_path() const;
  std::string log_path() const;
  // Where a main process started by the daemon writes its stdout and stderr.
  std::string console_log_path() const;
  // The workloads' private host uid/gid range (base 0: no container).
  const UidRange& uid_range() const { return uid_range_; }

  absl::Status Signal(int sig) { return process_.Signal(sig); }
  // The container's cgroup statistics (FAILED_PRECONDITION without one).
  absl::StatusOr<CgroupStats> Stats() const;
  // Freezes (pause) or thaws (resume) every workload; the sandbox process
  // keeps answering. FAILED_PRECONDITION without a container cgroup.
  absl::Status Freeze(bool frozen);
  // Changes the container's limits (`runsc update`).
  absl::Status UpdateResources(const runsc::boot::v1::ResourceConfig& resources);
  // Waits for container process `pid` through the control plane; the result
  // says whether the kernel's OOM killer ended it.
  absl::StatusOr<runsc::control::v1::ExitStatus> WaitProcess(
      int pid, absl::Duration timeout = absl::Seconds(60));
  // The same for a process ExecOnStdioSocket started: its exit comes on
  // its connection (through the control plane for a sandbox of an older
  // build).
  absl::StatusOr<runsc::control::v1::ExitStatus> WaitExec(const StartedExec& exec,
                                                          absl::Duration timeout);
  // Marks `status` (of container process `pid`) oom_killed if it is a
  // SIGKILL that came with a new OOM kill in the sandbox's cgroup (what
  // WaitProcess does after the wait). Asking again about the same pid gives
  // the same answer.
  void AnnotateOom(int pid, runsc::control::v1::ExitStatus* status);
  // The cgroup directories (empty without a container).
  std::vector<std::string> CgroupPaths() const;
  // Waits for the sandbox process to exit (it does after Control.Shutdown).
  absl::StatusOr<ExitStatus> Wait(absl::Duration timeout);
  // Kills the sandbox if it still runs, reaps it, and removes its state.
  absl::Status Destroy();
  // The first half of Destroy, which returns before the kernel's teardown:
  // every process of the sandbox has SIGKILL pending when it returns
  // (Cgroup::Kill), so none runs user code again, and the state directory
  // is renamed aside (<state_root>/.retired-<slot>), so the id is free.
  // What the processes hold goes as the kernel tears them down, and
  // Destroy() then waits for that and removes cgroups, state and uid range
  // (sandbox/reclaimer.h). Should the daemon die in between, the next one
  // finishes it (ReclaimAside). UNIMPLEMENTED for a sandbox without a
  // container, a uid range or cgroup.kill; an error leaves Destroy() to do
  // all of it.
  //
  // `container_ended`: the caller has heard of the main process's exit from
  // this build's launcher, which kills every other process of the container
  // before it reports that exit. No workload process can run again, so
  // nothing is killed here: the sandbox's own processes (supervisor and
  // launcher) go with Destroy(), and the id is free at once.
  absl::Status Retire(bool container_ended = false);
  // The OCI status of the container `record` describes: "created" (no main
  // process yet, or one that waits for start), "running", "paused" (its
  // cgroup is frozen) or "stopped".
  std::string ContainerStatus(const runsc::state::v1::SandboxRecord& record) const;
  // Lets a main process created held (ControlClient::Create) run, and
  // records it; one let go whose record cannot be saved is killed.
  absl::Status StartHeldMain();
  // The host pid of the launcher (pid 1 of the container), read while the
  // sandbox process is still this object's: once it has been reaped (by
  // init, for one re-attached after a restart), its pid may be another
  // process's, whose child this would name. FAILED_PRECONDITION then.
  absl::StatusOr<pid_t> LauncherPid() const;
  // Whether the sandbox process still runs, by its pidfd (signal 0: a
  // process that has exited, reaped or not, answers ESRCH).
  bool ProcessAlive() const;
  // Container pid -> host pid, for every process of the container (read
  // from the NSpid lines of the launcher's descendants).
  absl::StatusOr<std::map<int, pid_t>> HostPids() const;
  // A pidfd of the container's process `pid`, checked once open (so pinned)
  // to be that process still, not a host process that took its pid since
  // the lookup. NOT_FOUND if there is no such process.
  absl::StatusOr<util::UniqueFd> OpenPidfd(int pid) const;

  // The sandbox's record, kept in memory: it is read and parsed again only
  // when its state file is no longer the one this object last read or
  // saved (a CLI command on the same state root rewrote it), which costs a
  // stat. A record there of another sandbox (this one deleted by a CLI
  // command, and its id taken since) is not taken: this object keeps its
  // last one and says Superseded. And a way to update it.
  runsc::state::v1::SandboxRecord Record() const;
  // Whether the sandbox's state directory now holds another sandbox's
  // record (read as Record does): nothing of this one is at its paths any
  // more, and whatever is there must not be acted on for it.
  bool Superseded() const;
  // `prepared`, if given, is its file made ahead (sandbox/state_store.h),
  // used up.
  absl::Status SaveRecord(const runsc::state::v1::SandboxRecord& record,
                          PreparedRecord* prepared = nullptr);
  // Takes `record` as this sandbox's without saving it, for what has
  // happened (a process started) although its save failed: the file on
  // disk, unchanged, catches up with the next save.
  void KeepUnsavedRecord(const runsc::state::v1::SandboxRecord& record);
  // Saves a record KeepUnsavedRecord kept, if there is one and the file on
  // disk is still the one this object last read or saved (no CLI command
  // rewrote or deleted it since).
  absl::Status SaveIfUnsaved();
  // Whether the state file there is still this sandbox's: a CLI command on
  // the same state root may have deleted the sandbox (and another taken its
  // id since).
  bool RecordOnDisk() const;
  // Whether another sandbox (or a create of one) holds the state
  // directory's path now: a CLI command deleted this one and its id was
  // taken since. Not so where the directory is this one's, or is gone.
  bool PathsTakenByAnother() const;

  // Lets the sandbox run on without this object: nothing is killed or
  // removed when it goes away (a daemon that stops, a CLI command that ends).
  void Detach();
  // Leaves the rest of a teardown that failed (cgroups, state, uid range)
  // for the next daemon, but not the process: it is still killed and
  // reaped when this object goes, whenever it ends, rather than left a
  // zombie of this process.
  void LeaveBehind();

  // With SandboxOptions.report_main_exit: the host's end of the sync
  // socket, on which the main process's exit comes as one kExited record
  // (runsc/util/sync_message.h), then EOF; EOF alone if the sandbox ends
  // first. Empty for an attached sandbox, and after the first call.
  util::UniqueFd TakeExitReports() { return std::move(exit_reports_); }

 private:
  Sandbox(std::string id, std::string state_dir, std::string ranges_dir, ChildProcess process,
          UidRange uid_range, std::unique_ptr<Cgroup> cgroup,
          runsc::state::v1::SandboxRecord record, util::UniqueFd exit_reports = {});

  static absl::Status ReclaimAsideDir(const std::string& dir);

  // Whose the state directory's path is now. A CLI command on the same
  // state root may have deleted this sandbox, and the id, or its cgroups'
  // path, been taken since by another sandbox, whose directory, cgroups
  // and processes are then at this one's paths.
  enum class StateHolder {
    kThis,     // the record there is this sandbox's (its pid and start time)
    kNobody,   // no directory: nothing of another sandbox is at our paths
    kAnother,  // another sandbox's record, or a directory without one (a
               // create in progress)
  };
  StateHolder StateHolderNow() const;

  std::string id_;
  std::string state_dir_;
  std::string ranges_dir_;
  ChildProcess process_;
  // The sandbox process's start time (`/proc/<pid>/stat`), as recorded: with
  // its pid, what names this sandbox's record.
  uint64_t start_time_ = 0;
  UidRange uid_range_;
  std::unique_ptr<Cgroup> cgroup_;
  uint64_t oom_kills_seen_ = 0;
  std::set<int> oom_killed_pids_;
  bool destroyed_ = false;
  util::UniqueFd exit_reports_;
  // A warm sandbox's socket to its launcher, until Assign sends the container.
  util::UniqueFd warm_host_;
  // What identifies the state file record_ came from: inode, size, mtime.
  struct FileVersion {
    ino_t ino = 0;
    off_t size = -1;  // -1: no file
    struct timespec mtime = {};
    bool operator==(const FileVersion& other) const;
  };
  static FileVersion VersionOf(const std::string& path);
  mutable absl::Mutex record_mu_;
  mutable runsc::state::v1::SandboxRecord record_ ABSL_GUARDED_BY(record_mu_);
  mutable FileVersion record_version_ ABSL_GUARDED_BY(record_mu_);
  mutable bool superseded_ ABSL_GUARDED_BY(record_mu_) = false;
  bool unsaved_ ABSL_GUARDED_BY(record_mu_) = false;  // KeepUnsavedRecord's
  mutable absl::Mutex control_mu_;
  mutable std::shared_ptr<ControlClient> control_ ABSL_GUARDED_BY(control_mu_);
};

}  // namespace runsc::sandbox

#endif  // RUNSC_SANDBOX_SANDBOX_H_
