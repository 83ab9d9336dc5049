#include "runsc/exec_reactor.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmath>
#include <system_error>
#include <utility>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "google/protobuf/wrappers.pb.h"
#include "runsc/api_convert.h"
#include "runsc/util/errno_status.h"
#include "runsc/util/event_flag.h"
#include "runsc/util/grpc_status.h"
#include "runsc/util/packet.h"
#include "runsc/util/status_macros.h"
#include "runsc/util/stdio_socket.h"
#include "specutils/process_override.h"

namespace runsc::cli {

namespace api = runsc::api::v1;
using util::UniqueFd;

namespace {

void SetNonBlocking(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

// Waits until `fd` has `events` or `stop` is raised; false once stopped.
bool PollOrStop(int fd, short events, int stop) {
  for (;;) {
    struct pollfd fds[2] = {{fd, events, 0}, {stop, POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    if (fds[1].revents != 0) return false;
    return true;
  }
}

// A terminal's rows and columns are 16-bit (struct winsize).
absl::Status CheckTerminalSize(const api::TerminalSize& size, absl::string_view field) {
  if (size.rows() <= 0xFFFF && size.cols() <= 0xFFFF) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", size.rows(), " rows by ", size.cols(),
                                                 " columns; a terminal has at most ", 0xFFFF,
                                                 " of each"));
}

}  // namespace

bool ExecRegistry::TryAdd() {
  absl::MutexLock lock(&mu_);
  if (live_ >= max_live()) return false;
  ++live_;
  return true;
}

void ExecRegistry::Remove() {
  absl::MutexLock lock(&mu_);
  --live_;
}

bool ExecRegistry::TryStartRunning() {
  absl::MutexLock lock(&mu_);
  if (running_ >= max_running_) return false;
  ++running_;
  return true;
}

void ExecRegistry::StopRunning() {
  absl::MutexLock lock(&mu_);
  --running_;
}

bool ExecRegistry::AwaitNoneLive(absl::Time deadline) {
  absl::MutexLock lock(&mu_);
  auto none = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return live_ == 0; };
  return mu_.AwaitWithDeadline(absl::Condition(&none), deadline);
}

void ExecRegistry::WaitUntilEmpty() { (void)AwaitNoneLive(absl::InfiniteFuture()); }

ExecReactor::ExecReactor(sandbox::SandboxManager* manager, grpc::CallbackServerContext* context,
                         ExecRegistry* registry)
    : manager_(manager),
      deadline_(context->deadline()),
      registry_(registry),
      stop_output_(util::NewEventFlag()),
      stop_input_(util::NewEventFlag()) {
  if (!stop_output_ || !stop_input_) flags_errno_ = errno;
  StartRead(&request_);
}

ExecReactor::~ExecReactor() { registry_->Remove(); }

void ExecReactor::Unref() {
  bool last;
  {
    absl::MutexLock lock(&mu_);
    last = --refs_ == 0;
  }
  if (last) delete this;
}

// ---- Reactions: record, wake a thread, return. ----

void ExecReactor::OnReadDone(bool ok) {
  bool bad_start = false;
  {
    absl::MutexLock lock(&mu_);
    if (started_) {
      if (ok) {
        inbox_ = std::move(request_);
      } else {
        client_done_ = true;  // half-closed, or gone: no more stdin
      }
      return;
    }
    bad_start = !ok || !request_.has_start();
    if (!bad_start) {
      started_ = true;
      ++refs_;
    }
  }
  if (bad_start) {
    FinishOnce(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                            "start: the first message must start the process"));
    return;
  }
  auto refuse = [this](const std::string& why) {
    FinishOnce(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, why));
    Unref();  // the driver's
  };
  if (!registry_->TryStartRunning()) {
    refuse(absl::StrCat(registry_->max_running(),
                        " Execs already run (the daemon's --max-execs); try again when one "
                        "has ended"));
    return;
  }
  try {
    std::thread(&ExecReactor::Run, this, request_.start()).detach();
  } catch (const std::system_error& e) {
    registry_->StopRunning();
    refuse(absl::StrCat("no thread for the Exec: ", e.what()));
  }
}

