#include "sandbox/manager.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <thread>
#include <utility>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "runsc/util/errno_status.h"
#include "runsc/util/file_util.h"
#include "runsc/util/log.h"
#include "runsc/util/status_macros.h"
#include "runsc/util/stdio_socket.h"
#include "runsc/util/unique_fd.h"
#include "sandbox/bundle.h"
#include "sandbox/control_client.h"
#include "sandbox/host_template.h"
#include "sandbox/stdio_pump.h"
#include "specutils/oci_spec.h"
#include "specutils/sandbox_id.h"

namespace runsc::sandbox {

using util::ErrnoError;
using util::UniqueFd;

namespace {

SandboxEvent MakeEvent(const std::string& type, const std::string& id, int pid) {
  SandboxEvent event;
  event.type = type;
  event.id = id;
  event.time = absl::Now();
  event.pid = pid;
  return event;
}

absl::Status NotFound(const std::string& id) {
  return absl::NotFoundError(absl::StrCat("sandbox '", id, "' not found"));
}

// How long a killed process may take to go.
constexpr absl::Duration kKillWait = absl::Seconds(10);
// How long after its run's timeout (and the kill's wait) a RunSandbox
// sandbox that was not deleted expires.
constexpr absl::Duration kRunSandboxLeeway = absl::Minutes(1);
// The API's callers (root, and members of the daemon's --group) get
// sandboxes, never host identities, cgroups or namespaces: what only a
// runtime run by root (podman, containerd) may ask of the CLI is refused.
absl::Status CheckApiBundle(const runsc::boot::v1::ContainerConfig& c) {
  auto refuse = [](absl::string_view field, absl::string_view why) {
    return absl::PermissionDeniedError(absl::StrCat(
        field, ": ", why, "; the daemon's API does not take it (the runtime CLI, run by root, does)"));
  };
  if (!c.uid_mappings().empty()) {
    return refuse("linux.uidMappings", "host ids of the caller's choosing");
  }
  if (!c.network_ns_path().empty() || !c.ipc_ns_path().empty() || !c.uts_ns_path().empty()) {
    return refuse("linux.namespaces", "a namespace joined by path");
  }
  if (!c.cgroups_path().empty()) return refuse("linux.cgroupsPath", "a cgroup of the caller's choosing");
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<SandboxManager>> SandboxManager::Create(
    const ManagerOptions& options) {
  std::unique_ptr<SandboxManager> manager(new SandboxManager(options));
  ASSIGN_OR_RETURN(manager->exit_reports_, ExitReportWatcher::Create());
  // Warm sandboxes die with the daemon that made them; what they left goes
  // before the pool makes new ones.
  Sandbox::ReclaimAside(manager->options_.state_root);
  RETURN_IF_ERROR(manager->Recover());
  if (manager->options_.warm_sandboxes > 0) {
    SandboxOptions warm;
    warm.state_root = manager->options_.state_root;
    warm.runsc_path = manager->options_.runsc_path;
    warm.ranges_dir = manager->options_.ranges_dir;
    manager->warm_pool_ = std::make_unique<WarmPool>(warm, manager->options_.warm_sandboxes);
  }
  if (manager->options_.reclaim_ahead > 0) {
    manager->reclaimer_ = std::make_unique<Reclaimer>(manager->options_.reclaim_ahead);
  }
  manager->worker_ = std::thread([m = manager.get()] { m->WorkLoop(); });
  manager->expirer_ = std::thread([m = manager.get()] { m->ExpiryLoop(); });
  return manager;
}

SandboxManager::~SandboxManager() {
  // The warm sandboxes are nobody's yet: they go, where the others stay.
  warm_pool_.reset();
  {
    absl::MutexLock lock(&tasks_mu_);
    expiry_stopping_ = true;
  }
  if (expirer_.joinable()) expirer_.join();
  // What deletes left to it is done before the daemon goes.
  reclaimer_.reset();
  // The exit waits end first: their callbacks post to the worker.
  for (const std::shared_ptr<Entry>& entry : Entries()) {
    absl::MutexLock entry_lock(&entry->mu);
    if (entry->cancel_watch != nullptr) entry->cancel_watch();
  }
  {
    absl::MutexLock lock(&tasks_mu_);
    auto idle = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(tasks_mu_) { return watches_ == 0; };
    tasks_mu_.Await(absl::Condition(&idle));
    stopping_ = true;
  }
  if (worker_.joinable()) worker_.join();
  events_.Close();
  for (const std::shared_ptr<Entry>& entry : Entries()) {
    absl::MutexLock entry_lock(&entry->mu);
    if (entry->box != nullptr) entry->box->Detach();
  }
}

std::vector<std::shared_ptr<SandboxManager::Entry>> SandboxManager::Entries() {
  absl::MutexLock lock(&mu_);
  std::vector<std::shared_ptr<Entry>> entries;
  entries.reserve(sandboxes_.size());
  for (const auto& [id, entry] : sandboxes_) entries.push_back(entry);
  return entries;
}

absl::Status SandboxManager::Recover() {
  ASSIGN_OR_RETURN(std::vector<std::string> ids, Sandbox::ListIds(options_.state_root));
  for (const std::string& id : ids) {
    absl::StatusOr<std::unique_ptr<Sandbox>> box = Sandbox::Attach(options_.state_root, id);
    if (box.ok()) {
      auto entry = std::make_shared<Entry>();
      {
        absl::MutexLock lock(&entry->mu);
        entry->box = std::move(*box);
        // A main process that still runs (or is paused) is watched again;
        // one that ended while no daemon ran was never seen to exit, and is
        // not reported.
        runsc::state::v1::SandboxRecord record = entry->box->Record();
        const std::string status = entry->box->ContainerStatus(record);
        if (record.main_pid() != 0 && (status == "running" || status == "paused")) {
          WatchMainExit(id, entry, record.main_pid());
        }
      }
      absl::MutexLock lock(&mu_);
      sandboxes_[id] = entry;
      util::Log(util::LogLevel::kInfo, "manager", absl::StrCat("re-attached sandbox ", id));
    } else if (absl::IsFailedPrecondition(box.status())) {
      absl::Status reclaimed = Sandbox::Reclaim(options_.state_root, id);
      util::Log(reclaimed.ok() ? util::LogLevel::kInfo : util::LogLevel::kWarning, "manager",
                absl::StrCat("dead sandbox ", id, ": ",
                             reclaimed.ok() ? "reclaimed" : reclaimed.message()));
    } else {
      util::Log(util::LogLevel::kWarning, "manager",
                absl::StrCat("skipping sandbox ", id, ": ", box.status().message()));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<SandboxManager::Entry>> SandboxManager::Find(
    const std::string& id) {
  absl::MutexLock lock(&mu_);
  auto it = sandboxes_.find(id);
  if (it == sandboxes_.end()) return NotFound(id);
  return it->second;
}

SandboxView SandboxManager::View(const Sandbox& box, absl::string_view known_status) {
  SandboxView view;
  view.id = box.id();
  view.pid = box.pid();
  runsc::state::v1::SandboxRecord record = box.Record();
  view.labels = {record.labels().begin(), record.labels().end()};
  view.created = absl::FromUnixNanos(record.created_unix_nanos());
  if (record.expires_unix_nanos() != 0) {
    view.expires = absl::FromUnixNanos(record.expires_unix_nanos());
  }
  view.main_pid = record.main_pid();
  view.status = known_status.empty() ? box.ContainerStatus(record) : std::string(known_status);
  return view;
}

size_t SandboxManager::size() const {
  absl::MutexLock lock(&mu_);
  return sandboxes_.size();
}

absl::StatusOr<SandboxView> SandboxManager::CreateSandbox(const CreateRequest& request) {
  std::string id = request.id.empty() ? specutils::GenerateSandboxId() : request.id;
  RETURN_IF_ERROR(specutils::ValidateSandboxId(id));
  {
    absl::MutexLock lock(&mu_);
    if (sandboxes_.count(id) != 0) {
      return absl::AlreadyExistsError(absl::StrCat("sandbox '", id, "' already exists"));
    }
    if (static_cast<int>(sandboxes_.size()) + creating_ >= options_.max_sandboxes) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "sandboxes: ", sandboxes_.size(), " live, the limit is ", options_.max_sandboxes));
    }
    ++creating_;
  }
  absl::Cleanup done = [this] {
    absl::MutexLock lock(&mu_);
    --creating_;
  };
  SandboxOptions options;
  options.id = id;
  options.state_root = options_.state_root;
  options.runsc_path = options_.runsc_path;
  options.ranges_dir = options_.ranges_dir;
  options.labels = request.labels;
  options.network_none = request.network_none;
  options.bundle = request.bundle;
  if (request.ttl > absl::ZeroDuration()) {
    options.expires_unix_nanos = absl::ToUnixNanos(absl::Now() + request.ttl);
  }
  if (request.bundle.empty()) {
    HostTemplateOptions tmpl;
    tmpl.args = request.template_args;
    tmpl.hostname = id.substr(0, 63);
    ASSIGN_OR_RETURN(options.container, HostTemplate(tmpl));
  } else {
    ASSIGN_OR_RETURN(options.container, LoadBundle(request.bundle));
    RETURN_IF_ERROR(CheckApiBundle(*options.container));
  }
  if (request.resources.has_value()) *options.container->mutable_resources() = *request.resources;
  options.start_main = request.start;
  if (request.start) options.main_fds = request.main_stdio;
  // The main process's exit comes on the sync socket, whenever it starts:
  // no call to the sandbox, which then starts no gRPC server unless a
  // call of the client's needs one.
  options.report_main_exit = true;
  std::unique_ptr<Sandbox> box;
  if (warm_pool_ != nullptr && Sandbox::CheckAssignable(options).ok()) box = warm_pool_->Take();
  if (box != nullptr) {
    absl::Status assigned = box->Assign(options);
    if (!assigned.ok() && box->warm()) {
      // Untouched: it goes back, and a cold create answers (with the same
      // error, or with a sandbox the warm one could not hold).
      warm_pool_->Return(std::move(box));
    } else if (!assigned.ok()) {
      return assigned;  // spent, and destroyed on the way out
    }
  }
  if (box == nullptr) {
    ASSIGN_OR_RETURN(box, Sandbox::Create(options));
  }
  const int main_pid = box->Record().main_pid();
  UniqueFd reports = box->TakeExitReports();
  // Just started: no need to ask the sandbox.
  SandboxView view = request.start ? View(*box, "running") : View(*box);
  auto entry = std::make_shared<Entry>();
  {
    absl::MutexLock lock(&entry->mu);
    entry->box = std::move(box);
    entry->main_pid = main_pid;
    entry->created_here = true;
  }
  {
    absl::MutexLock lock(&mu_);
    sandboxes_[id] = entry;
    Publish("created", id, view.pid);
    if (request.start) Publish("started", id, main_pid);
  }
  // After "started": the report's "exited" may come at once. A delete that
  // comes first leaves it nothing to watch.
  absl::MutexLock lock(&entry->mu);
  if (entry->box != nullptr) WatchExitReports(id, entry, std::move(reports));
  return view;
}

absl::StatusOr<SandboxView> SandboxManager::StartSandbox(const std::string& id) {
  ASSIGN_OR_RETURN(std::shared_ptr<Entry> entry, Find(id));
  ASSIGN_OR_RETURN(OnDemand sandbox, OnDemandOf(id, entry));
  bool held;
  std::string console_path;
  {
    absl::MutexLock lock(&entry->mu);
    // One start at a time: a second one then finds the sandbox started.
    entry->mu.Await(absl::Condition(
        +[](Entry* e) ABSL_EXCLUSIVE_LOCKS_REQUIRED(e->mu) { return !e->starting; }, entry.get()));
    // Being deleted: its "deleted" must be its last event.
    if (entry->box == nullptr || entry->deleting) return NotFound(id);
    const runsc::state::v1::SandboxRecord record = entry->box->Record();
    held = record.main_held();
    if (!held && record.main_pid() != 0) {
      return absl::FailedPreconditionError(absl::StrCat("sandbox '", id, "' is already started"));
    }
    console_path = entry->box->console_log_path();
    entry->starting = true;
  }
  absl::Cleanup started = [this, &entry] {
    absl::MutexLock lock(&entry->mu);
    entry->starting = false;
    for (std::function<void()>& task : entry->after_start) Post(std::move(task));
    entry->after_start.clear();
  };
  // The start itself waits for the sandbox (up to 30 s if its exec is
  // slow) without the sandbox's lock, which listing every sandbox, the TTL
  // expiry and the exit reports' thread take. Over the stdio socket, so
  // that the sandbox need not start its gRPC server; the Control client
  // only for a sandbox of an older build. A held process (`runsc create`)
  // is released, with the creator's stdio; else the main process starts
  // with the console log's.
  absl::StatusOr<int> pid;
  if (held) {
    pid = StartOnStdioSocket(sandbox.control, sandbox.stdio, {});
  } else {
    ASSIGN_OR_RETURN(ConsoleStdio console, OpenConsoleStdio(console_path));
    pid = StartOnStdioSocket(sandbox.control, sandbox.stdio,
                             {console.in.get(), console.out.get(), console.out.get()});
  }
  RETURN_IF_ERROR(pid.status());
  absl::MutexLock lock(&entry->mu);
  // Deleted meanwhile: the process went with the sandbox.
  if (entry->box == nullptr) return NotFound(id);
  Sandbox& box = *entry->box;
  runsc::state::v1::SandboxRecord record = box.Record();
  if (held) {
    record.set_main_held(false);
  } else {
    record.set_main_pid(*pid);
  }
  RETURN_IF_ERROR(box.SaveRecord(record));
  Publish("started", id, record.main_pid());
  // The sandbox reports the exit if the daemon created it; one re-attached
  // is asked, as is one whose report watch ended without a report (it
  // could not be watched), and one created held; not one whose exit has
  // been seen already (it came during the start), which would report it
  // twice.
  if (!entry->main_exit.has_value() &&
      (held || entry->cancel_watch == nullptr || entry->watch_done)) {
    WatchMainExit(id, entry, record.main_pid());
  } else {
    entry->main_pid = record.main_pid();
  }
  // Just started: no need to ask the sandbox.
  return View(box, "running");
}

absl::Status SandboxManager::DeleteSandbox(const std::string& id, absl::Duration grace) {
  ASSIGN_OR_RETURN(std::shared_ptr<Entry> entry, Find(id));
  int main_pid = 0;
  {
    absl::MutexLock lock(&entry->mu);
    // A delete already under way: wait for it, and report what it leaves.
    // A start too, so that its "started" (and an exit that came during it)
    // is posted before "deleted".
    entry->mu.Await(absl::Condition(
        +[](Entry* e) { return !e->deleting && !e->starting; }, entry.get()));
    if (entry->box == nullptr) return NotFound(id);
    entry->deleting = true;
    const runsc::state::v1::SandboxRecord record = entry->box->Record();
    if (record.main_pid() != 0 && !entry->main_exit.has_value() && grace > absl::ZeroDuration()) {
      main_pid = record.main_pid();
    }
  }
  // The grace period passes without the sandbox's lock, which every call
  // about this sandbox (and List, and the worker that delivers every
  // sandbox's exit events) would otherwise wait on for as long.
  // Neither dials the sandbox: the signal goes over its stdio socket, and
  // the main process's exit comes from its watch.
  bool ended = false;
  if (main_pid != 0 && Signal(id, 0, SIGTERM, /*all=*/true).ok()) {
    ended = Wait(id, main_pid, grace).ok();
  }
  std::unique_ptr<Sandbox> box;
  bool container_ended = false;
  {
    absl::MutexLock lock(&entry->mu);
    if (ended) {
      // Its watch has heard of the exit too, or will at once: its "exited"
      // comes before "deleted".
      entry->mu.AwaitWithTimeout(absl::Condition(entry.get(), &Entry::WatchEnded),
                                 absl::Seconds(1));
    }
    if (entry->cancel_watch != nullptr) entry->cancel_watch();
    // Its main process's exit came from this build's launcher, which had
    // killed everything else of the container first: nothing to kill now.
    container_ended = entry->main_exit.has_value() && entry->created_here;
    box = std::move(entry->box);
  }
  // From here calls find no sandbox under this id, but the id stays taken
  // until the state directory is gone, or put aside for the reclaimer.
  if (reclaimer_ != nullptr) box = reclaimer_->Take(std::move(box), container_ended);
  absl::Status destroyed = box != nullptr ? box->Destroy() : absl::OkStatus();
  absl::MutexLock lock(&entry->mu);
  entry->deleting = false;
  if (!destroyed.ok()) {
    entry->box = std::move(box);
    return destroyed;
  }
  // The cancelled watch ends on its own thread; if it had read the exit
  // before the cancel, its "exited" is posted first.
  entry->mu.AwaitWithTimeout(absl::Condition(entry.get(), &Entry::WatchEnded), absl::Seconds(1));
  absl::MutexLock map_lock(&mu_);
  sandboxes_.erase(id);
  Publish("deleted", id, 0);
  return absl::OkStatus();
}

void SandboxManager::AwaitReclaimed() {
  if (reclaimer_ != nullptr) reclaimer_->Drain();
}

absl::StatusOr<SandboxView> SandboxManager::GetSandbox(const std::string& id) {
  ASSIGN_OR_RETURN(std::shared_ptr<Entry> entry, Find(id));
  absl::MutexLock lock(&entry->mu);
  if (entry->box == nullptr) return NotFound(id);
  return View(*entry->box);
}

absl::StatusOr<int> SandboxManager::MainPid(const std::string& id) {
  ASSIGN_OR_RETURN(std::shared_ptr<Entry> entry, Find(id));
  absl::MutexLock lock(&entry->mu);
  if (entry->box == nullptr) return NotFound(id);
  return entry->box->Record().main_pid();
}

std::vector<SandboxView> SandboxManager::ListSandboxes(
    const std::map<std::string, std::string>& selector) {
  std::vector<SandboxView> out;
  for (const std::shared_ptr<Entry>& entry : Entries()) {
    absl::MutexLock lock(&entry->mu);
    if (entry->box == nullptr) continue;
    SandboxView view = View(*entry->box);
    bool match = true;
    for (const auto& [k, v] : selector) {
      auto it = view.labels.find(k);
      match &= it != view.labels.end() && it->second == v;
    }
    if (match) out.push_back(std::move(view));
  }
  return out;
}

absl::StatusOr<SandboxManager::OnDemand> SandboxManager::FindOnDemand(const std::string& id) {
  ASSIGN_OR_RETURN(std::shared_ptr<Entry> entry, Find(id));
  return OnDemandOf(id, entry);
}

absl::StatusOr<SandboxManager::OnDemand> SandboxManager::OnDemandOf(
    const std::string& id, const std::shared_ptr<Entry>& entry) {
  OnDemand found;
  {
    absl::MutexLock lock(&entry->mu);
    if (entry->box == nullptr) return NotFound(id);
    found.stdio = entry->box->stdio_socket_path();
  }
  found.control = [entry, id]() -> absl::StatusOr<std::shared_ptr<ControlClient>> {
    absl::MutexLock lock(&entry->mu);
    if (entry->box == nullptr) return NotFound(id);
    return entry->box->control();
  };
  return found;
}

absl::StatusOr<RunResult> SandboxManager::Run(const RunRequest& request) {
  // The run goes over the stdio socket; the Control client only for a
  // sandbox of an older build.
  ASSIGN_OR_RETURN(OnDemand sandbox, FindOnDemand(request.id));
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
    absl::StatusOr<SandboxView> view = CreateSandbox(create);
    if (!view.ok()) return view.status();
    // The sandbox has its copies; ours go, so that the output ends with
    // the sandbox's.
    pump->process_ends().clear();
    absl::StatusOr<runsc::control::v1::ExitStatus> status = Wait(
        create.id, view->main_pid, std::max(deadline - absl::Now(), absl::ZeroDuration()), cancel);
    if (absl::IsDeadlineExceeded(status.status())) {
      result.timed_out = true;
      (void)Signal(create.id, view->main_pid, SIGKILL, /*all=*/true);
      status = Wait(create.id, view->main_pid, kKillWait, cancel);
    }
    if (status.ok()) result.status = *status;
    ended = status.status();
    // Whatever became of the run, the sandbox goes; if it cannot go now,
    // its TTL takes it later, and the run's result still counts.
    absl::Status deleted = DeleteSandbox(create.id, absl::ZeroDuration());
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
                                                 const std::vector<int>& stdio) {
  ASSIGN_OR_RETURN(OnDemand sandbox, FindOnDemand(id));
  return ExecOnStdioSocket(sandbox.control, sandbox.stdio, process, stdio);
}

absl::StatusOr<runsc::boot::v1::ProcessConfig> SandboxManager::ExecProcess(
    const std::string& id, const specutils::ProcessOverrides& overrides) {
  ASSIGN_OR_RETURN(std::shared_ptr<Entry> entry, Find(id));
  absl::MutexLock lock(&entry->mu);
  if (entry->box == nullptr) return NotFound(id);
  runsc::state::v1::SandboxRecord record = entry->box->Record();
  return specutils::OverrideProcess(record.container().process(), overrides);
}

absl::Status SandboxManager::Signal(const std::string& id, int pid, int signal, bool all) {
  // Over the stdio socket: no dial (a sandbox of an older build gets
  // Control.Signal).
  ASSIGN_OR_RETURN(OnDemand sandbox, FindOnDemand(id));
  return SignalOnStdioSocket(sandbox.control, sandbox.stdio, pid, signal, all);
}

absl::StatusOr<runsc::control::v1::ExitStatus> SandboxManager::Wait(const std::string& id,
                                                                    int pid,
                                                                    absl::Duration timeout,
                                                                    CallCanceller* cancel) {
  ASSIGN_OR_RETURN(std::shared_ptr<Entry> entry, Find(id));
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
  ASSIGN_OR_RETURN(OnDemand sandbox, FindOnDemand(id));
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
  return ContainerFiles::Open(entry->box->pid(), launcher,
                              specutils::WorkloadIdsOf(record.container(), record.range_base()));
}

void SandboxManager::Publish(const std::string& type, const std::string& id, int pid) {
  // Through the worker, so that events keep the order of what happened
  // (an exit is posted by its callback before the delete that follows).
  Post([this, event = MakeEvent(type, id, pid)]() mutable { events_.Publish(std::move(event)); });
}

void SandboxManager::WatchExitReports(const std::string& id, const std::shared_ptr<Entry>& entry,
                                      UniqueFd sync_fd) {
  {
    absl::MutexLock lock(&tasks_mu_);
    ++watches_;
  }
  // The callback runs on the watcher's thread (which the destructor keeps
  // until the last watch is done).
  const uint64_t watch = exit_reports_->Watch(
      std::move(sync_fd), [this, id, entry](std::optional<ExitReportWatcher::Report> report) {
        if (report.has_value()) {
          OnWatchEnd(id, entry, report->pid, report->status);
        } else {
          OnWatchEnd(id, entry, /*pid=*/0, std::nullopt);
        }
      });
  entry->cancel_watch = [watcher = exit_reports_.get(), watch] { watcher->Cancel(watch); };
}

void SandboxManager::WatchMainExit(const std::string& id, const std::shared_ptr<Entry>& entry,
                                   int pid) {
  entry->watch_done = false;
  entry->main_pid = pid;
  // The first answer is the supervisor loop's at once, unless that loop is
  // busy with a start (under the sandbox's lock here, so not for long):
  // past a second the gRPC watch, which does not block, takes over.
  if (absl::StatusOr<StartedExec> waiting =
          WaitOnStdioSocket(entry->box->stdio_socket_path(), pid, absl::Seconds(1));
      waiting.ok() && waiting->exit_conn) {
    {
      absl::MutexLock lock(&tasks_mu_);
      ++watches_;
    }
    const uint64_t watch = exit_reports_->Watch(
        std::move(waiting->exit_conn),
        [this, id, entry, pid](std::optional<ExitReportWatcher::Report> report) {
          OnWatchEnd(id, entry, pid,
                     report.has_value() ? std::make_optional(report->status) : std::nullopt);
        },
        [pid](int fd) -> std::optional<ExitReportWatcher::Report> {
          std::optional<runsc::control::v1::ExitStatus> exit = ReadExecExit(fd);
          if (!exit.has_value()) return std::nullopt;
          return ExitReportWatcher::Report{pid, *exit};
        });
    entry->cancel_watch = [watcher = exit_reports_.get(), watch] { watcher->Cancel(watch); };
    return;
  }
  auto cancel = std::make_shared<CallCanceller>();
  entry->cancel_watch = [cancel] { cancel->Cancel(); };
  {
    absl::MutexLock lock(&tasks_mu_);
    ++watches_;
  }
  // The completion runs on the worker (which the destructor keeps until
  // the last watch is done).
  entry->box->control()->WaitAsync(
      pid, cancel, [this](std::function<void()> task) { Post(std::move(task)); },
      [this, id, entry, pid](absl::StatusOr<runsc::control::v1::ExitStatus> status) {
        // Cancelled (deleted, or the daemon stops) or the sandbox is
        // gone: no exit was seen.
        OnWatchEnd(id, entry, pid, status.ok() ? std::make_optional(*status) : std::nullopt);
      });
}

void SandboxManager::OnWatchEnd(const std::string& id, const std::shared_ptr<Entry>& entry, int pid,
                                std::optional<runsc::control::v1::ExitStatus> status) {
  {
    absl::MutexLock lock(&entry->mu);
    if (status.has_value()) {
      if (entry->box != nullptr) entry->box->AnnotateOom(pid, &*status);
      entry->main_exit = status;
      // Posted under the sandbox's lock: after its "started" (posted under
      // it too, by the start that may still hold it), before its "deleted".
      SandboxEvent exited = MakeEvent("exited", id, pid);
      exited.exit = *status;
      const bool oom = status->oom_killed();
      std::function<void()> post = [this, exited = std::move(exited), oom, id, pid]() mutable {
        events_.Publish(std::move(exited));
        if (oom) events_.Publish(MakeEvent("oom", id, pid));
      };
      if (entry->starting) {
        // The start that made the process has yet to post "started" (it
        // waits for the lock): "exited" goes after it.
        entry->after_start.push_back(std::move(post));
      } else {
        Post(std::move(post));
      }
    }
    entry->watch_done = true;
  }
  absl::MutexLock lock(&tasks_mu_);
  --watches_;
}

void SandboxManager::Post(std::function<void()> task) {
  absl::MutexLock lock(&tasks_mu_);
  tasks_.push_back(std::move(task));
}

void SandboxManager::WorkLoop() {
  for (;;) {
    std::function<void()> task;
    {
      absl::MutexLock lock(&tasks_mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(tasks_mu_) {
        return stopping_ || !tasks_.empty();
      };
      tasks_mu_.Await(absl::Condition(&ready));
      if (stopping_) return;
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    task();
  }
}

void SandboxManager::ExpiryLoop() {
  // Each expired sandbox is deleted on a thread of its own (at most
  // kMaxExpiring at once, the rest at a later check): each main process gets
  // up to 1 s to stop, and sandboxes that expire together, or while another
  // one's grace period runs, must not wait for each other.
  constexpr size_t kMaxExpiring = 16;
  struct Expiring {
    std::string id;
    std::shared_ptr<std::atomic<bool>> done;
    std::thread thread;
  };
  std::vector<Expiring> running;
  for (;;) {
    {
      absl::MutexLock lock(&tasks_mu_);
      auto stop = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(tasks_mu_) { return expiry_stopping_; };
      tasks_mu_.AwaitWithTimeout(absl::Condition(&stop), options_.ttl_check_interval);
      if (expiry_stopping_) break;
    }
    for (auto it = running.begin(); it != running.end();) {
      if (!it->done->load()) {
        ++it;
        continue;
      }
      it->thread.join();
      it = running.erase(it);
    }
    for (const std::string& id : ExpiredIds()) {
      if (running.size() >= kMaxExpiring) break;
      if (std::any_of(running.begin(), running.end(),
                      [&id](const Expiring& e) { return e.id == id; })) {
        continue;
      }
      auto done = std::make_shared<std::atomic<bool>>(false);
      std::thread thread([this, id, done] {
        absl::Status status = DeleteSandbox(id, absl::Seconds(1));
        util::Log(status.ok() ? util::LogLevel::kInfo : util::LogLevel::kWarning, "manager",
                  absl::StrCat("TTL expired for sandbox ", id, ": ",
                               status.ok() ? "deleted" : status.message()));
        done->store(true);
      });
      running.push_back({id, std::move(done), std::move(thread)});
    }
  }
  for (Expiring& e : running) e.thread.join();
}

std::vector<std::string> SandboxManager::ExpiredIds() {
  std::vector<std::string> expired;
  std::vector<std::pair<std::string, std::shared_ptr<Entry>>> entries;
  {
    absl::MutexLock lock(&mu_);
    entries.assign(sandboxes_.begin(), sandboxes_.end());
  }
  const int64_t now = absl::ToUnixNanos(absl::Now());
  for (auto& [id, entry] : entries) {
    absl::MutexLock lock(&entry->mu);
    // Deleted by a CLI command on the same state root: not ours to expire.
    if (entry->box == nullptr || !entry->box->RecordOnDisk()) continue;
    runsc::state::v1::SandboxRecord record = entry->box->Record();
    if (record.expires_unix_nanos() != 0 && record.expires_unix_nanos() <= now) {
      expired.push_back(id);
    }
  }
  return expired;
}

}  // namespace runsc::sandbox
