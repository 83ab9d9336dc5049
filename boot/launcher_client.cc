#include "boot/launcher_client.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <algorithm>
#include <functional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "runsc/util/errno_status.h"
#include "runsc/util/log.h"
#include "runsc/util/packet.h"

namespace runsc::boot {

using runsc::launcher::v1::Exited;
using runsc::launcher::v1::LauncherEvent;
using runsc::launcher::v1::LauncherRequest;

namespace {

// A failed StartProcess: "stage 'exec' (ENOENT): ...", with its errno's
// code (FAILED_PRECONDITION without one).
absl::Status FailedStart(const runsc::launcher::v1::Failed& f) {
  std::string message =
      absl::StrCat("stage '", f.stage(), "'", f.err() ? " (" + util::ErrnoName(f.err()) + ")" : "",
                   ": ", f.message());
  if (f.err() != 0) return util::StatusWithErrno(f.err(), message);
  return absl::FailedPreconditionError(message);
}

// How a process ends when its launcher goes: the container's pid 1 is gone,
// and the kernel kills every process of its PID namespace.
Exited KilledWithLauncher(int pid, bool main) {
  Exited killed;
  killed.set_pid(pid);
  killed.set_main(main);
  killed.set_signaled(true);
  killed.set_signal(SIGKILL);
  return killed;
}

}  // namespace

LauncherClient::LauncherClient(util::UniqueFd sock) : sock_(std::move(sock)) {}

void LauncherClient::StartReader() {
  if (!reader_.joinable()) reader_ = std::thread([this] { ReadLoop(); });
}

LauncherClient::~LauncherClient() {
  {
    // Our own shutdown is no process's exit; the callbacks' captures may be
    // gone already.
    absl::MutexLock lock(&mu_);
    on_main_exit_ = nullptr;
    waiters_.clear();
  }
  shutdown(sock_.get(), SHUT_RDWR);
  if (reader_.joinable()) reader_.join();
}

void LauncherClient::ReadLoop() {
  while (ReadOne()) {
  }
}

void LauncherClient::ReadUntil(const std::function<bool()>& done, absl::Time deadline) {
  while (!done()) {
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) return;
    struct pollfd pfd = {sock_.get(), POLLIN, 0};
    const int timeout_ms =
        left == absl::InfiniteDuration()
            ? -1
            : static_cast<int>(absl::ToInt64Milliseconds(std::min(left, absl::Hours(1)))) + 1;
    const int ready = poll(&pfd, 1, timeout_ms);
    if (ready < 0 && errno != EINTR) return;
    if (ready > 0 && !ReadOne()) return;
  }
}