void ExecReactor::OnWriteDone(bool ok) {
  bool write = false;
  std::optional<grpc::Status> finish;
  {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    if (!ok) {
      cancelled_ = true;
      finish = grpc::Status(grpc::StatusCode::CANCELLED, "the client went away");
    } else {
      write = PrepareWrite();
      if (!write && queue_.empty() && closing_.has_value()) finish = *closing_;
    }
  }
  if (write) StartCountedWrite();
  if (finish.has_value()) {
    if (!ok) {
      wait_canceller_.Cancel();
      StopOutput();
    }
    FinishOnce(*finish);
  }
}

void ExecReactor::OnCancel() {
  {
    absl::MutexLock lock(&mu_);
    cancelled_ = true;
  }
  // The driver sees the cancelled wait and kills the process; the pumps
  // stop, as nobody will read their output.
  wait_canceller_.Cancel();
  StopOutput();
  FinishOnce(grpc::Status(grpc::StatusCode::CANCELLED, "the client went away"));
}

void ExecReactor::OnDone() { Unref(); }

// ---- Reactor operations, never started on a finished call. ----

void ExecReactor::StartReadIfLive() {
  {
    absl::MutexLock lock(&mu_);
    if (finished_) return;
    ++ops_starting_;
  }
  StartRead(&request_);
  absl::MutexLock lock(&mu_);
  --ops_starting_;
}

bool ExecReactor::PrepareWrite() {
  if (writing_ || queue_.empty() || finished_) return false;
  writing_msg_ = std::move(queue_.front());
  queue_.pop_front();
  writing_ = true;
  ++ops_starting_;
  return true;
}

void ExecReactor::StartCountedWrite() {
  StartWrite(&writing_msg_);
  absl::MutexLock lock(&mu_);
  --ops_starting_;
}

void ExecReactor::FinishOnce(const grpc::Status& status) {
  {
    absl::MutexLock lock(&mu_);
    if (finished_) return;
    finished_ = true;
    auto quiet = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return ops_starting_ == 0; };
    mu_.Await(absl::Condition(&quiet));
  }
  // The reactor may be freed from here on (OnDone may run at once).
  Finish(status);
}

void ExecReactor::Enqueue(api::ExecResponse response) {
  bool write;
  {
    absl::MutexLock lock(&mu_);
    // Once the output is stopping (the process has ended, or was killed),
    // what the pumps still read (at most kMaxDrainBytes each) is queued
    // past the bound: a client that reads slowly, or not at all, gets all
    // of it, and cannot hold the pumps, the driver and its --max-execs
    // slot. The stop is an atomic flag, which no unlock announces: looked
    // at every 100 ms while the queue is full.
    auto room = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return queue_.size() < kMaxQueued || cancelled_ || finished_ ||
             output_stopping_.load(std::memory_order_relaxed);
    };
    while (!mu_.AwaitWithTimeout(absl::Condition(&room), absl::Milliseconds(100))) {
    }
    if (cancelled_ || finished_) return;
    queue_.push_back(std::move(response));
    write = PrepareWrite();
  }
  if (write) StartCountedWrite();
}

void ExecReactor::EnqueueLast(std::optional<api::ExecResponse> last, grpc::Status status) {
  bool write = false;
  bool finish = false;
  {
    absl::MutexLock lock(&mu_);
    if (cancelled_ || finished_) return;
    if (last.has_value()) queue_.push_back(std::move(*last));
    closing_ = status;
    write = PrepareWrite();
    finish = !write && !writing_ && queue_.empty();
  }
  if (write) StartCountedWrite();
  if (finish) FinishOnce(status);
}

// ---- The driver thread. ----

