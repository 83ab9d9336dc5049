#include "runsc/exec_reactor.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmath>
#include <utility>

#include "absl/time/clock.h"

#include "absl/strings/str_cat.h"
#include "google/protobuf/wrappers.pb.h"
#include "runsc/util/errno_status.h"
#include "runsc/util/grpc_status.h"
#include "runsc/util/packet.h"
#include "specutils/process_override.h"

namespace runsc::cli {

namespace api = runsc::api::v1;
using util::UniqueFd;

ExecReactor::ExecReactor(sandbox::SandboxManager* manager, grpc::CallbackServerContext* context)
    : manager_(manager), context_(context) {
  StartRead(&request_);
}

bool ExecReactor::TakeFinish() {
  if (finished_) return false;
  finished_ = true;
  return true;
}

void ExecReactor::FinishUnlocked(const grpc::Status& status) {
  bool finish;
  {
    absl::MutexLock lock(&mu_);
    finish = TakeFinish();
  }
  if (finish) Finish(status);
}

absl::Status ExecReactor::Start(const api::ExecStart& start) {
  if (start.id().empty()) return absl::InvalidArgumentError("start.id: must be set");
  if (!std::isfinite(start.timeout_seconds()) || start.timeout_seconds() < 0) {
    return absl::InvalidArgumentError("start.timeout_seconds: must be a non-negative number");
  }
  specutils::ProcessOverrides overrides;
  const auto& p = start.process();
  overrides.args.assign(p.args().begin(), p.args().end());
  overrides.env.assign(p.env().begin(), p.env().end());
  overrides.cwd = p.cwd();
  if (p.has_uid()) overrides.uid = p.uid();
  if (p.has_gid()) overrides.gid = p.gid();
  overrides.additional_gids.assign(p.additional_gids().begin(), p.additional_gids().end());
  overrides.terminal = start.tty();
  absl::StatusOr<runsc::boot::v1::ProcessConfig> process =
      manager_->ExecProcess(start.id(), overrides);
  if (!process.ok()) return process.status();
  if (start.tty() && start.has_size()) {
    process->set_console_height(start.size().rows());
    process->set_console_width(start.size().cols());
  }
  tty_ = start.tty();
  std::vector<UniqueFd> theirs;
  UniqueFd console;
  if (tty_) {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
      return util::ErrnoError(errno, "socketpair for the console");
    }
    console.reset(sv[0]);
    theirs.emplace_back(sv[1]);
  } else {
    int in[2], out[2], err[2];
    if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC)) {
      return util::ErrnoError(errno, "pipe2 for Exec");
    }
    theirs.emplace_back(in[0]);
    theirs.emplace_back(out[1]);
    theirs.emplace_back(err[1]);
    absl::MutexLock lock(&stdin_mu_);
    stdin_.reset(in[1]);
    outputs_.emplace_back(out[0]);
    outputs_.emplace_back(err[0]);
  }
  std::vector<int> raw;
  for (const auto& fd : theirs) raw.push_back(fd.get());
  absl::StatusOr<int> pid = manager_->Exec(start.id(), *process, raw);
  theirs.clear();
  if (!pid.ok()) return pid.status();
  id_ = start.id();
  pid_ = *pid;
  if (tty_) {
    google::protobuf::StringValue name;
    std::vector<UniqueFd> master;
    absl::Status got = util::RecvPacket(console.get(), &name, &master);
    if (!got.ok() || master.size() != 1) {
      (void)manager_->Signal(id_, pid_, SIGKILL, false);
      return absl::InternalError("the sandbox sent no pty master");
    }
    master_.reset(fcntl(master[0].get(), F_DUPFD_CLOEXEC, 0));
    outputs_.push_back(std::move(master[0]));
    absl::MutexLock lock(&stdin_mu_);
    stdin_.reset(fcntl(master_.get(), F_DUPFD_CLOEXEC, 0));
  }
  api::ExecResponse started;
  started.set_pid(pid_);
  bool write;
  {
    absl::MutexLock lock(&mu_);
    queue_.push_back(std::move(started));
    write = PrepareWrite();
  }
  if (write) StartWrite(&writing_msg_);
  absl::Duration timeout = absl::InfiniteDuration();
  if (start.timeout_seconds() > 0) timeout = absl::Seconds(start.timeout_seconds());
  if (context_->deadline() != std::chrono::system_clock::time_point::max()) {
    timeout = std::min(timeout,
                       absl::FromChrono(context_->deadline() - std::chrono::system_clock::now()));
  }
  driver_ = std::thread([this, timeout] { Drive(timeout); });
  return absl::OkStatus();
}

void ExecReactor::CloseStdin() {
  absl::MutexLock lock(&stdin_mu_);
  if (!stdin_) return;
  if (tty_) {
    // A terminal has no half-close: send its end-of-file character instead.
    ssize_t ignored = write(stdin_.get(), "\x04", 1);
    (void)ignored;
  }
  stdin_.reset();
}

