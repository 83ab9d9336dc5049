#include "sandbox/exit_report_watcher.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "runsc/util/errno_status.h"
#include "runsc/util/event_flag.h"
#include "runsc/util/log.h"
#include "runsc/util/status_macros.h"
#include "runsc/util/sync_message.h"
#include "runsc/util/thread.h"

namespace runsc::sandbox {

using util::ErrnoError;
using util::UniqueFd;

namespace {
constexpr uint64_t kWakeId = 0;
}  // namespace

absl::StatusOr<std::unique_ptr<ExitReportWatcher>> ExitReportWatcher::Create() {
  UniqueFd epoll(epoll_create1(EPOLL_CLOEXEC));
  if (!epoll) return ErrnoError(errno, "epoll_create1 for exit reports");
  UniqueFd wake = util::NewEventFlag();
  if (!wake) return ErrnoError(errno, "eventfd for exit reports");
  struct epoll_event event = {};
  event.events = EPOLLIN;
  event.data.u64 = kWakeId;
  if (epoll_ctl(epoll.get(), EPOLL_CTL_ADD, wake.get(), &event) != 0) {
    return ErrnoError(errno, "epoll_ctl(ADD) of the exit reports' wake flag");
  }
  std::unique_ptr<ExitReportWatcher> watcher(
      new ExitReportWatcher(std::move(epoll), std::move(wake)));
  ASSIGN_OR_RETURN(watcher->thread_, util::StartThread("the exit reports' watch",
                                                       [w = watcher.get()] { w->Loop(); }));
  return watcher;
}

ExitReportWatcher::ExitReportWatcher(UniqueFd epoll, UniqueFd wake)
    : epoll_(std::move(epoll)), wake_(std::move(wake)) {}

ExitReportWatcher::~ExitReportWatcher() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  util::RaiseEventFlag(wake_.get());
  if (thread_.joinable()) thread_.join();
  std::vector<Entry> left;
  {
    absl::MutexLock lock(&mu_);
    for (auto& [id, entry] : watches_) left.push_back(std::move(entry));
    watches_.clear();
    for (Entry& entry : cancelled_) left.push_back(std::move(entry));
    cancelled_.clear();
  }
  for (Entry& entry : left) entry.done(std::nullopt);
}

uint64_t ExitReportWatcher::Watch(UniqueFd sync_fd, Done done, Reader reader) {
  absl::MutexLock lock(&mu_);
  const uint64_t id = next_id_++;
  struct epoll_event event = {};
  event.events = EPOLLIN;
  event.data.u64 = id;
  if (epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, sync_fd.get(), &event) != 0) {
    // Only a bad fd or no memory: the watch ends at once, without a report.
    util::Log(util::LogLevel::kWarning, "exit-reports",
              absl::StrCat("cannot watch sync fd ", sync_fd.get(), ": ", strerror(errno)));
    cancelled_.push_back({std::move(sync_fd), std::move(done), std::move(reader)});
    util::RaiseEventFlag(wake_.get());
    return id;
  }
  watches_.emplace(id, Entry{std::move(sync_fd), std::move(done), std::move(reader)});
  return id;
}

void ExitReportWatcher::Cancel(uint64_t id) {
  absl::MutexLock lock(&mu_);
  auto it = watches_.find(id);
  if (it == watches_.end()) return;
  // Closing the fd would drop it from the epoll set too, but only once no
  // other reference to its file is left.
  (void)epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, it->second.fd.get(), nullptr);
  cancelled_.push_back(std::move(it->second));
  watches_.erase(it);
  util::RaiseEventFlag(wake_.get());
}

std::optional<ExitReportWatcher::Report> ExitReportWatcher::ReadReport(int fd) {
  absl::StatusOr<util::SyncMessage> message = util::ReadSyncMessage(fd, absl::ZeroDuration());
  if (!message.ok()) {
    // EOF is the sandbox's end; anything else is worth a line.
    if (!absl::IsUnavailable(message.status())) {
      util::Log(util::LogLevel::kWarning, "exit-reports",
                absl::StrCat("sync socket: ", message.status().message()));
    }
    return std::nullopt;
  }
  if (message->type != util::SyncType::kExited) {
    util::Log(util::LogLevel::kWarning, "exit-reports",
              absl::StrCat("sync socket: unexpected message type ",
                           static_cast<uint32_t>(message->type), " after ready"));
    return std::nullopt;
  }
  Report report;
  report.pid = message->pid;
  const int status = message->wait_status;
  if (WIFSIGNALED(status)) {
    report.status.set_signaled(true);
    report.status.set_signal(WTERMSIG(status));
  } else {
    report.status.set_code(WEXITSTATUS(status));
  }
  return report;
}

void ExitReportWatcher::Loop() {
  struct epoll_event events[64];
  for (;;) {
    const int n = epoll_wait(epoll_.get(), events, 64, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      // Not expected (only a bad fd or buffer). No report can be read any
      // more, but cancelled watches still end and a stop is still heard,
      // so that no caller waits for them forever.
      util::Log(util::LogLevel::kError, "exit-reports",
                absl::StrCat("epoll_wait: ", strerror(errno)));
      std::vector<Entry> ended;
      {
        absl::MutexLock lock(&mu_);
        if (stopping_) return;
        ended.swap(cancelled_);
      }
      for (Entry& entry : ended) entry.done(std::nullopt);
      absl::SleepFor(absl::Milliseconds(100));
      continue;
    }
    for (int i = 0; i < n; ++i) {
      const uint64_t id = events[i].data.u64;
      std::vector<Entry> ended;
      std::optional<Report> report;
      if (id == kWakeId) {
        uint64_t count;
        ssize_t ignored = read(wake_.get(), &count, sizeof(count));  // lowers the flag
        (void)ignored;
        absl::MutexLock lock(&mu_);
        if (stopping_) return;
        ended.swap(cancelled_);
      } else {
        absl::MutexLock lock(&mu_);
        auto it = watches_.find(id);
        // Cancelled since epoll_wait returned.
        if (it == watches_.end()) continue;
        const int fd = it->second.fd.get();
        report = it->second.reader ? it->second.reader(fd) : ReadReport(fd);
        (void)epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, it->second.fd.get(), nullptr);
        ended.push_back(std::move(it->second));
        watches_.erase(it);
      }
      for (Entry& entry : ended) {
        entry.fd.reset();
        entry.done(report);
      }
    }
  }
}

}  // namespace runsc::sandbox