void ExecReactor::Run(api::ExecStart start) {
  absl::Cleanup done = [this] {
    registry_->StopRunning();
    Unref();
  };
  absl::Status started = Start(start);
  if (!started.ok()) {
    FinishOnce(util::ToGrpcStatus(started));
    return;
  }
  std::thread input;
  std::vector<std::thread> pumps;
  {
    absl::MutexLock lock(&mu_);
    pumps_running_ = static_cast<int>(outputs_.size());
  }
  try {
    input = std::thread([this] { InputLoop(); });
    for (size_t i = 0; i < outputs_.size(); ++i) {
      pumps.emplace_back([this, i] {
        Pump(outputs_[i].get(), !tty_ && i == 1);
        absl::MutexLock lock(&mu_);
        --pumps_running_;
      });
    }
  } catch (const std::system_error& e) {
    // Out of threads: the process goes, and what was started with it.
    KillUntilGone();
    StopOutput();
    {
      absl::MutexLock lock(&mu_);
      input_stopped_ = true;
    }
    util::RaiseEventFlag(stop_input_.get());
    for (auto& t : pumps) t.join();
    if (input.joinable()) input.join();
    EnqueueLast(std::nullopt, grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                           absl::StrCat("no thread for the Exec: ", e.what())));
    return;
  }
  StartReadIfLive();
  absl::Duration timeout = absl::InfiniteDuration();
  if (start.timeout_seconds() > 0) timeout = absl::Seconds(start.timeout_seconds());
  if (deadline_ != std::chrono::system_clock::time_point::max()) {
    timeout = std::min(timeout, absl::FromChrono(deadline_ - std::chrono::system_clock::now()));
  }
  absl::StatusOr<api::ExitStatus> exit = Wait(timeout);
  // A killed process's output is drained, not awaited: descendants that
  // outlive it would otherwise hold the streams open. So is an exited
  // one's, after kDrainAfterExit.
  if (exit.ok() && !exit->timed_out()) {
    absl::MutexLock lock(&mu_);
    auto drained = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return pumps_running_ == 0; };
    mu_.AwaitWithTimeout(absl::Condition(&drained), kDrainAfterExit);
  }
  StopOutput();
  for (auto& t : pumps) t.join();
  {
    absl::MutexLock lock(&mu_);
    input_stopped_ = true;
  }
  util::RaiseEventFlag(stop_input_.get());
  input.join();
  if (exit.ok()) {
    api::ExecResponse last;
    *last.mutable_exit() = *exit;
    EnqueueLast(std::move(last), grpc::Status::OK);
  } else if (!absl::IsCancelled(exit.status())) {
    EnqueueLast(std::nullopt, util::ToGrpcStatus(exit.status()));
  }
}

