// SandboxManager's calls into a live sandbox: runs, execs, signals,
// waits, and what it reports (processes, stats, files).
#include <errno.h>
#include <signal.h>
#include <unistd.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "runsc/util/errno_status.h"
#include "runsc/util/file_util.h"
#include "runsc/util/log.h"
#include "runsc/util/status_macros.h"
#include "runsc/util/stdio_socket.h"
#include "sandbox/control_client.h"
#include "sandbox/manager.h"
#include "sandbox/manager_internal.h"
#include "sandbox/stdio_pump.h"
#include "specutils/oci_spec.h"
#include "specutils/sandbox_id.h"

namespace runsc::sandbox {

using internal::CheckNotSuperseded;
using internal::NotFound;

namespace {

// How long a killed process may take to go.
constexpr absl::Duration kKillWait = absl::Seconds(10);
// How long after its run's timeout (and the kill's wait) a RunSandbox
// sandbox that was not deleted expires.
constexpr absl::Duration kRunSandboxLeeway = absl::Minutes(1);

}  // namespace

absl::StatusOr<RunResult> SandboxManager::Run(const RunRequest& request) {
  // The run goes over the stdio socket; the Control client only for a
  // sandbox of an older build.
  ASSIGN_OR_RETURN(OnDemand sandbox, FindRunnable(request.id));
  RunResult result;
  absl::StatusOr<RunOutcome> status;
  {
    // The streams end when the last holder of the pipes goes, which may be
    // a descendant that outlives the process: they are read until then,
    // but only a moment longer than the process itself lasts.
    ASSIGN_OR_RETURN(
        std::unique_ptr<StdioPump> pump,
        StdioPump::Start(request.stdin_data, request.max_output,
                         absl::Now() + request.timeout + kKillWait + StdioPump::kDrainAfterExit,
                         &result));
    status = RunToExit(sandbox.control, sandbox.stdio, request.process,
                       std::move(pump->process_ends()), request.timeout, kKillWait, request.cancel);
  }
  if (!status.ok()) return status.status();
  result.timed_out = status->timed_out;
  result.status = status->status;
  return result;
}

absl::StatusOr<RunResult> SandboxManager::RunSandbox(CreateRequest create,
                                                     const std::string& stdin_data,
                                                     size_t max_output, absl::Duration timeout,
                                                     CallCanceller* cancel) {
  if (create.ttl > absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "sandbox.ttl_seconds: a RunSandbox sandbox lives as long as its run");
  }
  const absl::Time deadline = absl::Now() + timeout;
  if (create.id.empty()) create.id = specutils::GenerateSandboxId();
  create.start = true;
  // A TTL of our own, well past the run's end, which only a delete that
  // did not happen leaves to act: this daemon's failed one, or one that
  // died during the run (the next daemon re-attaches the sandbox, and its
  // expirer deletes it).
  create.ttl = timeout + kKillWait + kRunSandboxLeeway;
  RunResult result;
  absl::Status ended;
  {
    ASSIGN_OR_RETURN(std::unique_ptr<StdioPump> pump,
                     StdioPump::Start(stdin_data, max_output,
                                      deadline + kKillWait + StdioPump::kDrainAfterExit, &result));
    create.main_stdio = pump->process_fds();
    // Its entry, not its id, from here on: a client that deleted it (it is
    // listed) and made another of that id meanwhile must not have that one
    // killed or deleted by this run.
    std::shared_ptr<Entry> entry;
    absl::StatusOr<SandboxView> view = CreateEntry(create, &entry);
    if (!view.ok()) return view.status();
    // The sandbox has its copies; ours go, so that the output ends with
    // the sandbox's.
    pump->process_ends().clear();
    absl::StatusOr<runsc::control::v1::ExitStatus> status =
        WaitEntry(create.id, entry, view->main_pid,
                  std::max(deadline - absl::Now(), absl::ZeroDuration()), cancel);
    if (absl::IsDeadlineExceeded(status.status())) {
      result.timed_out = true;
      (void)SignalEntry(create.id, entry, view->main_pid, SIGKILL, /*all=*/true);
      status = WaitEntry(create.id, entry, view->main_pid, kKillWait, cancel);
    }
    if (status.ok()) result.status = *status;
    ended = status.status();
    // Whatever became of the run, the sandbox goes; if it cannot go now,
    // its TTL takes it later, and the run's result still counts.
    absl::Status deleted = DeleteEntry(create.id, entry, absl::ZeroDuration(), nullptr);
    if (!deleted.ok()) {
      util::Log(util::LogLevel::kWarning, "manager",
                absl::StrCat("RunSandbox: sandbox ", create.id,
                             " stays until its TTL: ", deleted.message()));
    }
  }
  RETURN_IF_ERROR(ended);
  return result;
}

