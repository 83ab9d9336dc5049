// ExitReportWatcher: one thread that waits on the sync sockets of many
// daemon-mode sandboxes for their main processes' exit reports (kExited,
// runsc/util/sync_message.h; BootConfig.report_main_exit), and on the
// connections of waits for the main processes of re-attached sandboxes. The daemon so
// learns of an exit when it happens, without a connection to each sandbox's
// control plane, and without a thread per sandbox.
//
// Thread safety: thread-safe. Each watch's callback runs exactly once, on
// the watcher's thread, never under the watcher's lock: a callback may take
// locks that Watch's and Cancel's callers hold.
#ifndef RUNSC_SANDBOX_EXIT_REPORT_WATCHER_H_
#define RUNSC_SANDBOX_EXIT_REPORT_WATCHER_H_

#include <stdint.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "proto/control.pb.h"
#include "runsc/util/unique_fd.h"

namespace runsc::sandbox {

class ExitReportWatcher final {
 public:
  // The main process's pid and how it ended; nullopt when the socket ended
  // without a report (the sandbox process is gone), when it sent something
  // else, or when the watch was cancelled.
  struct Report {
    int pid = 0;
    runsc::control::v1::ExitStatus status;
  };
  using Done = std::function<void(std::optional<Report>)>;

  static absl::StatusOr<std::unique_ptr<ExitReportWatcher>> Create();
  // Ends the watches still open as cancelled (their callbacks run here),
  // after the thread has stopped.
  ~ExitReportWatcher();
  ExitReportWatcher(const ExitReportWatcher&) = delete;
  ExitReportWatcher& operator=(const ExitReportWatcher&) = delete;

  // Reads a report from a readable fd: nullopt if it has none.
  using Reader = std::function<std::optional<Report>(int fd)>;

  // Takes `sync_fd` (Sandbox::TakeExitReports) and watches it; `done` runs
  // once. Returns the watch's id, for Cancel. With `reader`, the report is
  // read by it, not as a sync message: for a wait's connection on a
  // sandbox's stdio socket (WaitOnStdioSocket), whose answer is a packet.
  uint64_t Watch(util::UniqueFd sync_fd, Done done, Reader reader = nullptr);
  // Ends watch `id` unless it has ended already; its callback then runs
  // soon with nullopt, on the watcher's thread.
  void Cancel(uint64_t id);

 private:
  struct Entry {
    util::UniqueFd fd;
    Done done;
    Reader reader;  // null: ReadReport
  };

  ExitReportWatcher(util::UniqueFd epoll, util::UniqueFd wake);
  void Loop();
  // Reads the record on a readable socket.
  static std::optional<Report> ReadReport(int fd);

  const util::UniqueFd epoll_;
  const util::UniqueFd wake_;  // an event flag: cancelled watches, or stop
  absl::Mutex mu_;
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;  // 0 is the wake flag's
  std::map<uint64_t, Entry> watches_ ABSL_GUARDED_BY(mu_);
  std::vector<Entry> cancelled_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace runsc::sandbox

#endif  // RUNSC_SANDBOX_EXIT_REPORT_WATCHER_H_
