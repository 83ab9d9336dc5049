// StdioRegistry: stdio fds handed to the sandbox over its stdio socket
// (runsc/util/stdio_socket.h), held until a Start, Exec or Run names their
// token. Tokens are random (the sandbox's, or the caller's), single-use, and
// expire after a minute; at most 64 sets are held (the oldest goes first).
//
// Thread safety: thread-safe.
#ifndef RUNSC_BOOT_STDIO_REGISTRY_H_
#define RUNSC_BOOT_STDIO_REGISTRY_H_

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "proto/control.pb.h"
#include "runsc/util/unique_fd.h"

namespace runsc::boot {

// Three fds (stdin, stdout, stderr), or one: a console socket that receives
// the pty master of a process with a terminal.
using StdioFds = std::vector<util::UniqueFd>;

class StdioRegistry final {
 public:
  static constexpr size_t kMaxHeld = 64;
  static constexpr absl::Duration kTtl = absl::Minutes(1);

  // Files `fds` under `chosen` (a fresh token if empty); returns the token,
  // or "" if `chosen` is not a token or is in use.
  std::string Add(StdioFds fds, const std::string& chosen = "");
  // NOT_FOUND naming the field when the token is unknown or expired. With
  // `wait`, a well-formed token not filed yet is waited for that long: its
  // hand-off may still be on its way (RunRequest.stdio_in_flight).
  absl::StatusOr<StdioFds> Take(const std::string& token,
                                absl::Duration wait = absl::ZeroDuration());
  // A call that named `token` failed: its fds go now, or, if they are still
  // on their way, when they come.
  void Discard(const std::string& token);

  // A request that is not a hand-off (control.proto's StdioRequest.run,
  // .start, .signal or .exec), with its fds and the connection it came on, on which the
  // callee answers.
  using RequestFn = std::function<void(const runsc::control::v1::StdioRequest& request,
                                       StdioFds fds, util::UniqueFd conn)>;

  // Serves one connection accepted on the stdio socket: a hand-off (fds,
  // answered with a token; errors are logged, and the connection closed),
  // or a run, a start, a signal or an exec, which goes to `serve` with the connection
  // (refused, with an empty answer, where there is none).
  void ServeConnection(util::UniqueFd conn, const RequestFn& serve = nullptr);

 private:
  struct Entry {
    StdioFds fds;
    absl::Time added;
  };
  // Drops what has expired.
  void PruneLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  absl::Mutex mu_;
  std::map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
  // Tokens Discard named before their fds came, and when.
  std::map<std::string, absl::Time> abandoned_ ABSL_GUARDED_BY(mu_);
};

}  // namespace runsc::boot

#endif  // RUNSC_BOOT_STDIO_REGISTRY_H_