absl::StatusOr<StartedExec> SandboxManager::Exec(const std::string& id,
                                                 const runsc::boot::v1::ProcessConfig& process,
                                                 const std::vector<int>& stdio,
                                                 bool kill_on_hangup) {
  ASSIGN_OR_RETURN(OnDemand sandbox, FindRunnable(id));
  return ExecOnStdioSocket(sandbox.control, sandbox.stdio, process, stdio, absl::Seconds(30),
                           kill_on_hangup);
}

absl::StatusOr<runsc::boot::v1::ProcessConfig> SandboxManager::ExecProcess(
    const std::string& id, const specutils::ProcessOverrides& overrides) {
  ASSIGN_OR_RETURN(std::shared_ptr<Entry> entry, Find(id));
  absl::MutexLock lock(&entry->mu);
  if (entry->box == nullptr) return NotFound(id);
  runsc::state::v1::SandboxRecord record = entry->box->Record();
  ASSIGN_OR_RETURN(runsc::boot::v1::ProcessConfig process,
                   specutils::OverrideProcess(record.container().process(), overrides));
  RETURN_IF_ERROR(specutils::CheckIdsMapped(
      record.container(), process, {"process.uid", "process.gid", "process.additional_gids"}));
  return process;
}

absl::Status SandboxManager::Signal(const std::string& id, int pid, int signal, bool all) {
  ASSIGN_OR_RETURN(std::shared_ptr<Entry> entry, Find(id));
  return SignalEntry(id, entry, pid, signal, all);
}

absl::Status SandboxManager::SignalEntry(const std::string& id, const std::shared_ptr<Entry>& entry,
                                         int pid, int signal, bool all) {
  {
    absl::MutexLock lock(&entry->mu);
    if (entry->box == nullptr) return NotFound(id);
    RETURN_IF_ERROR(CheckNotSuperseded(id, *entry->box));
    // pid 0: the main process, as for Wait (it was so only while paused).
    if (pid == 0 && !all) {
      if (entry->main_pid == 0) {
        return absl::FailedPreconditionError(
            absl::StrCat("sandbox '", id, "' has not been started: no main process to signal"));
      }
      pid = entry->main_pid;
    }
    // Paused (`runsc pause` on this state root): its launcher, which sends
    // the signals, is frozen too. By host pid from here, which takes no
    // longer than a few reads of /proc.
    if (entry->box->Paused()) return entry->box->SignalFrozen(pid, signal, all);
  }
  // Over the stdio socket: no dial (a sandbox of an older build gets
  // Control.Signal).
  ASSIGN_OR_RETURN(OnDemand sandbox, OnDemandOf(id, entry));
  return SignalOnStdioSocket(sandbox.control, sandbox.stdio, pid, signal, all);
}

absl::StatusOr<runsc::control::v1::ExitStatus> SandboxManager::Wait(const std::string& id, int pid,
                                                                    absl::Duration timeout,
                                                                    CallCanceller* cancel) {
  ASSIGN_OR_RETURN(std::shared_ptr<Entry> entry, Find(id));
  return WaitEntry(id, entry, pid, timeout, cancel);
}

