// The end of a sandbox: Destroy and Retire (sandbox/reclaimer.h), and the
// reclaiming of what a dead one left (after a restart, or from a daemon that
// died).
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "runsc/util/errno_status.h"
#include "runsc/util/file_util.h"
#include "runsc/util/log.h"
#include "runsc/util/status_macros.h"
#include "runsc/util/unique_fd.h"
#include "sandbox/cgroup.h"
#include "sandbox/proc_tree.h"
#include "sandbox/sandbox.h"
#include "sandbox/sandbox_internal.h"
#include "sandbox/state_store.h"
#include "sandbox/uid_range.h"
#include "specutils/sandbox_id.h"

namespace runsc::sandbox {

using internal::AdoptRecordedProcess;
using internal::RemoveStateDir;
using util::ErrnoError;
using util::UniqueFd;

namespace {

// Releases `range` (none: host_base 0) and removes state directory `dir`
// (none: empty), the range first: once the record is gone nothing names
// the slot, which a crash in between would leak for good; the other way
// round, a later reclaim of the record releases it again, which its token
// makes harmless (the slot is left be if another holder has it since). A
// range recorded without a token (a build before them) is released
// unchecked, so last.
absl::Status ReleaseRangeAndRemove(const std::string& ranges_dir, const UidRange& range,
                                   const std::string& dir) {
  const bool checked = range.host_base != 0 && !range.token.empty();
  if (checked) RETURN_IF_ERROR(UidRangeAllocator(ranges_dir).Release(range));
  if (!dir.empty()) RETURN_IF_ERROR(RemoveStateDir(dir));
  if (range.host_base != 0 && !checked)
    RETURN_IF_ERROR(UidRangeAllocator(ranges_dir).Release(range));
  return absl::OkStatus();
}

// Best effort: SIGKILL to the launcher of the sandbox process `sandbox`,
// if it has one and is still alive (else its pid may be another process's,
// and so may the child found). Killed only with the sandbox process, the
// launcher would begin its teardown (its PID and mount namespaces: grace
// periods, mostly waiting) only when the sandbox process's own is done
// (zap_pid_ns_processes); killed together, the two overlap.
void KillLauncherOf(const Sandbox& sandbox) {
  absl::StatusOr<pid_t> launcher = sandbox.LauncherPid();
  if (!launcher.ok()) return;  // no container, or no sandbox process
  UniqueFd pidfd(static_cast<int>(syscall(SYS_pidfd_open, *launcher, 0)));
  if (!pidfd) return;
  // The pidfd pins the process: if its parent is still the sandbox
  // process, which is still ours, it is the launcher, not a later process
  // with a reused pid.
  if (util::ProcStatusField(*launcher, "PPid") != absl::StrCat(sandbox.pid())) return;
  if (!sandbox.ProcessAlive()) return;
  syscall(SYS_pidfd_send_signal, pidfd.get(), SIGKILL, nullptr, 0);
}

}  // namespace

absl::Status Sandbox::Destroy() {
  if (destroyed_) return absl::OkStatus();
  if (!process_.reaped()) {
    KillLauncherOf(*this);
    absl::StatusOr<ExitStatus> exit = process_.KillAndWait();
    if (!exit.ok()) return exit.status();
  }
  {
    absl::MutexLock lock(&control_mu_);
    control_.reset();
  }
  // Deleted by someone else (a CLI command on the same state root), whose
  // delete removed what was ours: what is at our paths now may be another
  // sandbox's, and stays. The range's release checks its own token.
  // With no directory at all, whoever removed it (a delete) removed the
  // cgroups before it, and a spec's cgroupsPath may name another
  // sandbox's by now.
  const StateHolder holder = StateHolderNow();
  if (holder != StateHolder::kThis && cgroup_ != nullptr) cgroup_->Release();  // nor at its end
  if (holder == StateHolder::kAnother) {
    util::Log(util::LogLevel::kWarning, "sandbox",
              absl::StrCat("'", id_, "': '", state_dir_,
                           "' holds another sandbox now; its state and cgroups are left alone"));
  } else if (holder == StateHolder::kThis && cgroup_ != nullptr) {
    RETURN_IF_ERROR(cgroup_->Destroy());
  }
  RETURN_IF_ERROR(ReleaseRangeAndRemove(ranges_dir_, uid_range_,
                                        holder == StateHolder::kThis ? state_dir_ : ""));
  destroyed_ = true;
  return absl::OkStatus();
}

absl::Status Sandbox::Retire(bool container_ended) {
  if (destroyed_ || process_.reaped()) {
    return absl::FailedPreconditionError(absl::StrCat("sandbox '", id_, "' has ended already"));
  }
  if (cgroup_ == nullptr || uid_range_.host_base == 0) {
    return absl::UnimplementedError(
        absl::StrCat("sandbox '", id_, "' has no container, so no cgroup to kill it by"));
  }
  // Its cgroups are killed by path: only while its record says they are
  // its (see Destroy).
  if (StateHolderNow() != StateHolder::kThis) {
    return absl::FailedPreconditionError(
        absl::StrCat("sandbox '", id_, "' has no record in '", state_dir_, "' any more"));
  }
  if (!container_ended) {
    RETURN_IF_ERROR(cgroup_->Kill());
    // The sandbox process is in its own leaf, which the kill reached; the
    // pidfd makes sure, whatever moved where.
    (void)process_.Signal(SIGKILL);
  }
  // The slot is the sandbox's until Destroy releases its range, just before
  // it removes this directory: no other retired sandbox has the name, but
  // where that removal failed (the directory then waits for the next
  // daemon), a later sandbox of the same slot finds it taken, and its
  // delete does the teardown in line.
  const std::string aside = absl::StrCat(state_dir_.substr(0, state_dir_.rfind('/') + 1),
                                         kRetiredPrefix, uid_range_.slot);
  if (renameat2(AT_FDCWD, state_dir_.c_str(), AT_FDCWD, aside.c_str(), RENAME_NOREPLACE) != 0) {
    return ErrnoError(errno, absl::StrCat("rename '", state_dir_, "' to '", aside, "'"));
  }
  state_dir_ = aside;
  return absl::OkStatus();
}

namespace {

// What a dead sandbox left behind: its cgroups, its range, its state.
absl::Status ReclaimLeftovers(const std::string& dir,
                              const runsc::state::v1::SandboxRecord& record) {
  if (record.cgroup_paths_size() > 0) {
    ASSIGN_OR_RETURN(std::unique_ptr<Cgroup> cgroup,
                     Cgroup::Adopt({record.cgroup_paths().begin(), record.cgroup_paths().end()}));
    // A create cut short by its daemon's death recorded no process (pid 0),
    // but may have spawned one: whatever is still in the sandbox's cgroups
    // is its, and goes first. (Without cgroup.kill it holds the cgroups, and
    // Destroy says so.)
    if (record.pid() == 0) (void)cgroup->Kill();
    RETURN_IF_ERROR(cgroup->Destroy());
  }
  return ReleaseRangeAndRemove(
      record.ranges_dir(), {record.range_slot(), record.range_base(), record.range_token()}, dir);
}

}  // namespace

absl::Status Sandbox::Reclaim(const std::string& state_root, const std::string& id) {
  RETURN_IF_ERROR(specutils::ValidateSandboxId(id));
  const std::string dir = absl::StrCat(state_root, "/", id);
  ASSIGN_OR_RETURN(runsc::state::v1::SandboxRecord record, LoadRecord(dir));
  absl::StatusOr<uint64_t> start = ProcessStartTime(record.pid());
  if (!start.ok() && !absl::IsNotFound(start.status())) return start.status();
  if (start.ok() && *start == record.start_time()) {
    return absl::FailedPreconditionError(
        absl::StrCat("sandbox '", id, "' is still running; delete it instead"));
  }
  return ReclaimLeftovers(dir, record);
}

absl::Status Sandbox::ReclaimUnrecorded(const std::string& state_root, const std::string& id,
                                        bool locked) {
  RETURN_IF_ERROR(specutils::ValidateSandboxId(id));
  const std::string dir = absl::StrCat(state_root, "/", id);
  struct stat st;
  if (lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return absl::NotFoundError(absl::StrCat("no state directory '", dir, "'"));
  }
  if (RecordExists(dir)) {
    return absl::AlreadyExistsError(absl::StrCat("sandbox '", id, "' has a record"));
  }
  auto being_made = [&] {
    return absl::FailedPreconditionError(absl::StrCat("sandbox '", id, "' is being created"));
  };
  // A create of an earlier build took its lock within microseconds of its
  // mkdir: younger than a second, it may not have yet.
  if (absl::Now() - absl::TimeFromTimespec(st.st_ctim) < absl::Seconds(1)) return being_made();
  absl::StatusOr<UniqueFd> lock = locked ? UniqueFd() : LockStateDir(dir);
  if (!lock.ok()) {
    if (absl::IsNotFound(lock.status())) {
      return absl::NotFoundError(absl::StrCat("no state directory '", dir, "'"));
    }
    return being_made();
  }
  // Its first record may have come just before our lock.
  if (RecordExists(dir)) {
    return absl::AlreadyExistsError(absl::StrCat("sandbox '", id, "' has a record"));
  }
  return RemoveStateDir(dir);
}

absl::Status Sandbox::ReclaimAsideDir(const std::string& dir) {
  absl::StatusOr<runsc::state::v1::SandboxRecord> record = LoadRecord(dir);
  if (absl::IsNotFound(record.status())) {
    // A warm sandbox that died before its record was written, with whoever
    // made it.
    return RemoveStateDir(dir);
  }
  if (!record.ok()) return record.status();
  // A warm sandbox whose daemon died between its first record (its range)
  // and the one with its cgroups: they are named by its slot, which is
  // still its own while the slot's file holds its token (nobody else's
  // then, host-wide).
  if (record->cgroup_paths_size() == 0 &&
      absl::StartsWith(dir.substr(dir.rfind('/') + 1), kWarmPrefix) &&
      UidRangeAllocator(record->ranges_dir())
          .HeldBy({record->range_slot(), record->range_base(), record->range_token()})) {
    absl::StatusOr<std::vector<std::string>> made =
        Cgroup::ExistingPaths(absl::StrCat("runsc/warm.", record->range_slot()));
    if (made.ok()) {
      for (const std::string& path : *made) record->add_cgroup_paths(path);
    }
  }
  // A warm sandbox ends when its launcher's socket to the daemon closes,
  // and a retired one was killed; one still there is killed. The pidfd,
  // checked against the start time once open, cannot reach a recycled pid.
  // (pid 0: the daemon died before its spawn was recorded; the process,
  // if there was one, ended with the daemon's end of its socket.)
  absl::StatusOr<std::optional<ChildProcess>> adopted = AdoptRecordedProcess(*record);
  if (!adopted.ok()) return util::Annotate(adopted.status(), "sandbox process");
  if (std::optional<ChildProcess>& process = *adopted) {
    absl::Status killed = process->Signal(SIGKILL);
    absl::StatusOr<ExitStatus> gone =
        killed.ok() ? process->Wait(absl::Seconds(5)) : absl::StatusOr<ExitStatus>(killed);
    if (!gone.ok()) {
      process->Release();  // not waited for again on the way out
      return util::Annotate(gone.status(), "sandbox process outlived SIGKILL");
    }
  }
  return ReclaimLeftovers(dir, *record);
}

void Sandbox::ReclaimAside(const std::string& state_root, absl::Duration creating_age) {
  DIR* root = opendir(state_root.c_str());
  if (root == nullptr) return;
  std::vector<std::string> dirs;
  while (struct dirent* e = readdir(root)) {
    if (absl::StartsWith(e->d_name, kWarmPrefix) || absl::StartsWith(e->d_name, kRetiredPrefix)) {
      dirs.push_back(absl::StrCat(state_root, "/", e->d_name));
    } else if (absl::StartsWith(e->d_name, kCreatingPrefix)) {
      // A create's directory before its rename into place: left empty by
      // one that died there, unless a create (the CLI's, perhaps) holds it
      // or is about to (it locks within microseconds of its mkdtemp: one
      // `creating_age` old is past that). The lock is held across the rmdir.
      const std::string made = absl::StrCat(state_root, "/", e->d_name);
      struct stat st;
      if (lstat(made.c_str(), &st) != 0 ||
          absl::Now() - absl::TimeFromTimespec(st.st_ctim) < creating_age) {
        continue;
      }
      absl::StatusOr<UniqueFd> held = LockStateDir(made);
      if (held.ok()) rmdir(made.c_str());
    }
  }
  closedir(root);
  for (const std::string& dir : dirs) {
    absl::Status status = ReclaimAsideDir(dir);
    if (!status.ok()) {
      util::Log(util::LogLevel::kWarning, "sandbox",
                absl::StrCat("sandbox '", dir, "' left behind: ", status.message()));
    }
  }
}

}  // namespace runsc::sandbox
