// A process's output into a file, with a cap on the file's growth.
//
// The daemon's main processes write their stdout and stderr to the console
// log, a file on the host (<state>/<id>/console.log, often on the host's
// root file system). Given the file itself, a workload could fill that file
// system. Given the write end of this pipe instead, its output reaches the
// file through the launcher, which copies up to `limit` bytes, then appends
// one line saying that the limit was reached, and from then on reads and
// drops the rest: the writers neither block for long nor see EPIPE, and the
// file stops growing. A write error of the file (ENOSPC) ends the copying
// the same way, without the line.
//
// The read end is non-blocking, for the launcher's poll loop: Pump copies
// what is there and returns. Pump neither reads nor writes errno (raw
// system calls): the launcher pumps while a child of its, before its exec,
// runs on its memory and shares its errno (boot/launcher.cc, AwaitExec),
// and reads it after its own failed calls (an execve's, say).
#ifndef RUNSC_BOOT_CAPPED_OUTPUT_H_
#define RUNSC_BOOT_CAPPED_OUTPUT_H_

#include <poll.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "runsc/util/unique_fd.h"

namespace runsc::boot {

class CappedOutput {
 public:
  struct Made;

  // A pipe into `file` (an open file; appended to if it was opened with
  // O_APPEND), `limit` bytes at most (> 0). Returns it and the pipe's
  // write end, O_CLOEXEC, for the process's stdout and stderr.
  static absl::StatusOr<Made> Create(util::UniqueFd file, uint64_t limit);

  CappedOutput(CappedOutput&&) = default;
  CappedOutput& operator=(CappedOutput&&) = default;

  // The read end, to poll for POLLIN.
  int fd() const { return pipe_.get(); }

  // Copies (or, past the limit, drops) what the pipe holds now, at most
  // `budget` bytes of it. False once every writer is gone and the pipe is
  // empty: the caller drops this object.
  bool Pump(size_t budget);

  uint64_t copied() const { return copied_; }
  uint64_t dropped() const { return dropped_; }

 private:
  CappedOutput(util::UniqueFd pipe, util::UniqueFd file, uint64_t limit)
      : pipe_(std::move(pipe)), file_(std::move(file)), limit_(limit) {}

  // Appends all of `data` to the file; false on an error (and stops copying).
  bool WriteAll(const char* data, size_t size);

  util::UniqueFd pipe_;
  util::UniqueFd file_;
  uint64_t limit_;
  uint64_t copied_ = 0;
  uint64_t dropped_ = 0;
  bool copying_ = true;  // false past the limit or after a write error
};

struct CappedOutput::Made {
  CappedOutput output;
  util::UniqueFd write_end;
};

// The line appended when the limit is reached.
std::string CappedOutputNotice(uint64_t limit);

// The capped outputs a poll loop copies, each until every writer of it is
// gone.
class CappedOutputs {
 public:
  void Add(CappedOutput output) { outputs_.push_back(std::move(output)); }
  size_t size() const { return outputs_.size(); }

  // Appends a POLLIN entry for each output to `fds`.
  void AddPollFds(std::vector<struct pollfd>& fds) const;
  // Copies at most `budget` bytes of each output, and drops those whose
  // writers are all gone.
  void Pump(size_t budget);
  // Pump, if any of the entries AddPollFds appended to `fds` at `first` has
  // an event after a poll.
  void PumpIfReady(const std::vector<struct pollfd>& fds, size_t first, size_t budget);

 private:
  std::vector<CappedOutput> outputs_;
};

}  // namespace runsc::boot

#endif  // RUNSC_BOOT_CAPPED_OUTPUT_H_