absl::Status ExecReactor::Start(const api::ExecStart& start) {
  if (start.id().empty()) return absl::InvalidArgumentError("start.id: must be set");
  if (!std::isfinite(start.timeout_seconds()) || start.timeout_seconds() < 0) {
    return absl::InvalidArgumentError("start.timeout_seconds: must be a non-negative number");
  }
  if (flags_errno_ != 0) return util::ErrnoError(flags_errno_, "eventfd for Exec");
  specutils::ProcessOverrides overrides = ToOverrides(start.process());
  overrides.terminal = start.tty();
  absl::StatusOr<runsc::boot::v1::ProcessConfig> process =
      manager_->ExecProcess(start.id(), overrides);
  if (absl::IsInvalidArgument(process.status()) &&
      absl::StartsWith(process.status().message(), "process.")) {
    // Named as this request spells the field: under start.
    return absl::InvalidArgumentError(absl::StrCat("start.", process.status().message()));
  }
  if (!process.ok()) return process.status();
  if (start.tty() && start.has_size()) {
    RETURN_IF_ERROR(CheckTerminalSize(start.size(), "start.size"));
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
    // Each pair is owned as soon as it is made: a daemon short of fds
    // keeps none of a failed Exec's.
    int ends[2];
    for (const char* stream : {"stdin", "stdout", "stderr"}) {
      if (pipe2(ends, O_CLOEXEC) != 0) {
        return util::ErrnoError(errno, absl::StrCat("pipe2 for an Exec's ", stream));
      }
      const bool input = theirs.empty();
      theirs.emplace_back(input ? ends[0] : ends[1]);
      if (input) {
        stdin_.reset(ends[1]);
      } else {
        outputs_.emplace_back(ends[0]);
      }
    }
  }
  std::vector<int> raw;
  for (const auto& fd : theirs) raw.push_back(fd.get());
  // The process goes if our end of its connection closes before its exit
  // was read: as it goes with its client, it goes with a daemon that died.
  absl::StatusOr<sandbox::StartedExec> exec =
      manager_->Exec(start.id(), *process, raw, /*kill_on_hangup=*/true);
  theirs.clear();
  if (!exec.ok()) return exec.status();
  const int pid = exec->pid;
  id_ = start.id();
  exec_ = std::move(*exec);
  {
    absl::MutexLock lock(&mu_);
    pid_ = pid;
  }
  if (tty_) {
    google::protobuf::StringValue name;
    std::vector<UniqueFd> master;
    // Sent before the sandbox's answer: never a wait without end.
    absl::Status got =
        util::SetSocketTimeout(console.get(), SO_RCVTIMEO, util::kStdioSocketWait, "the console");
    if (got.ok()) got = util::RecvPacket(console.get(), &name, &master);
    if (!got.ok() || master.size() != 1) {
      (void)manager_->Signal(id_, pid, SIGKILL, false);
      return absl::InternalError("the sandbox sent no pty master");
    }
    master_ = std::move(master[0]);
    outputs_.emplace_back(fcntl(master_.get(), F_DUPFD_CLOEXEC, 0));
    stdin_.reset(fcntl(master_.get(), F_DUPFD_CLOEXEC, 0));
  }
  // The threads never block where a stop could not reach them.
  SetNonBlocking(stdin_.get());
  for (const auto& fd : outputs_) SetNonBlocking(fd.get());
  api::ExecResponse first;
  first.set_pid(pid);
  Enqueue(std::move(first));
  return absl::OkStatus();
}

absl::StatusOr<api::ExitStatus> ExecReactor::Wait(absl::Duration timeout) {
  int pid;
  {
    absl::MutexLock lock(&mu_);
    pid = pid_;
  }
  absl::StatusOr<runsc::control::v1::ExitStatus> status =
      manager_->WaitExec(id_, exec_, timeout, &wait_canceller_);
  bool timed_out = false;
  if (absl::IsDeadlineExceeded(status.status()) && !wait_canceller_.cancelled()) {
    timed_out = true;
    (void)manager_->Signal(id_, pid, SIGKILL, false);
    status = manager_->WaitExec(id_, exec_, absl::Seconds(10), &wait_canceller_);
  }
  if (wait_canceller_.cancelled()) {
    // Nobody will read its output or wait for it.
    KillUntilGone();
    return absl::CancelledError("the client went away");
  }
  if (!status.ok()) return status.status();
  api::ExitStatus exit;
  ToProto(*status, &exit);
  exit.set_timed_out(timed_out);
  return exit;
}

void ExecReactor::KillUntilGone() {
  // The sandbox kills a process whose exit connection closes first
  // (kill_on_hangup): no lookup by id, which a delete and a create of the
  // same id since would have pointed at another sandbox's pid.
  if (exec_.exit_conn) {
    shutdown(exec_.exit_conn.get(), SHUT_RDWR);
    return;
  }
  int pid;
  {
    absl::MutexLock lock(&mu_);
    pid = pid_;
  }
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (absl::Now() < deadline) {
    absl::Status status = manager_->Signal(id_, pid, SIGKILL, false);
    // Only "no answer" is worth another try: done, or the process (or the
    // sandbox) is already gone.
    if (!absl::IsDeadlineExceeded(status) && !absl::IsUnavailable(status)) return;
    absl::SleepFor(absl::Milliseconds(200));
  }
}