bool LauncherClient::ReadOne() {
  LauncherEvent event;
  absl::Status status = util::RecvPacket(sock_.get(), &event);
  if (absl::IsDataLoss(status)) {
    // A packet that does not parse (or came truncated) is the launcher's
    // mistake, not its end: it is dropped, and a call waiting for it times
    // out. Taking it for the launcher's end would end the sandbox.
    util::Log(util::LogLevel::kError, "supervisor",
              absl::StrCat("launcher socket: dropped a packet: ", status.message()));
    return true;
  }
  if (!status.ok()) {
    if (!absl::IsUnavailable(status)) {
      util::Log(util::LogLevel::kError, "supervisor",
                absl::StrCat("launcher socket: ", status.message()));
    }
    // Reap the launcher (our child) if it has exited.
    waitpid(-1, nullptr, WNOHANG);
    // Every process it had not reported went with it (killed by the kernel
    // with the namespace's pid 1, or by the launcher on its way out after
    // the main process): each waiter hears so, now and from here on, rather
    // than waiting for a report that will never come.
    ExitCallback on_main_exit;
    std::vector<std::pair<Exited, ExitCallback>> orphaned;
    {
      absl::MutexLock lock(&mu_);
      closed_ = true;
      on_main_exit = std::move(on_main_exit_);
      for (const auto& [pid, main] : started_) {
        if (exited_.count(pid) == 0) exited_[pid] = KilledWithLauncher(pid, main);
      }
      for (auto& [pid, callbacks] : waiters_) {
        auto known = exited_.find(pid);
        const Exited end =
            known != exited_.end() ? known->second : KilledWithLauncher(pid, /*main=*/false);
        for (auto& [id, callback] : callbacks) orphaned.emplace_back(end, std::move(callback));
      }
      waiters_.clear();
    }
    for (const auto& [end, callback] : orphaned) callback(end);
    if (on_main_exit) on_main_exit(KilledWithLauncher(main_pid().value_or(0), /*main=*/true));
    return false;
  }
  std::vector<ExitCallback> callbacks;
  Exited exited;
  std::optional<int> late_start;
  {
    absl::MutexLock lock(&mu_);
    if (!first_.has_value()) {
      first_ = std::move(event);
      return true;
    }
    if (event.has_exited()) {
      const int pid = event.exited().pid();
      exited = event.exited();
      exited_[pid] = exited;
      auto it = waiters_.find(pid);
      if (it != waiters_.end()) {
        for (auto& [id, callback] : it->second) callbacks.push_back(std::move(callback));
        waiters_.erase(it);
      }
      if (exited.main() && on_main_exit_) {
        callbacks.push_back(std::move(on_main_exit_));
        on_main_exit_ = nullptr;
      }
    } else {
      if (event.has_started()) {
        // A new process holds this pid (the launcher reported the last
        // one's exit before it could be reused): an exit recorded for an
        // earlier process of the same pid is not this one's.
        exited_.erase(event.started().pid());
      }
      auto it = replies_.find(event.request_id());
      if (it != replies_.end()) {
        it->second = std::move(event);
      } else if (event.has_started() && started_.count(event.started().pid()) == 0) {
        // Its call gave up waiting (the launcher was busy with another
        // process's slow exec) and told its caller the start failed: a
        // process nobody knows of. (A held main process released late is
        // known from its creation, and the container's main all the same.)
        late_start = event.started().pid();
      }
    }
  }
  for (const auto& callback : callbacks) callback(exited);
  if (late_start.has_value()) KillLateStart(*late_start);
  return true;
}

void LauncherClient::KillLateStart(int pid) {
  util::Log(util::LogLevel::kWarning, "supervisor",
            absl::StrCat("the launcher started pid ", pid,
                         " after its caller had been told the start failed; killing it"));
  LauncherRequest kill;
  {
    absl::MutexLock lock(&mu_);
    kill.set_id(next_id_++);  // no entry in replies_: its answer is dropped
  }
  kill.mutable_signal()->set_pid(pid);
  kill.mutable_signal()->set_signal(SIGKILL);
  absl::MutexLock lock(&send_mu_);
  absl::Status sent = util::SendPacket(sock_.get(), kill);
  if (!sent.ok()) {
    util::Log(util::LogLevel::kError, "supervisor",
              absl::StrCat("kill late-started pid ", pid, ": ", sent.message()));
  }
}

void LauncherClient::AwaitUntil(const std::function<bool()>& done, absl::Time deadline) {
  if (!reader_.joinable()) {
    ReadUntil(
        [&] {
          absl::MutexLock lock(&mu_);
          return done();
        },
        deadline);
  }
  absl::MutexLock lock(&mu_);
  mu_.AwaitWithDeadline(absl::Condition(&done), deadline);
}

absl::Status LauncherClient::AwaitReady(absl::Duration timeout) {
  AwaitUntil([this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return closed_ || first_.has_value(); },
             absl::Now() + timeout);
  absl::MutexLock lock(&mu_);
  if (!first_.has_value()) {
    return closed_ ? absl::UnavailableError(
                         "waiting for the launcher: it exited before it was ready")
                   : absl::DeadlineExceededError("waiting for the launcher: no answer in time");
  }
  if (first_->has_failed()) {
    const auto& f = first_->failed();
    std::string message = absl::StrCat("container ", f.stage(), ": ", f.message());
    if (f.err() != 0) return util::StatusWithErrno(f.err(), message);
    return absl::InternalError(message);
  }
  if (!first_->has_ready()) return absl::InternalError("unexpected first launcher message");
  return absl::OkStatus();
}