void ExecReactor::OnReadDone(bool ok) {
  if (!ok) {
    // The client half-closed (or went away): no more stdin.
    if (started_) {
      CloseStdin();
    } else {
      FinishUnlocked(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                  "start: the first message must start the process"));
    }
    return;
  }
  if (!started_) {
    if (!request_.has_start()) {
      FinishUnlocked(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                  "start: the first message must start the process"));
      return;
    }
    started_ = true;
    absl::Status status = Start(request_.start());
    if (!status.ok()) {
      FinishUnlocked(util::ToGrpcStatus(status));
      return;
    }
  } else {
    switch (request_.kind_case()) {
      case api::ExecRequest::kStdin: {
        absl::MutexLock lock(&stdin_mu_);
        const std::string& data = request_.stdin();
        size_t done = 0;
        while (stdin_ && done < data.size()) {
          ssize_t n = write(stdin_.get(), data.data() + done, data.size() - done);
          if (n < 0 && errno == EINTR) continue;
          if (n <= 0) {
            stdin_.reset();  // the process closed its stdin
            break;
          }
          done += static_cast<size_t>(n);
        }
        break;
      }
      case api::ExecRequest::kCloseStdin:
        CloseStdin();
        break;
      case api::ExecRequest::kResize:
        if (tty_) {
          struct winsize size = {};
          size.ws_row = static_cast<unsigned short>(request_.resize().rows());
          size.ws_col = static_cast<unsigned short>(request_.resize().cols());
          ioctl(master_.get(), TIOCSWINSZ, &size);
        }
        break;
      default:
        // A second start is a protocol error; the process is ended.
        (void)manager_->Signal(id_, pid_, SIGKILL, false);
        break;
    }
  }
  StartRead(&request_);
}

void ExecReactor::Enqueue(api::ExecResponse response) {
  const bool last = response.has_exit();
  bool write;
  {
    absl::MutexLock lock(&mu_);
    auto room = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return queue_.size() < kMaxQueued || cancelled_ || finished_;
    };
    if (!last) mu_.Await(absl::Condition(&room));
    if (cancelled_ || finished_) return;
    queue_.push_back(std::move(response));
    write = PrepareWrite();
  }
  if (write) StartWrite(&writing_msg_);
}

bool ExecReactor::PrepareWrite() {
  if (writing_ || queue_.empty() || finished_) return false;
  writing_msg_ = std::move(queue_.front());
  queue_.pop_front();
  writing_ = true;
  return true;
}

void ExecReactor::OnWriteDone(bool ok) {
  bool write = false;
  bool finish = false;
  grpc::Status status = grpc::Status::OK;
  {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    if (!ok) {
      cancelled_ = true;
      finish = TakeFinish();
      status = grpc::Status(grpc::StatusCode::CANCELLED, "the client went away");
    } else if (writing_msg_.has_exit()) {
      finish = TakeFinish();
    } else {
      write = PrepareWrite();
    }
  }
  if (finish) Finish(status);
  if (write) StartWrite(&writing_msg_);
}

void ExecReactor::OnCancel() {
  bool finish;
  {
    absl::MutexLock lock(&mu_);
    cancelled_ = true;
    finish = TakeFinish();
  }
  // The call must complete for OnDone to come; the driver ends on its own
  // once the process is gone.
  if (finish) Finish(grpc::Status(grpc::StatusCode::CANCELLED, "the client went away"));
  // Nobody will read its output or wait for it. A single kill can be lost to
  // a control plane that is slow to answer, so it is retried.
  if (pid_ != 0 && !killer_.joinable()) killer_ = std::thread([this] { KillUntilGone(); });
}

void ExecReactor::KillUntilGone() {
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (absl::Now() < deadline) {
    absl::Status status = manager_->Signal(id_, pid_, SIGKILL, false);
    // Only "no answer" is worth another try: done, or the process (or the
    // sandbox) is already gone.
    if (!absl::IsDeadlineExceeded(status) && !absl::IsUnavailable(status)) return;
    absl::SleepFor(absl::Milliseconds(200));
  }
}

void ExecReactor::Pump(int fd, bool is_stderr) {
  char buf[32768];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // EOF, or EIO when a terminal's last process is gone
    api::ExecResponse chunk;
    if (is_stderr) {
      chunk.set_stderr(buf, static_cast<size_t>(n));
    } else {
      chunk.set_stdout(buf, static_cast<size_t>(n));
    }
    Enqueue(std::move(chunk));
  }
}

void ExecReactor::Drive(absl::Duration timeout) {
  std::vector<std::thread> pumps;
  for (size_t i = 0; i < outputs_.size(); ++i) {
    pumps.emplace_back([this, i] { Pump(outputs_[i].get(), !tty_ && i == 1); });
  }
  bool timed_out = false;
  absl::StatusOr<runsc::control::v1::ExitStatus> status = manager_->Wait(id_, pid_, timeout);
  if (absl::IsDeadlineExceeded(status.status())) {
    timed_out = true;
    (void)manager_->Signal(id_, pid_, SIGKILL, false);
    status = manager_->Wait(id_, pid_, absl::Seconds(10));
  }
  for (auto& t : pumps) t.join();
  api::ExecResponse last;
  auto* exit = last.mutable_exit();
  if (status.ok()) {
    exit->set_signaled(status->signaled());
    exit->set_code(status->code());
    exit->set_signal(status->signal());
    exit->set_oom_killed(status->oom_killed());
  }
  exit->set_timed_out(timed_out);
  Enqueue(std::move(last));
}

void ExecReactor::OnDone() {
  if (killer_.joinable()) killer_.join();
  if (driver_.joinable()) driver_.join();
  delete this;
}

}  // namespace runsc::cli
