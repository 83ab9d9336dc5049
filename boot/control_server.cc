#include "boot/control_server.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpcpp/impl/server_builder_option.h"
#include "grpcpp/impl/server_builder_plugin.h"
#include "grpcpp/server_posix.h"
#include "runsc/util/errno_status.h"
#include "runsc/util/event_flag.h"
#include "runsc/util/log.h"
#include "runsc/util/status_macros.h"

namespace runsc::boot {
namespace {

// Drops any server plugin from the builder. The control plane serves Control
// and nothing else. Plugin factories (gRPC's reflection plugin registers one
// from a static initialiser) are held back outside the daemon
// (runsc/util/server_plugins.h), so no builder here even constructs one; this
// guards the control plane should one ever get through (more factories than
// the holder keeps).
class NoPluginsOption final : public grpc::ServerBuilderOption {
 public:
  void UpdateArguments(grpc::ChannelArguments* /*args*/) override {}
  void UpdatePlugins(
      std::vector<std::unique_ptr<grpc::ServerBuilderPlugin>>* plugins) override {
    plugins->clear();
  }
};

}  // namespace

using util::ErrnoError;
using util::UniqueFd;

absl::StatusOr<std::unique_ptr<ControlServer>> ControlServer::Create(grpc::Service* service,
                                                                     int listen_fd, DrainFn drain,
                                                                     int stdio_fd,
                                                                     ConnectionFn on_stdio,
                                                                     bool on_first_connection) {
  UniqueFd wake = util::NewEventFlag();
  if (!wake) return ErrnoError(errno, "eventfd for control server shutdown");
  std::unique_ptr<ControlServer> server(new ControlServer(
      service, listen_fd, std::move(wake), std::move(drain), stdio_fd, std::move(on_stdio)));
  if (!on_first_connection) RETURN_IF_ERROR(server->Start());
  return server;
}

absl::Status ControlServer::Start() {
  grpc::ServerBuilder builder;
  builder.SetOption(std::make_unique<NoPluginsOption>());
  builder.RegisterService(service_);
  server_ = builder.BuildAndStart();
  if (server_ == nullptr) return absl::InternalError("grpc::ServerBuilder::BuildAndStart failed");
  return absl::OkStatus();
}

ControlServer::ControlServer(grpc::Service* service, int listen_fd, UniqueFd wake_fd, DrainFn drain,
                             int stdio_fd, ConnectionFn on_stdio)
    : service_(service),
      listen_fd_(listen_fd),
      wake_fd_(std::move(wake_fd)),
      drain_(std::move(drain)),
      stdio_fd_(on_stdio ? stdio_fd : -1),
      on_stdio_(std::move(on_stdio)),
      watch_wake_(util::NewEventFlag()) {}

ControlServer::~ControlServer() {
  if (server_ != nullptr) server_->Shutdown();
}

void ControlServer::RequestShutdown() { util::RaiseEventFlag(wake_fd_.get()); }

void ControlServer::ReadUntilStarted(int fd, std::function<bool()> read_one,
                                     std::function<void()> on_start) {
  if (server_ != nullptr) {
    on_start();
    return;
  }
  aux_fd_ = fd;
  aux_read_ = std::move(read_one);
  aux_on_start_ = std::move(on_start);
}

void ControlServer::Watch(int fd, std::function<void()> on_event) {
  absl::MutexLock lock(&watch_mu_);
  watched_.emplace_back(fd, std::move(on_event));
  util::RaiseEventFlag(watch_wake_.get());
}

void ControlServer::StopReadingUntilStarted() {
  if (aux_on_start_) aux_on_start_();
  aux_on_start_ = nullptr;
  aux_fd_ = -1;
}

namespace {

// Whether accept4 failed for want of fds or memory: what frees them is a
// run or a connection that ends, which this loop serves, so it goes on.
bool OutOfResources(int err) {
  return err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM;
}

// Waits a little before the next accept, rather than spin on a socket that
// stays readable; says so in the log, at most once a second.
void PauseForResources(const char* socket, int err) {
  static absl::Time last_logged = absl::InfinitePast();
  const absl::Time now = absl::Now();
  if (now - last_logged >= absl::Seconds(1)) {
    last_logged = now;
    util::Log(
        util::LogLevel::kWarning, "control",
        absl::StrCat(ErrnoError(err, absl::StrCat("accept4 on the ", socket, " socket")).message(),
                     "; the connection waits"));
  }
  poll(nullptr, 0, 20);
}

// Now on the monotonic clock (as an absl::Time since its epoch): a silence
// is timed by it, whatever happens to the wall clock meanwhile.
absl::Time MonotonicNow() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return absl::TimeFromTimespec(ts);
}

// How long a stdio connection may stay silent, and how many may at once.
constexpr absl::Duration kStdioSilence = absl::Seconds(5);
constexpr size_t kMaxPendingStdio = 64;

}  // namespace

int ControlServer::PollTimeout(const std::vector<PendingStdio>& pending, absl::Time now) {
  if (pending.empty()) return -1;
  const absl::Duration left = pending.front().accepted + kStdioSilence - now;
  // Rounded up, so that the wake-up finds the oldest expired.
  return left <= absl::ZeroDuration()
             ? 0
             : static_cast<int>(absl::ToInt64Milliseconds(left + absl::Milliseconds(1)));
}

void ControlServer::AwaitStdio(UniqueFd conn) {
  if (stdio_pending_.size() >= kMaxPendingStdio) {
    util::Log(
        util::LogLevel::kWarning, "stdio",
        absl::StrCat(kMaxPendingStdio, " connections have sent nothing yet; closing the oldest"));
    stdio_pending_.erase(stdio_pending_.begin());
  }
  stdio_pending_.push_back({std::move(conn), MonotonicNow()});
}

