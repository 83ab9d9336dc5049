// SandboxManager: its table of sandboxes, their creation, start and
// delete, and the re-attach at a daemon's start. The calls into a live
// sandbox are in manager_run.cc, the watches and timers in
// manager_watch.cc.
#include "sandbox/manager.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <thread>
#include <utility>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "runsc/util/errno_status.h"
#include "runsc/util/file_util.h"
#include "runsc/util/log.h"
#include "runsc/util/status_macros.h"
#include "runsc/util/stdio_socket.h"
#include "runsc/util/thread.h"
#include "runsc/util/unique_fd.h"
#include "sandbox/bundle.h"
#include "sandbox/control_client.h"
#include "sandbox/host_template.h"
#include "sandbox/manager_internal.h"
#include "sandbox/state_store.h"
#include "specutils/oci_spec.h"
#include "specutils/sandbox_id.h"

namespace runsc::sandbox {

using internal::CheckNotSuperseded;
using internal::NotFound;
using util::UniqueFd;

namespace {

// The API's callers (root, and members of the daemon's --group) get
// sandboxes, never host identities, cgroups, namespaces or devices: what only a
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
  if (!c.unlisted_namespaces().empty()) {
    return refuse("linux.namespaces",
                  absl::StrCat("no ", c.unlisted_namespaces(0),
                               " namespace listed, which means the runtime's own"));
  }
  if (!c.cgroups_path().empty()) return refuse("linux.cgroupsPath", "a cgroup of the caller's choosing");
  if (!c.devices().empty()) return refuse("linux.devices", "a device node");
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<UniqueFd> LockStateRoot(const std::string& state_root) {
  RETURN_IF_ERROR(util::MakeDirs(state_root, 0711));
  UniqueFd fd(open(state_root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return util::ErrnoError(errno, absl::StrCat("open '", state_root, "'"));
  if (flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return absl::FailedPreconditionError(absl::StrCat(
          "another daemon serves state root '", state_root, "' (it holds the directory's lock)"));
    }
    return util::ErrnoError(errno, absl::StrCat("lock '", state_root, "'"));
  }
  return fd;
}

absl::StatusOr<std::unique_ptr<SandboxManager>> SandboxManager::Create(
    const ManagerOptions& options) {
  UniqueFd root_lock;
  if (!options.root_locked) {
    ASSIGN_OR_RETURN(root_lock, LockStateRoot(options.state_root));
  }
  std::unique_ptr<SandboxManager> manager(new SandboxManager(options));
  manager->root_lock_ = std::move(root_lock);
  ASSIGN_OR_RETURN(manager->exit_reports_, ExitReportWatcher::Create());
  // Warm sandboxes die with the daemon that made them; what they left goes
  // before the pool makes new ones.
  Sandbox::ReclaimAside(manager->options_.state_root);
  // Before the recovery, whose exit watches post their ends to it: with no
  // worker (no thread to be had), the destructor would wait for them for
  // good.
  ASSIGN_OR_RETURN(manager->worker_, util::StartThread("the manager's worker",
                                                       [m = manager.get()] { m->WorkLoop(); }));
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
  ASSIGN_OR_RETURN(manager->expirer_,
                   util::StartThread("the TTLs' watch", [m = manager.get()] { m->ExpiryLoop(); }));
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
    if (!RecoverOne(id, /*again=*/false)) {
      absl::MutexLock lock(&mu_);
      unattached_.insert(id);
    }
  }
  return absl::OkStatus();
}

void SandboxManager::RetryUnattached() {
  std::set<std::string> ids;
  {
    absl::MutexLock lock(&mu_);
    ids = unattached_;
  }
  for (const std::string& id : ids) {
    if (!RecoverOne(id, /*again=*/true)) continue;
    absl::MutexLock lock(&mu_);
    unattached_.erase(id);
  }
}

bool SandboxManager::RecoverOne(const std::string& id, bool again) {
  // While the daemon serves, the id may be its own again (its directory
  // removed, then a create of the id): that sandbox is the create's. Asked
  // again once attached: a create registers its id before anything of it is
  // at the id's path, and none can put anything there while something is.
  auto daemons_own = [this, &id] {
    absl::MutexLock lock(&mu_);
    return sandboxes_.count(id) != 0 || creating_ids_.count(id) != 0;
  };
  if (again && daemons_own()) return true;
  {
    absl::StatusOr<std::unique_ptr<Sandbox>> box = Sandbox::Attach(options_.state_root, id);
    if (again && absl::IsNotFound(box.status())) {
      // Deleted meanwhile (by the runtime CLI): nothing is left to attach.
      util::Log(util::LogLevel::kInfo, "manager", absl::StrCat("sandbox ", id, " is gone"));
    } else if (again && box.ok() && daemons_own()) {
      (*box)->Detach();
    } else if (box.ok() && (*box)->Record().id() != id) {
      // A warm sandbox whose assignment a daemon's death cut short: renamed
      // to its id and sent its container, but its record is still the warm
      // one (no container, labels, TTL or main process). It was never
      // answered for; it goes, as a warm sandbox does at a restart.
      absl::Status destroyed = (*box)->Destroy();
      util::Log(destroyed.ok() ? util::LogLevel::kInfo : util::LogLevel::kWarning, "manager",
                absl::StrCat("sandbox ", id, ", assigned when the last daemon ended: ",
                             destroyed.ok() ? "removed" : destroyed.message()));
    } else if (box.ok() && (*box)->Record().exits_with_main()) {
      // A container of the runtime CLI's (podman's and containerd's share
      // this root by default): theirs to stop and delete, not this
      // daemon's (a delete-on-exit, say), as one the CLI creates while the
      // daemon runs never becomes the daemon's either.
      (*box)->Detach();
      util::Log(util::LogLevel::kInfo, "manager",
                absl::StrCat("sandbox ", id, ": left to the runtime CLI"));
    } else if (box.ok()) {
      auto entry = std::make_shared<Entry>();
      absl::MutexLock entry_lock(&entry->mu);
      entry->box = std::move(*box);
      {
        // A retry may find the id the daemon's own again (its directory
        // removed, and a create of the id since): that entry stays.
        absl::MutexLock lock(&mu_);
        if (creating_ids_.count(id) != 0 || !sandboxes_.emplace(id, entry).second) {
          entry->box->Detach();
          entry->box = nullptr;
          return true;
        }
      }
      // A main process that still runs (or is paused) is watched again;
      // one that ended while no daemon ran was never seen to exit, and is
      // not reported.
      runsc::state::v1::SandboxRecord record = entry->box->Record();
      const std::string status = entry->box->ContainerStatus(record);
      if (record.main_pid() != 0 && (status == "running" || status == "paused")) {
        WatchMainExit(id, entry, record.main_pid());
      } else if (record.main_pid() != 0) {
        // Ended: a signal to it is told so, not that it never started.
        entry->main_pid = record.main_pid();
      }
      util::Log(util::LogLevel::kInfo, "manager", absl::StrCat("re-attached sandbox ", id));
    } else if (absl::IsFailedPrecondition(box.status())) {
      absl::Status reclaimed = ReclaimDead(id);
      util::Log(reclaimed.ok() || absl::IsFailedPrecondition(reclaimed) ? util::LogLevel::kInfo
                                                                        : util::LogLevel::kWarning,
                "manager",
                absl::StrCat("dead sandbox ", id, ": ",
                             reclaimed.ok() ? "reclaimed" : reclaimed.message()));
    } else {
      // Not known to be gone (an fd or memory short, a record being
      // rewritten): it may still run, so it is tried again at each TTL
      // check rather than lost until the next daemon. Said once.
      if (!again) {
        util::Log(util::LogLevel::kWarning, "manager",
                  absl::StrCat("sandbox ", id, " not re-attached yet (tried again every ",
                               absl::FormatDuration(options_.ttl_check_interval),
                               "): ", box.status().message()));
      }
      return false;
    }
  }
  return true;
}

absl::Status SandboxManager::ReclaimDead(const std::string& id) {
  const std::string dir = absl::StrCat(options_.state_root, "/", id);
  // A CLI create in progress holds it (its record says pid 0 until it is
  // done), as does a CLI delete: theirs to finish.
  absl::StatusOr<UniqueFd> lock = LockStateDir(dir);
  if (absl::IsUnavailable(lock.status())) {
    return absl::FailedPreconditionError("left to the create or delete that holds its lock");
  }
  RETURN_IF_ERROR(lock.status());
  // A stopped container of the runtime CLI's (podman's and containerd's
  // share this root by default): its state and exit status stay until its
  // `runsc delete`, as runc's do.
  absl::StatusOr<runsc::state::v1::SandboxRecord> record = LoadRecord(dir);
  if (record.ok() && record->exits_with_main()) {
    return absl::FailedPreconditionError(
        "a stopped container of the runtime CLI, left to its `runsc delete`");
  }
  return Sandbox::Reclaim(options_.state_root, id);
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
  return CreateEntry(request, nullptr);
}

absl::StatusOr<SandboxView> SandboxManager::CreateEntry(const CreateRequest& request,
                                                        std::shared_ptr<Entry>* made) {
  std::string id = request.id.empty() ? specutils::GenerateSandboxId() : request.id;
  RETURN_IF_ERROR(specutils::ValidateSandboxId(id));
  {
    absl::MutexLock lock(&mu_);
    if (sandboxes_.count(id) != 0) {
      return absl::AlreadyExistsError(absl::StrCat("sandbox '", id, "' already exists"));
    }
    if (sandboxes_.size() + creating_ids_.size() >= static_cast<size_t>(options_.max_sandboxes)) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "sandboxes: ", sandboxes_.size(), " live, the limit is ", options_.max_sandboxes));
    }
    creating_ids_.insert(id);
  }
  absl::Cleanup done = [this, id] {
    absl::MutexLock lock(&mu_);
    creating_ids_.erase(creating_ids_.find(id));
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
    // Ids may hold '+', which a hostname may not: it becomes '-'.
    tmpl.hostname = id.substr(0, 63);
    std::replace(tmpl.hostname.begin(), tmpl.hostname.end(), '+', '-');
    ASSIGN_OR_RETURN(options.container, HostTemplate(tmpl));
  } else {
    ASSIGN_OR_RETURN(options.container, LoadBundle(request.bundle));
    RETURN_IF_ERROR(CheckApiBundle(*options.container));
  }
  // The request's limits over the bundle's: each one it sets, the others
  // stay (a memory limit alone used to drop the bundle's pids limit).
  if (request.resources.has_value()) {
    runsc::boot::v1::ResourceConfig& merged = *options.container->mutable_resources();
    merged.MergeFrom(*request.resources);
    // The pair may be the request's and the bundle's: checked as one.
    if (merged.has_memory_swap() && merged.memory_swap() > 0 &&
        (!merged.has_memory_max() || merged.memory_max() < 0 ||
         merged.memory_swap() < merged.memory_max())) {
      return absl::InvalidArgumentError(
          absl::StrCat("resources.memory_swap_bytes: memory+swap ", merged.memory_swap(),
                       merged.has_memory_max() && merged.memory_max() > 0
                           ? absl::StrCat(" is below the memory limit ", merged.memory_max())
                           : std::string(" needs a memory limit"),
                       " (the request's over the bundle's)"));
    }
  }
  options.start_main = request.start;
  if (request.start) options.main_fds = request.main_stdio;
  options.console_log_limit = options_.console_log_limit;
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
    unattached_.erase(id);  // its directory was gone, or this create failed
    Publish("created", id, view.pid, entry->serial);
    if (request.start) Publish("started", id, main_pid, entry->serial);
  }
  // After "started": the report's "exited" may come at once. A delete that
  // comes first leaves it nothing to watch.
  absl::MutexLock lock(&entry->mu);
  if (entry->box != nullptr) WatchExitReports(id, entry, std::move(reports));
  if (made != nullptr) *made = entry;
  view.serial = entry->serial;
  return view;
}