absl::StatusOr<runsc::control::v1::ExitStatus> SandboxManager::WaitEntry(
    const std::string& id, const std::shared_ptr<Entry>& entry, int pid, absl::Duration timeout,
    CallCanceller* cancel) {
  std::string stdio;
  {
    absl::MutexLock lock(&entry->mu);
    if (entry->box == nullptr) return NotFound(id);
    // The main process's exit is its watch's to see: wait for that (the
    // lock is free meanwhile) rather than ask the sandbox again. Only if the
    // watch ends without it does the sandbox answer.
    if (pid == entry->main_pid && entry->cancel_watch != nullptr) {
      Entry* e = entry.get();
      auto seen = [e]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(e->mu) {
        return e->main_exit.has_value() || e->watch_done || e->box == nullptr;
      };
      // A cancel does not wake this wait: it looks at it every 50 ms.
      const absl::Time deadline = absl::Now() + timeout;
      while (!seen()) {
        if (cancel != nullptr && cancel->cancelled()) {
          return absl::CancelledError(
              absl::StrCat("sandbox '", id, "': the wait for process ", pid, " was cancelled"));
        }
        const absl::Duration left = deadline - absl::Now();
        if (left <= absl::ZeroDuration()) {
          return absl::DeadlineExceededError(absl::StrCat("sandbox '", id, "': process ", pid,
                                                          " did not exit within ",
                                                          absl::FormatDuration(timeout)));
        }
        entry->mu.AwaitWithTimeout(
            absl::Condition(&seen),
            cancel != nullptr ? std::min(left, absl::Milliseconds(50)) : left);
      }
      if (entry->main_exit.has_value()) return *entry->main_exit;
      if (entry->box == nullptr) return NotFound(id);
    }
    RETURN_IF_ERROR(CheckNotSuperseded(id, *entry->box));
    stdio = entry->box->stdio_socket_path();
  }
  // The wait may be long: never under the sandbox's lock, or a Signal meant
  // to end it would queue behind it. On the stdio socket; a sandbox of an
  // older build is asked over gRPC.
  ASSIGN_OR_RETURN(StartedExec waiting,
                   WaitOnStdioSocket(stdio, pid, std::min(timeout, absl::Seconds(5))));
  if (waiting.exit_conn) return WaitExec(id, waiting, timeout, cancel);
  ASSIGN_OR_RETURN(OnDemand sandbox, FindOnDemand(id));
  ASSIGN_OR_RETURN(std::shared_ptr<ControlClient> control, sandbox.control());
  ASSIGN_OR_RETURN(runsc::control::v1::ExitStatus status, control->Wait(pid, timeout, cancel));
  AnnotateOom(id, pid, &status);
  return status;
}

void SandboxManager::AnnotateOom(const std::string& id, int pid,
                                 runsc::control::v1::ExitStatus* status) {
  // A sandbox deleted meanwhile has no verdict on an OOM kill to add.
  absl::StatusOr<std::shared_ptr<Entry>> entry = Find(id);
  if (!entry.ok()) return;
  absl::MutexLock lock(&(*entry)->mu);
  if ((*entry)->box != nullptr) (*entry)->box->AnnotateOom(pid, status);
}

absl::StatusOr<runsc::control::v1::ExitStatus> SandboxManager::WaitExec(const std::string& id,
                                                                        const StartedExec& exec,
                                                                        absl::Duration timeout,
                                                                        CallCanceller* cancel) {
  if (!exec.exit_conn) return Wait(id, exec.pid, timeout, cancel);
  ASSIGN_OR_RETURN(runsc::control::v1::ExitStatus status, AwaitExecExit(exec, timeout, cancel));
  AnnotateOom(id, exec.pid, &status);
  return status;
}

absl::StatusOr<runsc::control::v1::ListProcessesResponse> SandboxManager::ListProcesses(
    const std::string& id) {
  ASSIGN_OR_RETURN(std::shared_ptr<Entry> entry, Find(id));
  {
    absl::MutexLock lock(&entry->mu);
    if (entry->box == nullptr) return NotFound(id);
    // Its launcher, which lists them, is frozen too.
    if (entry->box->Paused()) return entry->box->ListFrozen();
  }
  ASSIGN_OR_RETURN(OnDemand sandbox, OnDemandOf(id, entry));
  return ListOnStdioSocket(sandbox.control, sandbox.stdio);
}

absl::StatusOr<CgroupStats> SandboxManager::Stats(const std::string& id) {
  ASSIGN_OR_RETURN(std::shared_ptr<Entry> entry, Find(id));
  absl::MutexLock lock(&entry->mu);
  if (entry->box == nullptr) return NotFound(id);
  return entry->box->Stats();
}

absl::StatusOr<std::unique_ptr<ContainerFiles>> SandboxManager::OpenFiles(const std::string& id) {
  ASSIGN_OR_RETURN(std::shared_ptr<Entry> entry, Find(id));
  absl::MutexLock lock(&entry->mu);
  if (entry->box == nullptr) return NotFound(id);
  runsc::state::v1::SandboxRecord record = entry->box->Record();
  ASSIGN_OR_RETURN(pid_t launcher, entry->box->LauncherPid());
  ASSIGN_OR_RETURN(
      std::unique_ptr<ContainerFiles> files,
      ContainerFiles::Open(entry->box->pid(), launcher,
                           specutils::WorkloadIdsOf(record.container(), record.range_base())));
  // Open checked the launcher's parent by pid: still our sandbox process's.
  if (!entry->box->ProcessAlive()) {
    return absl::FailedPreconditionError(absl::StrCat("sandbox '", id, "' has ended"));
  }
  return files;
}

}  // namespace runsc::sandbox