void ControlServer::ServeSentStdio(const struct pollfd* polled) {
  // Taken out first: serving one may take a while (a start waits for the
  // launcher), and the rest are looked at again on the next turn.
  std::vector<UniqueFd> sent;
  std::vector<PendingStdio> still;
  const absl::Time now = MonotonicNow();
  for (size_t i = 0; i < stdio_pending_.size(); ++i) {
    PendingStdio& p = stdio_pending_[i];
    if (polled[i].revents != 0) {
      sent.push_back(std::move(p.conn));
    } else if (now - p.accepted >= kStdioSilence) {
      util::Log(util::LogLevel::kWarning, "stdio",
                absl::StrCat("closed a connection that sent nothing in ",
                             absl::FormatDuration(kStdioSilence)));
    } else {
      still.push_back(std::move(p));
    }
  }
  stdio_pending_ = std::move(still);
  // Its packet is whole (SOCK_SEQPACKET), so the read does not wait; a
  // caller that hung up is refused as a malformed request is.
  for (UniqueFd& conn : sent) on_stdio_(std::move(conn));
}

absl::Status ControlServer::Serve(absl::Duration grace) {
  absl::Status result = absl::OkStatus();
  std::vector<struct pollfd> fds;
  for (;;) {
    // A negative fd (no stdio socket, no stop fd, no reader's fd) is
    // skipped by poll. The stdio connections yet to send come after the
    // fixed six, then the watched connections.
    constexpr size_t kFixed = 6;
    fds = {{listen_fd_, POLLIN, 0}, {wake_fd_.get(), POLLIN, 0},
           {stdio_fd_, POLLIN, 0},  {stop_fd_.get(), POLLIN, 0},
           {aux_fd_, POLLIN, 0},    {watch_wake_.get(), POLLIN, 0}};
    for (const PendingStdio& p : stdio_pending_) fds.push_back({p.conn.get(), POLLIN, 0});
    const size_t watched_from = fds.size();
    {
      absl::MutexLock lock(&watch_mu_);
      for (const auto& [fd, unused] : watched_) fds.push_back({fd, POLLIN | POLLRDHUP, 0});
    }
    if (poll(fds.data(), fds.size(), PollTimeout(stdio_pending_, MonotonicNow())) < 0) {
      if (errno == EINTR) continue;
      result = ErrnoError(errno, "poll control socket");
      break;
    }
    if (fds[5].revents != 0) {
      uint64_t count;
      (void)!read(watch_wake_.get(), &count, sizeof(count));
    }
    // Each watch that fired ends, and its callback runs unlocked (it may
    // watch again).
    std::vector<std::function<void()>> fired;
    {
      absl::MutexLock lock(&watch_mu_);
      for (size_t i = watched_from; i < fds.size(); ++i) {
        if (fds[i].revents == 0) continue;
        auto it = std::find_if(watched_.begin(), watched_.end(),
                               [fd = fds[i].fd](const auto& w) { return w.first == fd; });
        if (it == watched_.end()) continue;
        fired.push_back(std::move(it->second));
        watched_.erase(it);
      }
    }
    for (auto& on_event : fired) on_event();
    if (aux_fd_ >= 0 && fds[4].revents != 0 && !aux_read_()) aux_fd_ = -1;
    if (fds[1].revents != 0 || fds[3].revents != 0) break;
    ServeSentStdio(fds.data() + kFixed);
    if (stdio_fd_ >= 0 && (fds[2].revents & POLLIN)) {
      UniqueFd conn(accept4(stdio_fd_, nullptr, nullptr, SOCK_CLOEXEC));
      if (conn) {
        AwaitStdio(std::move(conn));
      } else if (OutOfResources(errno)) {
        PauseForResources("stdio", errno);
      }
    }
    if (fds[0].revents == 0) continue;
    if (fds[0].revents & (POLLERR | POLLHUP | POLLNVAL)) {
      result = absl::InternalError("control socket failed");
      break;
    }
    // gRPC reads until EAGAIN: the fd must be non-blocking.
    int conn = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (conn < 0) {
      if (errno == EINTR || errno == EAGAIN || errno == ECONNABORTED) continue;
      if (OutOfResources(errno)) {
        PauseForResources("control", errno);
        continue;
      }
      result = ErrnoError(errno, "accept4 on control socket");
      break;
    }
    if (server_ == nullptr) {
      StopReadingUntilStarted();
      absl::Status started = Start();
      if (!started.ok()) {
        // Out of fds or memory, most likely: this caller fails, and the
        // next dial tries again. The stdio socket is served meanwhile.
        close(conn);
        util::Log(util::LogLevel::kWarning, "control",
                  absl::StrCat("cannot start the gRPC server for now: ", started.message()));
        continue;
      }
    }
    // gRPC takes ownership of the fd.
    grpc::AddInsecureChannelFromFd(server_.get(), conn);
  }
  if (!drain_(absl::Now() + grace)) {
    util::Log(util::LogLevel::kWarning, "control",
              "calls still in flight after the grace period; they end with the process");
  }
  // No gRPC shutdown here: even with an immediate deadline it took 0.8 ms
  // (median of 30), on the path of every sandbox that ends with its main
  // process, only to close connections that the process's end closes too.
  // Every call has been answered by now, or the grace is over. The
  // destructor shuts the server down for a caller that goes on living.
  return result;
}

}  // namespace runsc::boot
