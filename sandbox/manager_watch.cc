// SandboxManager's watches of its sandboxes (exit reports, main
// processes' exits), its events' worker, and the expiry of sandboxes whose
// TTL has passed.
#include <errno.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "runsc/util/file_util.h"
#include "runsc/util/log.h"
#include "runsc/util/thread.h"
#include "runsc/util/unique_fd.h"
#include "sandbox/manager.h"

namespace runsc::sandbox {

using util::UniqueFd;

namespace {

SandboxEvent MakeEvent(const std::string& type, const std::string& id, int pid, uint64_t serial) {
  SandboxEvent event;
  event.type = type;
  event.id = id;
  event.time = absl::Now();
  event.pid = pid;
  event.serial = serial;
  return event;
}

}  // namespace

uint64_t SandboxManager::NextSerial() {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

void SandboxManager::Publish(const std::string& type, const std::string& id, int pid,
                             uint64_t serial) {
  // Through the worker, so that events keep the order of what happened
  // (an exit is posted by its callback before the delete that follows).
  Post([this, event = MakeEvent(type, id, pid, serial)]() mutable {
    events_.Publish(std::move(event));
  });
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
      SandboxEvent exited = MakeEvent("exited", id, pid, entry->serial);
      exited.exit = *status;
      const bool oom = status->oom_killed();
      std::function<void()> post = [this, exited = std::move(exited), oom, id, pid,
                                    serial = entry->serial]() mutable {
        events_.Publish(std::move(exited));
        if (oom) events_.Publish(MakeEvent("oom", id, pid, serial));
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
    RetryUnattached();
    // A start whose record could not be saved (a full state root) is
    // saved once it can be, so that a restart finds it started.
    for (const std::shared_ptr<Entry>& entry : Entries()) {
      absl::MutexLock lock(&entry->mu);
      if (entry->box == nullptr) continue;
      if (absl::Status saved = entry->box->SaveIfUnsaved();
          !saved.ok() && !absl::IsResourceExhausted(saved)) {
        util::Log(util::LogLevel::kWarning, "manager", std::string(saved.message()));
      }
    }
    for (auto& [id, entry] : Expired()) {
      if (running.size() >= kMaxExpiring) break;
      if (std::any_of(running.begin(), running.end(),
                      [&id = id](const Expiring& e) { return e.id == id; })) {
        continue;
      }
      auto done = std::make_shared<std::atomic<bool>>(false);
      absl::StatusOr<std::thread> thread = util::StartThread("a TTL's delete", [this, id = id,
                                                                                entry = entry,
                                                                                done] {
        absl::Status status = DeleteEntry(id, entry, absl::Seconds(1), nullptr);
        util::Log(status.ok() ? util::LogLevel::kInfo : util::LogLevel::kWarning, "manager",
                  absl::StrCat("TTL expired for sandbox ", id, ": ",
                               status.ok() ? "deleted" : status.message()));
        done->store(true);
      });
      if (!thread.ok()) {  // the next round tries again
        util::Log(util::LogLevel::kWarning, "manager",
                  absl::StrCat("sandbox ", id, "'s TTL expired: ", thread.status().message()));
        break;
      }
      running.push_back({id, std::move(done), *std::move(thread)});
    }
  }
  for (Expiring& e : running) e.thread.join();
}

std::vector<std::pair<std::string, std::shared_ptr<SandboxManager::Entry>>>
SandboxManager::Expired() {
  std::vector<std::pair<std::string, std::shared_ptr<Entry>>> expired;
  std::vector<std::pair<std::string, std::shared_ptr<Entry>>> entries;
  {
    absl::MutexLock lock(&mu_);
    entries.assign(sandboxes_.begin(), sandboxes_.end());
  }
  const int64_t now = absl::ToUnixNanos(absl::Now());
  for (auto& [id, entry] : entries) {
    absl::MutexLock lock(&entry->mu);
    // Deleted by a CLI command on the same state root, and its id another
    // sandbox's since: not ours to expire. Deleted with nothing in its
    // place, it still expires: the delete lets go of what the daemon holds
    // for it (its slot, its pidfd, its dead process to reap), and leaves
    // what is at its paths alone (Sandbox::Destroy).
    if (entry->box == nullptr || entry->box->PathsTakenByAnother()) continue;
    runsc::state::v1::SandboxRecord record = entry->box->Record();
    if (record.expires_unix_nanos() != 0 && record.expires_unix_nanos() <= now) {
      expired.emplace_back(id, entry);
    }
  }
  return expired;
}

}  // namespace runsc::sandbox
