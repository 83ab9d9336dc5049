#include "sandbox/sandbox.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "boot/process_list.h"
#include "proto/boot.pb.h"
#include "runsc/util/errno_status.h"
#include "runsc/util/file_util.h"
#include "runsc/util/log.h"
#include "runsc/util/status_macros.h"
#include "runsc/util/sync_message.h"
#include "runsc/util/unique_fd.h"
#include "runsc/util/version.h"
#include "sandbox/control_client.h"
#include "sandbox/notify_socket.h"
#include "sandbox/proc_tree.h"
#include "sandbox/sandbox_internal.h"
#include "sandbox/state_store.h"
#include "specutils/sandbox_id.h"

namespace runsc::sandbox {

using internal::kConsoleLogName;
using internal::kControlSocketName;
using internal::kLogName;
using internal::kStdioSocketName;
using util::ErrnoError;
using util::UniqueFd;

namespace internal {

absl::Status RemoveStateDir(const std::string& dir) {
  // A save's temporary file, left by a process that died in the middle of
  // it (util::WriteFileAtomically), this build's or an earlier one's.
  if (DIR* d = opendir(dir.c_str())) {
    const std::string tmp_prefix = util::AtomicWriteTempPrefix(kStateFileName);
    const std::string legacy_tmp_prefix = util::AtomicWriteTempPrefix(kLegacyStateFileName);
    while (struct dirent* e = readdir(d)) {
      if (absl::StartsWith(e->d_name, tmp_prefix) ||
          absl::StartsWith(e->d_name, legacy_tmp_prefix)) {
        unlinkat(dirfd(d), e->d_name, 0);
      }
    }
    closedir(d);
  }
  for (const char* name :
       {kControlSocketName, kStdioSocketName, kLogName, kStateFileName, kNextStateFileName,
        kLegacyStateFileName, kLegacyNextStateFileName, kConsoleLogName}) {
    std::string path = absl::StrCat(dir, "/", name);
    if (unlink(path.c_str()) != 0 && errno != ENOENT) {
      return ErrnoError(errno, absl::StrCat("unlink '", path, "'"));
    }
  }
  const std::string notify_dir = absl::StrCat(dir, "/", kNotifyDirName);
  const std::string notify = absl::StrCat(notify_dir, "/", kNotifySocketName);
  if (unlink(notify.c_str()) != 0 && errno != ENOENT && errno != ENOTDIR) {
    return ErrnoError(errno, absl::StrCat("unlink '", notify, "'"));
  }
  if (rmdir(notify_dir.c_str()) != 0 && errno != ENOENT) {
    return ErrnoError(errno, absl::StrCat("rmdir '", notify_dir, "'"));
  }
  if (rmdir(dir.c_str()) != 0 && errno != ENOENT) {
    return ErrnoError(errno, absl::StrCat("rmdir '", dir, "'"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<ChildProcess>> AdoptRecordedProcess(
    const runsc::state::v1::SandboxRecord& record) {
  if (record.pid() <= 0) return std::nullopt;
  auto gone = [](const absl::Status& status) {
    return absl::IsNotFound(status) ? absl::OkStatus() : status;
  };
  absl::StatusOr<uint64_t> start = ProcessStartTime(record.pid());
  if (!start.ok()) RETURN_IF_ERROR(gone(start.status()));
  if (!start.ok() || *start != record.start_time()) return std::nullopt;
  absl::StatusOr<ChildProcess> process = ChildProcess::Adopt(record.pid());
  if (!process.ok()) {
    // ESRCH: it ended meanwhile; EINVAL: and its pid went to a thread.
    if (util::ErrnoOf(process.status()) != EINVAL) RETURN_IF_ERROR(gone(process.status()));
    return std::nullopt;
  }
  start = ProcessStartTime(record.pid());
  if (!start.ok() || *start != record.start_time()) {
    process->Release();
    if (!start.ok()) RETURN_IF_ERROR(gone(start.status()));
    return std::nullopt;
  }
  return std::optional<ChildProcess>(*std::move(process));
}

}  // namespace internal

using internal::AdoptRecordedProcess;
using internal::RemoveStateDir;

Sandbox::Sandbox(std::string id, std::string state_dir, std::string ranges_dir,
                 ChildProcess process, UidRange uid_range, std::unique_ptr<Cgroup> cgroup,
                 runsc::state::v1::SandboxRecord record, util::UniqueFd exit_reports)
    : id_(std::move(id)),
      state_dir_(std::move(state_dir)),
      ranges_dir_(std::move(ranges_dir)),
      process_(std::move(process)),
      start_time_(record.start_time()),
      uid_range_(uid_range),
      cgroup_(std::move(cgroup)),
      exit_reports_(std::move(exit_reports)),
      record_(std::move(record)),
      record_version_(VersionOf(RecordPath(state_dir_))) {}

Sandbox::FileVersion Sandbox::VersionOf(const std::string& path) {
  FileVersion v;
  struct stat st;
  if (stat(path.c_str(), &st) == 0) v = {st.st_ino, st.st_size, st.st_mtim};
  return v;
}

bool Sandbox::FileVersion::operator==(const FileVersion& o) const {
  return ino == o.ino && size == o.size && mtime.tv_sec == o.mtime.tv_sec &&
         mtime.tv_nsec == o.mtime.tv_nsec;
}

bool Sandbox::RecordOnDisk() const { return StateHolderNow() == StateHolder::kThis; }

bool Sandbox::PathsTakenByAnother() const { return StateHolderNow() == StateHolder::kAnother; }

Sandbox::StateHolder Sandbox::StateHolderNow() const {
  absl::StatusOr<runsc::state::v1::SandboxRecord> record = LoadRecord(state_dir_);
  if (record.ok()) {
    return record->pid() == process_.pid() && record->start_time() == start_time_
               ? StateHolder::kThis
               : StateHolder::kAnother;
  }
  if (!absl::IsNotFound(record.status())) return StateHolder::kThis;  // unreadable: as before
  struct stat st;
  if (lstat(state_dir_.c_str(), &st) != 0 && errno == ENOENT) return StateHolder::kNobody;
  return StateHolder::kAnother;
}

absl::Status Sandbox::Freeze(bool frozen) {
  if (cgroup_ == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat("sandbox ", id_, " has no container cgroup"));
  }
  return cgroup_->Freeze(frozen);
}

absl::Status Sandbox::UpdateResources(const runsc::boot::v1::ResourceConfig& resources) {
  if (cgroup_ == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat("sandbox ", id_, " has no container cgroup"));
  }
  return cgroup_->Update(resources);
}

absl::StatusOr<CgroupStats> Sandbox::Stats() const {
  if (cgroup_ == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("sandbox '", id_, "' has no container, so no cgroup"));
  }
  return cgroup_->Stats();
}

std::vector<std::string> Sandbox::CgroupPaths() const {
  return cgroup_ == nullptr ? std::vector<std::string>{} : cgroup_->Paths();
}

absl::StatusOr<runsc::control::v1::ExitStatus> Sandbox::WaitProcess(int pid,
                                                                    absl::Duration timeout) {
  ASSIGN_OR_RETURN(runsc::control::v1::ExitStatus status, control()->Wait(pid, timeout));
  AnnotateOom(pid, &status);
  return status;
}

absl::StatusOr<runsc::control::v1::ExitStatus> Sandbox::WaitExec(const StartedExec& exec,
                                                                 absl::Duration timeout) {
  if (!exec.exit_conn) return WaitProcess(exec.pid, timeout);
  ASSIGN_OR_RETURN(runsc::control::v1::ExitStatus status, AwaitExecExit(exec, timeout));
  AnnotateOom(exec.pid, &status);
  return status;
}

void Sandbox::AnnotateOom(int pid, runsc::control::v1::ExitStatus* status) {
  if (cgroup_ == nullptr || !status->signaled() || status->signal() != SIGKILL) return;
  // Several waiters may ask about one exit: the verdict is kept per pid.
  if (oom_killed_pids_.count(pid) != 0) {
    status->set_oom_killed(true);
    return;
  }
  // A SIGKILL that came with a new OOM kill in our cgroup is the OOM killer's.
  absl::StatusOr<CgroupStats> stats = cgroup_->Stats();
  if (stats.ok() && stats->oom_kills > oom_kills_seen_) {
    oom_kills_seen_ = stats->oom_kills;
    oom_killed_pids_.insert(pid);
    status->set_oom_killed(true);
  }
}

Sandbox::~Sandbox() { (void)Destroy(); }

std::string Sandbox::control_socket_path() const {
  return absl::StrCat(state_dir_, "/", kControlSocketName);
}

absl::Status Sandbox::SignalProcess(int pid, int signal, bool all) const {
  if (Paused()) return SignalFrozen(pid, signal, all);
  return SignalOnStdioSocket(ControlOnDemand(), stdio_socket_path(), pid, signal, all);
}

bool Sandbox::Paused() const { return cgroup_ != nullptr && cgroup_->Frozen(); }

absl::StatusOr<runsc::control::v1::ListProcessesResponse> Sandbox::ListFrozen() const {
  const absl::StatusOr<std::map<int, pid_t>> host = HostPids();
  if (!host.ok()) return host.status();
  UniqueFd proc(open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!proc) return ErrnoError(errno, "open /proc");
  const int main_pid = Record().main_pid();
  std::vector<boot::ListedProcess> listed;
  for (const auto& [pid, host_pid] : *host) {
    if (pid == 1) continue;
    listed.push_back({pid, pid == main_pid,
                      boot::ReadCommandLine(proc.get(), host_pid, boot::kMaxListedArgsBytes)});
  }
  // As the launcher bounds its list: a process's own arguments need not be
  // UTF-8, which a protobuf string must be (the client could not parse the
  // answer), and a thousand processes' would not fit an answer.
  size_t left_out = 0;
  runsc::control::v1::ListProcessesResponse list = boot::ToListProcessesResponse(
      boot::BoundedProcessList(std::move(listed), boot::kProcessListBudget, &left_out));
  if (left_out != 0) {
    util::Log(util::LogLevel::kWarning, "sandbox",
              absl::StrCat("listed ", list.processes_size(), " processes of paused sandbox ", id_,
                           "; ", left_out, " more did not fit"));
  }
  return list;
}

namespace {

// A pidfd of host process `host` if it is, once pinned by the pidfd, still
// the process `inner` of the PID namespace at `depth` (the container's);
// none if it is gone, or its pid is another process's now.
absl::StatusOr<std::optional<UniqueFd>> PinnedPidfd(pid_t host, int inner, size_t depth) {
  UniqueFd pidfd(static_cast<int>(syscall(SYS_pidfd_open, host, 0)));
  if (!pidfd) {
    if (errno == ESRCH) return std::nullopt;
    return ErrnoError(errno, absl::StrCat("pidfd_open ", host));
  }
  if (PidAtDepth(host, depth) != inner) return std::nullopt;
  return std::optional<UniqueFd>(std::move(pidfd));
}

}  // namespace

absl::StatusOr<UniqueFd> Sandbox::OpenPidfd(int pid) const {
  ASSIGN_OR_RETURN(const pid_t launcher, LauncherPid());
  const std::map<int, pid_t> processes = DescendantsByPidInNamespaceOf(launcher);
  auto it = processes.find(pid);
  std::optional<UniqueFd> pidfd;
  if (it != processes.end()) {
    ASSIGN_OR_RETURN(pidfd, PinnedPidfd(it->second, pid, PidNamespaceDepth(launcher)));
  }
  if (!pidfd.has_value()) {
    return absl::NotFoundError(absl::StrCat("no process ", pid, " in sandbox '", id_, "'"));
  }
  return *std::move(pidfd);
}

absl::Status Sandbox::SignalFrozen(int pid, int signal, bool all) const {
  // As the launcher answers: its own pid 1 and no pid are no workload's.
  if (!all && pid <= 1) {
    return absl::InvalidArgumentError(absl::StrCat("pid: ", pid, " is not a workload"));
  }
  ASSIGN_OR_RETURN(const pid_t launcher, LauncherPid());
  const size_t depth = PidNamespaceDepth(launcher);
  const std::map<int, pid_t> processes = DescendantsByPidInNamespaceOf(launcher);
  std::vector<std::pair<int, pid_t>> targets;
  for (const auto& [inner, host] : processes) {
    // Container pid 1 is the launcher, which a workload's signal never ends.
    if (inner != 1 && (all || inner == pid)) targets.emplace_back(inner, host);
  }
  if (!all && targets.empty()) {
    return absl::NotFoundError(absl::StrCat("no process ", pid, " in sandbox '", id_, "'"));
  }
  for (const auto& [inner, host] : targets) {
    ASSIGN_OR_RETURN(std::optional<UniqueFd> pidfd, PinnedPidfd(host, inner, depth));
    if (!pidfd.has_value()) continue;  // gone meanwhile
    if (syscall(SYS_pidfd_send_signal, pidfd->get(), signal, nullptr, 0) != 0 && errno != ESRCH) {
      return ErrnoError(errno, absl::StrCat("signal ", signal, " to pid ", inner, " (host ", host,
                                            ") of sandbox '", id_, "'"));
    }
  }
  if (signal == SIGKILL) RETURN_IF_ERROR(cgroup_->Freeze(false));
  return absl::OkStatus();
}

ControlGetter Sandbox::ControlOnDemand() const {
  return [this]() -> absl::StatusOr<std::shared_ptr<ControlClient>> { return control(); };
}

std::shared_ptr<ControlClient> Sandbox::control() const {
  absl::MutexLock lock(&control_mu_);
  if (control_ == nullptr) control_ = std::make_shared<ControlClient>(control_socket_path());
  return control_;
}

absl::StatusOr<std::unique_ptr<Sandbox>> Sandbox::Attach(const std::string& state_root,
                                                         const std::string& id) {
  RETURN_IF_ERROR(specutils::ValidateSandboxId(id));
  const std::string dir = absl::StrCat(state_root, "/", id);
  absl::StatusOr<runsc::state::v1::SandboxRecord> record = LoadRecord(dir);
  if (absl::IsNotFound(record.status())) {
    return absl::NotFoundError(
        absl::StrCat("sandbox '", id, "' does not exist in '", state_root, "'"));
  }
  if (!record.ok()) return record.status();
  auto not_running = [&id] {
    return absl::FailedPreconditionError(
        absl::StrCat("sandbox '", id, "' is not running: its process is gone"));
  };
  absl::StatusOr<std::optional<ChildProcess>> process = AdoptRecordedProcess(*record);
  if (!process.ok()) return util::Annotate(process.status(), absl::StrCat("sandbox '", id, "'"));
  if (!process->has_value()) return not_running();
  std::unique_ptr<Cgroup> cgroup;
  if (record->cgroup_paths_size() > 0) {
    ASSIGN_OR_RETURN(cgroup, Cgroup::Adopt({record->cgroup_paths().begin(),
                                            record->cgroup_paths().end()}));
  }
  UidRange range{record->range_slot(), record->range_base(), record->range_token()};
  std::string ranges_dir = record->ranges_dir();  // before the record moves
  return std::unique_ptr<Sandbox>(new Sandbox(id, dir, std::move(ranges_dir), std::move(**process),
                                              range, std::move(cgroup), std::move(*record)));
}

absl::StatusOr<int> Sandbox::ExitStatusFromLog(const std::string& state_root,
                                              const std::string& id) {
  RETURN_IF_ERROR(specutils::ValidateSandboxId(id));
  const std::string log = util::ReadFileOrEmpty(absl::StrCat(state_root, "/", id, "/", kLogName));
  const absl::string_view marker = util::kExitStatusLogMarker;
  const size_t at = absl::string_view(log).rfind(marker);
  if (at == absl::string_view::npos) {
    return absl::NotFoundError(absl::StrCat("sandbox '", id, "' logged no exit status"));
  }
  absl::string_view rest = absl::string_view(log).substr(at + marker.size());
  int code = 0;
  rest = rest.substr(0, rest.find_first_not_of("0123456789"));
  if (!absl::SimpleAtoi(rest, &code)) {
    return absl::InternalError(absl::StrCat("sandbox '", id, "': unreadable exit status"));
  }
  return code;
}

absl::StatusOr<std::vector<std::string>> Sandbox::ListIds(const std::string& state_root) {
  std::vector<std::string> ids;
  DIR* root = opendir(state_root.c_str());
  if (root == nullptr) {
    if (errno == ENOENT) return ids;
    return ErrnoError(errno, absl::StrCat("opendir '", state_root, "'"));
  }
  while (struct dirent* e = readdir(root)) {
    std::string name = e->d_name;
    if (!specutils::ValidateSandboxId(name).ok()) continue;
    if (RecordExists(absl::StrCat(state_root, "/", name))) ids.push_back(name);
  }
  closedir(root);
  std::sort(ids.begin(), ids.end());
  return ids;
}

runsc::state::v1::SandboxRecord Sandbox::Record() const {
  absl::MutexLock lock(&record_mu_);
  // Every save is a new file (rename), so a new inode means another writer.
  const FileVersion now = VersionOf(RecordPath(state_dir_));
  if (now.size >= 0 && !(now == record_version_)) {
    absl::StatusOr<runsc::state::v1::SandboxRecord> fresh = LoadRecord(state_dir_);
    // Ours (the CLI started or paused it), or another sandbox's: not taken
    // then. Another create's record has a range of its own from its first
    // save on (pid 0 until it is done; this object is made only after its
    // own full record): its stdio socket listens already.
    if (fresh.ok()) {
      const bool ours = fresh->range_token() == uid_range_.token &&
                        (fresh->pid() == 0 ||
                         (fresh->pid() == process_.pid() && fresh->start_time() == start_time_));
      if (!ours) {
        superseded_ = true;
      } else if (fresh->pid() != 0) {
        record_ = *std::move(fresh);
      }
      record_version_ = now;
    }
  }
  return record_;
}

bool Sandbox::Superseded() const {
  (void)Record();
  absl::MutexLock lock(&record_mu_);
  return superseded_;
}

absl::Status Sandbox::SaveRecord(const runsc::state::v1::SandboxRecord& record,
                                 PreparedRecord* prepared) {
  absl::MutexLock lock(&record_mu_);
  RETURN_IF_ERROR(prepared != nullptr ? std::move(*prepared).Commit(record)
                                      : sandbox::SaveRecord(state_dir_, record));
  record_ = record;
  record_version_ = VersionOf(RecordPath(state_dir_));
  unsaved_ = false;
  return absl::OkStatus();
}

void Sandbox::KeepUnsavedRecord(const runsc::state::v1::SandboxRecord& record) {
  absl::MutexLock lock(&record_mu_);
  record_ = record;
  unsaved_ = true;
}

absl::Status Sandbox::SaveIfUnsaved() {
  absl::MutexLock lock(&record_mu_);
  if (!unsaved_) return absl::OkStatus();
  const FileVersion now = VersionOf(RecordPath(state_dir_));
  if (now.size < 0 || !(now == record_version_)) {
    unsaved_ = false;  // not ours to write any more
    return absl::FailedPreconditionError(
        absl::StrCat("sandbox '", id_, "': its record was changed or removed by another"));
  }
  RETURN_IF_ERROR(sandbox::SaveRecord(state_dir_, record_));
  record_version_ = VersionOf(RecordPath(state_dir_));
  unsaved_ = false;
  return absl::OkStatus();
}

std::string Sandbox::ContainerStatus(const runsc::state::v1::SandboxRecord& record) const {
  const int main_pid = record.main_pid();
  if (main_pid == 0) return "created";
  // Killed while created, it is stopped like any other.
  const bool held = record.main_held();
  // A frozen launcher cannot answer; a frozen container is paused. (The
  // supervisor is outside the freezer: a dead container is never frozen.)
  if (!held && cgroup_ != nullptr && cgroup_->Frozen()) return "paused";
  // From the host's /proc, not the sandbox's ListProcesses: a status asked
  // for must not dial the sandbox (which would start its gRPC server).
  absl::StatusOr<pid_t> launcher = LauncherPid();
  absl::StatusOr<bool> live =
      launcher.ok() ? HasLiveChild(*launcher, main_pid) : absl::StatusOr<bool>(launcher.status());
  if (live.ok() && *live) return held ? "created" : "running";
  // /proc could not be read (EMFILE, say) while the sandbox lives: that is
  // no word that the container ended, and one taken for stopped would be
  // deleted without --force. (FAILED_PRECONDITION: the sandbox process has
  // ended; INTERNAL: its launcher has.)
  if (!live.ok() && !absl::IsFailedPrecondition(live.status()) &&
      !absl::IsInternal(live.status()) && ProcessAlive()) {
    return held ? "created" : "running";
  }
  return "stopped";
}

absl::StatusOr<pid_t> Sandbox::LauncherPid() const {
  absl::StatusOr<pid_t> launcher = OnlyChild(process_.pid());
  // Alive after the read: the pid was still our sandbox process's during it.
  if (!ProcessAlive()) {
    return absl::FailedPreconditionError(
        absl::StrCat("sandbox '", id_, "': its process ", process_.pid(), " has ended"));
  }
  return launcher;
}

bool Sandbox::ProcessAlive() const {
  return !process_.reaped() && syscall(SYS_pidfd_send_signal, process_.pidfd(), 0, nullptr, 0) == 0;
}

absl::StatusOr<std::map<int, pid_t>> Sandbox::HostPids() const {
  ASSIGN_OR_RETURN(pid_t launcher, LauncherPid());
  return DescendantsByPidInNamespaceOf(launcher);
}

absl::Status Sandbox::StartHeldMain() {
  runsc::state::v1::SandboxRecord record = Record();
  if (!record.main_held()) {
    return absl::FailedPreconditionError(
        absl::StrCat("sandbox '", id_, "' has no created process waiting for start"));
  }
  // Over the stdio socket: a start without stdio releases it, and the
  // sandbox need not start its gRPC server.
  RETURN_IF_ERROR(StartOnStdioSocket(ControlOnDemand(), stdio_socket_path(), {}).status());
  record.set_main_held(false);
  absl::Status saved = SaveRecord(record);
  if (!saved.ok()) {
    // Released but not recorded (a full state root): each later command,
    // which reads the record, would take it for created. Stopped, as a
    // failed start.
    (void)SignalProcess(record.main_pid(), SIGKILL);
  }
  return saved;
}

void Sandbox::Detach() {
  process_.Release();
  LeaveBehind();
}

void Sandbox::LeaveBehind() {
  if (cgroup_ != nullptr) cgroup_->Release();
  destroyed_ = true;
}

std::string Sandbox::stdio_socket_path() const {
  return absl::StrCat(state_dir_, "/", kStdioSocketName);
}

std::string Sandbox::log_path() const {
  return absl::StrCat(state_dir_, "/", kLogName);
}

absl::StatusOr<ConsoleStdio> OpenConsoleStdio(const std::string& console_log) {
  ConsoleStdio stdio;
  stdio.in.reset(open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (!stdio.in) return ErrnoError(errno, "open '/dev/null'");
  stdio.out.reset(
      open(console_log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!stdio.out) return ErrnoError(errno, absl::StrCat("open '", console_log, "'"));
  return stdio;
}

std::string Sandbox::console_log_path() const {
  return absl::StrCat(state_dir_, "/", kConsoleLogName);
}

absl::StatusOr<ExitStatus> Sandbox::Wait(absl::Duration timeout) {
  return process_.Wait(timeout);
}

}  // namespace runsc::sandbox