absl::Status SandboxManager::DeleteCreated(const SandboxView& created) {
  ASSIGN_OR_RETURN(std::shared_ptr<Entry> entry, Find(created.id));
  if (entry->serial != created.serial) return NotFound(created.id);
  return DeleteEntry(created.id, std::move(entry), absl::ZeroDuration(), nullptr);
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
    // Being deleted: its "deleted" must be its last event. It is still
    // there (Get shows it) until the delete is done.
    if (entry->box == nullptr) return NotFound(id);
    if (entry->deleting) {
      return absl::FailedPreconditionError(absl::StrCat("sandbox '", id, "' is being deleted"));
    }
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
                             {console.in.get(), console.out.get(), console.out.get()},
                             /*hold=*/false, absl::Seconds(30), options_.console_log_limit);
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
  if (absl::Status saved = box.SaveRecord(record); !saved.ok()) {
    // The process runs whatever the disk says (a full state root): it is
    // this sandbox's main process for the calls, the events and the exit
    // watch, and the record on disk catches up with the next save.
    box.KeepUnsavedRecord(record);
    util::Log(
        util::LogLevel::kWarning, "manager",
        absl::StrCat("sandbox '", id, "' started, but its record is not saved: ", saved.message()));
  }
  Publish("started", id, record.main_pid(), entry->serial);
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