// ---- The input thread and the pumps. ----

void ExecReactor::StopOutput() {
  output_stopping_.store(true, std::memory_order_relaxed);
  util::RaiseEventFlag(stop_output_.get());
}

void ExecReactor::InputLoop() {
  for (;;) {
    api::ExecRequest message;
    bool client_done = false;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return inbox_.has_value() || client_done_ || input_stopped_;
      };
      mu_.Await(absl::Condition(&ready));
      if (input_stopped_) return;
      if (inbox_.has_value()) {
        message = std::move(*inbox_);
        inbox_.reset();
      } else {
        client_done = true;
      }
    }
    if (client_done) {
      CloseStdin();  // the client has no more to send
      return;
    }
    switch (message.kind_case()) {
      case api::ExecRequest::kStdin:
        WriteStdin(message.stdin());
        break;
      case api::ExecRequest::kCloseStdin:
        CloseStdin();
        break;
      case api::ExecRequest::kResize:
        // A size a terminal cannot have is dropped, as a resize of a
        // process without one is.
        if (tty_ && CheckTerminalSize(message.resize(), "resize").ok()) {
          struct winsize size = {};
          size.ws_row = static_cast<unsigned short>(message.resize().rows());
          size.ws_col = static_cast<unsigned short>(message.resize().cols());
          ioctl(master_.get(), TIOCSWINSZ, &size);
        }
        break;
      case api::ExecRequest::KIND_NOT_SET:
        break;
      default:
        // A second start is a protocol error: the call ends saying so, and
        // the process with it (by its connection, as a client's going
        // ends it).
        FinishOnce(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                "start: only the first message starts a process"));
        KillUntilGone();
        return;
    }
    StartReadIfLive();
  }
}

void ExecReactor::WriteStdin(const std::string& data) {
  size_t done = 0;
  while (stdin_ && done < data.size()) {
    ssize_t n = write(stdin_.get(), data.data() + done, data.size() - done);
    if (n > 0) {
      done += static_cast<size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && errno == EAGAIN) {
      if (!PollOrStop(stdin_.get(), POLLOUT, stop_input_.get())) return;
    } else {
      stdin_.reset();  // the process closed its stdin
    }
  }
}

void ExecReactor::CloseStdin() {
  if (!stdin_) return;
  if (tty_) {
    // A terminal has no half-close: send its end-of-file character instead.
    ssize_t ignored = write(stdin_.get(), "\x04", 1);
    (void)ignored;
  }
  stdin_.reset();
}

void ExecReactor::Pump(int fd, bool is_stderr) {
  char buf[32768];
  bool stopping = false;
  size_t drained = 0;  // since told to stop
  for (;;) {
    // Seen here too: a writer that keeps the pipe full never lets the read
    // come back empty, where the poll would see the flag.
    if (!stopping && output_stopping_.load(std::memory_order_relaxed)) stopping = true;
    if (stopping && drained >= kMaxDrainBytes) return;
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n > 0) {
      if (stopping) drained += static_cast<size_t>(n);
      api::ExecResponse chunk;
      if (is_stderr) {
        chunk.set_stderr(buf, static_cast<size_t>(n));
      } else {
        chunk.set_stdout(buf, static_cast<size_t>(n));
      }
      Enqueue(std::move(chunk));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    // EOF, or EIO once a terminal's last process is gone; when stopping,
    // what was left has been read.
    if (n == 0 || errno != EAGAIN || stopping) return;
    stopping = !PollOrStop(fd, POLLIN, stop_output_.get());
  }
}

}  // namespace runsc::cli