absl::StatusOr<LauncherEvent> LauncherClient::Call(LauncherRequest request,
                                                   const std::vector<int>& fds,
                                                   absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  uint64_t id;
  {
    absl::MutexLock lock(&mu_);
    if (closed_) return absl::UnavailableError("the container's launcher has exited");
    id = next_id_++;
    replies_[id] = std::nullopt;
  }
  request.set_id(id);
  {
    absl::MutexLock lock(&send_mu_);
    absl::Status status = util::SendPacket(sock_.get(), request, fds);
    if (!status.ok()) {
      absl::MutexLock l(&mu_);
      replies_.erase(id);
      return util::Annotate(status, "send to launcher");
    }
  }
  AwaitUntil([this, id]()
                 ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return closed_ || replies_[id].has_value(); },
             deadline);
  absl::MutexLock lock(&mu_);
  std::optional<LauncherEvent> reply = std::move(replies_[id]);
  replies_.erase(id);
  if (!reply.has_value()) {
    return closed_ ? absl::UnavailableError("the container's launcher has exited")
                   : absl::DeadlineExceededError("the launcher did not answer in time");
  }
  if (reply->has_failed()) return FailedStart(reply->failed());
  return *reply;
}

runsc::launcher::v1::Ready LauncherClient::ready() {
  absl::MutexLock lock(&mu_);
  return first_.has_value() ? first_->ready() : runsc::launcher::v1::Ready();
}

absl::StatusOr<int> LauncherClient::MainStartedAtReady() {
  int pid;
  {
    absl::MutexLock lock(&mu_);
    if (!first_.has_value() || !first_->has_ready()) {
      return absl::FailedPreconditionError("the launcher is not ready");
    }
    const runsc::launcher::v1::Ready& ready = first_->ready();
    if (ready.has_main_failed()) return FailedStart(ready.main_failed());
    pid = ready.main_pid();
  }
  if (pid <= 0) return absl::InternalError("the launcher reported no main process with its ready");
  NoteStarted(pid, /*main=*/true);
  return pid;
}

uint64_t LauncherClient::OnExit(int pid, ExitCallback callback) {
  std::optional<Exited> done;
  {
    absl::MutexLock lock(&mu_);
    auto it = exited_.find(pid);
    if (it != exited_.end()) {
      done = it->second;
    } else if (closed_) {
      done = KilledWithLauncher(pid, /*main=*/false);  // no report can come now
    } else {
      const uint64_t id = next_wait_id_++;
      waiters_[pid].emplace_back(id, std::move(callback));
      return id;
    }
  }
  callback(*done);
  return 0;
}

void LauncherClient::ForgetExitWait(int pid, uint64_t id) {
  absl::MutexLock lock(&mu_);
  auto it = waiters_.find(pid);
  if (it == waiters_.end()) return;  // answered, or never there
  auto& list = it->second;
  list.erase(std::remove_if(list.begin(), list.end(),
                            [id](const auto& waiter) { return waiter.first == id; }),
             list.end());
  if (list.empty()) waiters_.erase(it);
}

void LauncherClient::OnMainExit(ExitCallback callback) {
  absl::MutexLock lock(&mu_);
  on_main_exit_ = std::move(callback);
}

void LauncherClient::NoteStarted(int pid, bool main) {
  absl::MutexLock lock(&mu_);
  started_[pid] = main;
  if (main) main_pid_ = pid;
}

std::optional<int> LauncherClient::main_pid() const {
  absl::MutexLock lock(&mu_);
  return main_pid_;
}

bool LauncherClient::IsRunning(int pid) const {
  absl::MutexLock lock(&mu_);
  return started_.count(pid) != 0 && exited_.count(pid) == 0 && !closed_;
}

bool LauncherClient::Known(int pid) const {
  absl::MutexLock lock(&mu_);
  return started_.count(pid) != 0;
}

}  // namespace runsc::boot
