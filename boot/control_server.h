// ControlServer: serves a gRPC service on connections accepted from one
// inherited listening unix socket. The server has no listening port of its
// own: it accepts each connection itself and hands the fd to gRPC
// (AddInsecureChannelFromFd), so it needs no filesystem and no socket()
// syscall, which is what lets it run in the sandbox's empty root under
// seccomp.
//
// Thread safety: Serve() runs on one thread; RequestShutdown() may be called
// from any thread, including gRPC handlers.
#ifndef RUNSC_BOOT_CONTROL_SERVER_H_
#define RUNSC_BOOT_CONTROL_SERVER_H_

#include <poll.h>

#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "runsc/util/unique_fd.h"

namespace runsc::boot {

class ControlServer final {
 public:
  // Blocks until no call is in flight or the deadline passes.
  using DrainFn = std::function<bool(absl::Time deadline)>;

  // Builds and starts a gRPC server for `service` (not owned; must outlive
  // this), or with `on_first_connection`, only once the first connection has
  // been accepted: a runtime-mode sandbox that nobody dials (`runsc run`
  // with no signal to forward) then never starts gRPC's threads, and does
  // not tear them down at its end. `listen_fd` is a listening unix socket
  // (not owned; stays open).
  // `drain` tells when in-flight calls are done, so shutdown can then cut
  // idle connections at once instead of waiting for clients to close them.
  // Called (on the Serve thread) with each connection accepted on the
  // optional second listener, the stdio socket.
  using ConnectionFn = std::function<void(util::UniqueFd conn)>;

  static absl::StatusOr<std::unique_ptr<ControlServer>> Create(grpc::Service* service,
                                                               int listen_fd, DrainFn drain,
                                                               int stdio_fd = -1,
                                                               ConnectionFn on_stdio = nullptr,
                                                               bool on_first_connection = false);

  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;
  ~ControlServer();

  // Accepts connections until RequestShutdown(), then lets in-flight calls
  // finish within `grace`, and returns. It leaves the connections open:
  // the caller either ends the process, which closes them (the sandbox
  // does), or destroys this object, whose destructor shuts the gRPC server
  // down and cancels what is still in flight. Until then a call on an open
  // connection may still run.
  absl::Status Serve(absl::Duration grace = absl::Seconds(2));

  // Async-signal-safe: writes to an eventfd.
  void RequestShutdown();

  // Serve() also stops once `fd` is readable: a signalfd of the stop
  // signals (util::StopSignalFd), so that no thread waits for them. Call
  // before Serve().
  void StopWhenReadable(util::UniqueFd fd) { stop_fd_ = std::move(fd); }

  // With Create's on_first_connection: until gRPC starts, Serve also reads
  // `fd` (not owned) on its own thread, calling `read_one` whenever it is
  // readable (false: closed, stop watching), and calls `on_start` just
  // before gRPC starts. For the launcher's socket: a runtime-mode sandbox
  // that nobody dials hears its main process's exit on this one thread;
  // once gRPC's threads may call the launcher, `on_start` gives the
  // launcher client a reader of its own. If gRPC has started already,
  // `on_start` runs now. Call before Serve().
  void ReadUntilStarted(int fd, std::function<bool()> read_one, std::function<void()> on_start);

  // Has Serve call `on_event` (on its thread) once `fd` is readable or hung
  // up; the watch then ends (`on_event` may watch again). `fd` must stay
  // open until then. Thread-safe. For the connections of runs started over
  // the stdio socket, whose caller may ask for a kill or go away.
  void Watch(int fd, std::function<void()> on_event);

  // On Serve's thread, before work there that waits for the launcher: ends
  // ReadUntilStarted's reading (its on_start runs), as gRPC's start does.
  void StopReadingUntilStarted();

 private:
  ControlServer(grpc::Service* service, int listen_fd, util::UniqueFd wake_fd, DrainFn drain,
                int stdio_fd, ConnectionFn on_stdio);

  // Builds and starts server_ for service_.
  absl::Status Start();
  struct PendingStdio;
  // Files a stdio connection just accepted, to be served once it sends.
  void AwaitStdio(util::UniqueFd conn);
  // After a poll whose entries from `polled` on are stdio_pending_'s:
  // serves each that sent, and closes each silent too long.
  void ServeSentStdio(const struct pollfd* polled);
  // poll's timeout: until the oldest pending connection has been silent
  // too long, or none.
  static int PollTimeout(const std::vector<PendingStdio>& pending, absl::Time now);

  grpc::Service* const service_;
  std::unique_ptr<grpc::Server> server_;  // null until Start
  const int listen_fd_;
  util::UniqueFd wake_fd_;
  util::UniqueFd stop_fd_;
  int aux_fd_ = -1;  // ReadUntilStarted's
  std::function<bool()> aux_read_;
  std::function<void()> aux_on_start_;
  DrainFn drain_;
  const int stdio_fd_;
  ConnectionFn on_stdio_;
  // Stdio connections accepted whose first packet has not come: served
  // once it does, so a caller that connects and sends nothing (stopped,
  // say, between its connect and its send) holds one fd here, not the
  // loop. Serve's thread only.
  struct PendingStdio {
    util::UniqueFd conn;
    // When it was accepted, on the monotonic clock.
    absl::Time accepted;
  };
  std::vector<PendingStdio> stdio_pending_;
  util::UniqueFd watch_wake_;  // raised when watched_ changes
  absl::Mutex watch_mu_;
  std::vector<std::pair<int, std::function<void()>>> watched_ ABSL_GUARDED_BY(watch_mu_);
};

}  // namespace runsc::boot

#endif  // RUNSC_BOOT_CONTROL_SERVER_H_
