// LauncherClient: the supervisor's end of the launcher protocol
// (proto/launcher.proto). Calls are serialised on the socket and matched to
// replies by id; a reader thread also records every exit and runs the exit
// callbacks registered for it. The launcher's first message says whether it
// built the container (AwaitReady). A process the launcher starts after its
// call has given up is killed; one whose launcher goes away is reported
// killed to every waiter.
//
// Until StartReader, the calling thread reads what it waits for itself
// (AwaitReady, Call): at boot a reply then wakes one thread, not a reader
// and then the caller, on the path to "ready".
//
// Thread safety: thread-safe once StartReader has been called; before, one
// thread at a time.
#ifndef RUNSC_BOOT_LAUNCHER_CLIENT_H_
#define RUNSC_BOOT_LAUNCHER_CLIENT_H_

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "proto/launcher.pb.h"
#include "runsc/util/unique_fd.h"

namespace runsc::boot {

class LauncherClient final {
 public:
  using ExitCallback = std::function<void(const runsc::launcher::v1::Exited&)>;

  // Takes the socket. No thread yet: see StartReader.
  explicit LauncherClient(util::UniqueFd sock);

  // Starts the reader thread; from then on any thread may use the client.
  void StartReader();

  // Before StartReader, for a caller that polls fd() itself: reads one
  // message and acts on it (exit callbacks included) on this thread; false
  // once the socket is closed.
  bool ReadOne();
  int fd() const { return sock_.get(); }

  // Waits for the launcher's first message: ready once it has built the
  // container, or why it could not (an error naming the launcher's stage).
  absl::Status AwaitReady(absl::Duration timeout = absl::InfiniteDuration());
  ~LauncherClient();
  LauncherClient(const LauncherClient&) = delete;
  LauncherClient& operator=(const LauncherClient&) = delete;

  // Sends `request` (its id is assigned here) with `fds`, and waits for the
  // reply. A reply of kind `failed` becomes an error status naming its stage.
  absl::StatusOr<runsc::launcher::v1::LauncherEvent> Call(
      runsc::launcher::v1::LauncherRequest request, const std::vector<int>& fds,
      absl::Duration timeout = absl::Seconds(30));

  // After AwaitReady: the main process the launcher started with its ready
  // (BootConfig.main_fds), as a started process of ours, or why it did not
  // start, as Call reports a failed start.
  absl::StatusOr<int> MainStartedAtReady();

  // After AwaitReady succeeded: the launcher's Ready.
  runsc::launcher::v1::Ready ready();

  // Runs `callback` once `pid` has exited: at once if it already has. If
  // the launcher goes away first, with SIGKILL as the status (its processes
  // went with it). Returns what ForgetExitWait takes (0 if it ran at once).
  uint64_t OnExit(int pid, ExitCallback callback);
  // Drops a callback of OnExit's that has not run: its caller went, and a
  // process that runs on must not keep one for every wait given up on it.
  void ForgetExitWait(int pid, uint64_t id);

  // Runs `callback` once when the main process exits, after the waiters on
  // its pid; if the launcher goes away first, with SIGKILL as the status
  // (the container's pid 1 is gone, and every process with it).
  void OnMainExit(ExitCallback callback);

  // The main process's pid once started, and whether it still runs.
  std::optional<int> main_pid() const;
  bool IsRunning(int pid) const;
  // Every pid that has been started (running or exited).
  bool Known(int pid) const;
  void NoteStarted(int pid, bool main);

 private:
  void ReadLoop();
  // The launcher answered a start whose call had timed out and reported a
  // failure: the process must not run on unknown to its caller.
  void KillLateStart(int pid) ABSL_LOCKS_EXCLUDED(mu_, send_mu_);
  // Before StartReader: reads on this thread until `done` holds, the socket
  // closes or `deadline` passes.
  void ReadUntil(const std::function<bool()>& done, absl::Time deadline) ABSL_LOCKS_EXCLUDED(mu_);
  // Waits until `done` (called with mu_ held) holds or `deadline` passes,
  // reading on this thread before StartReader; returns without mu_.
  void AwaitUntil(const std::function<bool()>& done, absl::Time deadline) ABSL_LOCKS_EXCLUDED(mu_);

  util::UniqueFd sock_;
  absl::Mutex send_mu_;
  mutable absl::Mutex mu_;
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;
  std::map<uint64_t, std::optional<runsc::launcher::v1::LauncherEvent>> replies_
      ABSL_GUARDED_BY(mu_);
  std::map<int, runsc::launcher::v1::Exited> exited_ ABSL_GUARDED_BY(mu_);
  std::map<int, std::vector<std::pair<uint64_t, ExitCallback>>> waiters_ ABSL_GUARDED_BY(mu_);
  uint64_t next_wait_id_ ABSL_GUARDED_BY(mu_) = 1;
  std::map<int, bool> started_ ABSL_GUARDED_BY(mu_);  // pid -> main
  std::optional<int> main_pid_ ABSL_GUARDED_BY(mu_);
  ExitCallback on_main_exit_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  // The launcher's first message (ready or failed), once it has come.
  std::optional<runsc::launcher::v1::LauncherEvent> first_ ABSL_GUARDED_BY(mu_);
  std::thread reader_;  // not joinable until StartReader
};

}  // namespace runsc::boot

#endif  // RUNSC_BOOT_LAUNCHER_CLIENT_H_
