#include "boot/capped_output.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "runsc/util/errno_status.h"
#include "runsc/util/vm_clone.h"

namespace runsc::boot {

using util::ErrnoError;
using util::UniqueFd;

std::string CappedOutputNotice(uint64_t limit) {
  return absl::StrCat("\n[runsc: the console log reached its limit of ", limit,
                      " bytes; later output is dropped]\n");
}

absl::StatusOr<CappedOutput::Made> CappedOutput::Create(UniqueFd file, uint64_t limit) {
  if (limit == 0) return absl::InvalidArgumentError("output limit: must be positive");
  int ends[2];
  if (pipe2(ends, O_CLOEXEC) != 0) return ErrnoError(errno, "pipe2 for the console log");
  UniqueFd read_end(ends[0]), write_end(ends[1]);
  // Only our end: the writers keep blocking writes (O_NONBLOCK is the open
  // file's, and each end is a file of its own).
  if (fcntl(read_end.get(), F_SETFL, O_NONBLOCK) != 0) {
    return ErrnoError(errno, "fcntl(O_NONBLOCK) on the console log's pipe");
  }
  return Made{CappedOutput(std::move(read_end), std::move(file), limit), std::move(write_end)};
}

bool CappedOutput::WriteAll(const char* data, size_t size) {
  while (size > 0) {
    // A regular file's write is not interrupted (EINTR): any failure ends
    // the copying. Raw: errno is left alone (see the header).
    const long n = util::RawSyscall(SYS_write, file_.get(), reinterpret_cast<long>(data),
                                    static_cast<long>(size));
    if (n <= 0) {
      copying_ = false;
      return false;
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

bool CappedOutput::Pump(size_t budget) {
  char buf[16 * 1024];
  while (budget > 0) {
    const long n = util::RawSyscall(SYS_read, pipe_.get(), reinterpret_cast<long>(buf),
                                    static_cast<long>(std::min(sizeof(buf), budget)));
    // Non-blocking: a failure is EAGAIN (empty, a writer still there), or
    // an EINTR worth no retry here; the next poll says when to come back.
    if (n < 0) return true;
    if (n == 0) return false;  // every writer is gone
    budget -= static_cast<size_t>(n);
    size_t keep = 0;
    if (copying_) {
      keep = static_cast<size_t>(std::min<uint64_t>(static_cast<uint64_t>(n), limit_ - copied_));
      if (WriteAll(buf, keep)) {
        copied_ += keep;
        if (copied_ == limit_) {
          copying_ = false;
          const std::string notice = CappedOutputNotice(limit_);
          (void)WriteAll(notice.data(), notice.size());
        }
      } else {
        keep = 0;
      }
    }
    dropped_ += static_cast<uint64_t>(n) - keep;
  }
  return true;
}

void CappedOutputs::AddPollFds(std::vector<struct pollfd>& fds) const {
  for (const CappedOutput& output : outputs_) fds.push_back({output.fd(), POLLIN, 0});
}

void CappedOutputs::Pump(size_t budget) {
  outputs_.erase(std::remove_if(outputs_.begin(), outputs_.end(),
                                [budget](CappedOutput& output) { return !output.Pump(budget); }),
                 outputs_.end());
}

void CappedOutputs::PumpIfReady(const std::vector<struct pollfd>& fds, size_t first,
                                size_t budget) {
  for (size_t i = first; i < fds.size(); ++i) {
    if (fds[i].revents != 0) {
      Pump(budget);
      return;
    }
  }
}

}  // namespace runsc::boot