absl::Status SandboxManager::DeleteSandbox(const std::string& id, absl::Duration grace,
                                           CallCanceller* cancel) {
  ASSIGN_OR_RETURN(std::shared_ptr<Entry> entry, Find(id));
  return DeleteEntry(id, std::move(entry), grace, cancel);
}

absl::Status SandboxManager::DeleteEntry(const std::string& id, std::shared_ptr<Entry> entry,
                                         absl::Duration grace, CallCanceller* cancel) {
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
    ended = Wait(id, main_pid, grace, cancel).ok();
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
  // A create of the id may have taken it once the state directory went:
  // that sandbox's entry stays.
  if (auto it = sandboxes_.find(id); it != sandboxes_.end() && it->second == entry) {
    sandboxes_.erase(it);
  }
  Publish("deleted", id, 0, entry->serial);
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

absl::StatusOr<uint64_t> SandboxManager::Serial(const std::string& id) {
  ASSIGN_OR_RETURN(std::shared_ptr<Entry> entry, Find(id));
  return entry->serial;
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

absl::StatusOr<SandboxManager::OnDemand> SandboxManager::FindRunnable(const std::string& id) {
  ASSIGN_OR_RETURN(std::shared_ptr<Entry> entry, Find(id));
  {
    absl::MutexLock lock(&entry->mu);
    if (entry->box != nullptr && entry->box->Paused()) {
      return absl::FailedPreconditionError(
          absl::StrCat("sandbox '", id, "' is paused: resume it to run a process in it"));
    }
  }
  return OnDemandOf(id, entry);
}

absl::StatusOr<SandboxManager::OnDemand> SandboxManager::OnDemandOf(
    const std::string& id, const std::shared_ptr<Entry>& entry) {
  OnDemand found;
  {
    absl::MutexLock lock(&entry->mu);
    if (entry->box == nullptr) return NotFound(id);
    RETURN_IF_ERROR(CheckNotSuperseded(id, *entry->box));
    found.stdio = entry->box->stdio_socket_path();
  }
  found.control = [entry, id]() -> absl::StatusOr<std::shared_ptr<ControlClient>> {
    absl::MutexLock lock(&entry->mu);
    if (entry->box == nullptr) return NotFound(id);
    return entry->box->control();
  };
  return found;
}

}  // namespace runsc::sandbox
