// StdioPump: a process's stdin, stdout and stderr as three pipes, served
// by one thread of their own: the input written, the output kept up to a
// cap a stream (the rest read and dropped), until the process's ends of the
// pipes are all closed or a deadline passes. The daemon's Run and
// RunSandbox capture a process's output with it.
//
// Thread safety: one owner; the pump's thread touches only `output` until
// the destructor has joined it.
#ifndef RUNSC_SANDBOX_STDIO_PUMP_H_
#define RUNSC_SANDBOX_STDIO_PUMP_H_

#include <stddef.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "runsc/util/unique_fd.h"

namespace runsc::sandbox {

struct CapturedOutput {
  std::string out;
  std::string err;
  bool out_truncated = false;
  bool err_truncated = false;
};

class PumpDeadline;

class StdioPump final {
 public:
  // How long the pump reads on once the process has ended (the
  // destructor): what it wrote is in the pipes already, but a descendant
  // that outlives it may hold them open for good.
  static constexpr absl::Duration kDrainAfterExit = absl::Milliseconds(200);

  // `input` and `output` must outlive the pump; `deadline` bounds it all.
  static absl::StatusOr<std::unique_ptr<StdioPump>> Start(const std::string& input, size_t cap,
                                                          absl::Time deadline,
                                                          CapturedOutput* output);
  // Closes the process's ends still here and ends the pump, at most
  // kDrainAfterExit from now; `output` is complete when this returns.
  ~StdioPump();
  StdioPump(const StdioPump&) = delete;
  StdioPump& operator=(const StdioPump&) = delete;

  // Stdin's read end, stdout's and stderr's write ends: the process's, to
  // hand over (moved out) or to close once the process holds copies.
  std::vector<util::UniqueFd>& process_ends() { return process_ends_; }
  std::vector<int> process_fds() const;

 private:
  StdioPump();
  std::unique_ptr<PumpDeadline> deadline_;
  std::vector<util::UniqueFd> process_ends_;
  std::thread thread_;
};

}  // namespace runsc::sandbox

#endif  // RUNSC_SANDBOX_STDIO_PUMP_H_
