#include "sandbox/stdio_pump.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "runsc/util/errno_status.h"
#include "runsc/util/event_flag.h"
#include "runsc/util/status_macros.h"
#include "runsc/util/thread.h"

namespace runsc::sandbox {

using util::ErrnoError;
using util::UniqueFd;

// When PumpStdio must stop; another thread may bring it forward.
class PumpDeadline {
 public:
  explicit PumpDeadline(absl::Time deadline) : deadline_(deadline), wake_(util::NewEventFlag()) {}
  absl::Time Get() {
    absl::MutexLock lock(&mu_);
    return deadline_;
  }
  // Not later than `t` from now on; wakes the pump.
  void NoLaterThan(absl::Time t) {
    absl::MutexLock lock(&mu_);
    deadline_ = std::min(deadline_, t);
    util::RaiseEventFlag(wake_.get());
  }
  int wake_fd() const { return wake_.get(); }

 private:
  absl::Mutex mu_;
  absl::Time deadline_ ABSL_GUARDED_BY(mu_);
  UniqueFd wake_;
};

namespace {

// Feeds `input` to `in` and reads `out` and `err` (each kept up to `cap`
// bytes, the rest read and dropped) until both end or the deadline passes.
// One thread for all three streams. Takes and closes the three fds.
void PumpStdio(UniqueFd in, absl::string_view input, UniqueFd out, UniqueFd err, size_t cap,
               PumpDeadline* deadline, CapturedOutput* result) {
  struct Stream {
    UniqueFd fd;
    std::string* text;
    bool* truncated;
  } streams[2] = {{std::move(out), &result->out, &result->out_truncated},
                  {std::move(err), &result->err, &result->err_truncated}};
  for (int fd : {in.get(), streams[0].fd.get(), streams[1].fd.get()}) {
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  }
  if (input.empty()) in.reset();
  size_t written = 0;
  char buf[16384];
  while (streams[0].fd || streams[1].fd) {
    pollfd fds[4];
    nfds_t n = 0;
    for (Stream& s : streams) {
      if (s.fd) fds[n++] = {s.fd.get(), POLLIN, 0};
    }
    if (in) fds[n++] = {in.get(), POLLOUT, 0};
    const nfds_t wake = n;
    fds[n++] = {deadline->wake_fd(), POLLIN, 0};
    const absl::Duration left = deadline->Get() - absl::Now();
    if (left <= absl::ZeroDuration()) break;
    const int ready = poll(
        fds, n, static_cast<int>(absl::ToInt64Milliseconds(std::min(left, absl::Hours(1)))) + 1);
    if (ready < 0 && errno != EINTR) break;
    if (ready > 0 && (fds[wake].revents & POLLIN)) {
      uint64_t count;
      ssize_t ignored = read(deadline->wake_fd(), &count, sizeof(count));  // the deadline moved
      (void)ignored;
    }
    if (in) {
      ssize_t w = write(in.get(), input.data() + written, input.size() - written);
      if (w > 0) written += static_cast<size_t>(w);
      if ((w < 0 && errno != EAGAIN && errno != EINTR) || written == input.size()) in.reset();
    }
    for (Stream& s : streams) {
      if (!s.fd) continue;
      ssize_t r = read(s.fd.get(), buf, sizeof(buf));
      if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
        s.fd.reset();
        continue;
      }
      if (r < 0) continue;
      const size_t room = cap > s.text->size() ? cap - s.text->size() : 0;
      const size_t keep = std::min(room, static_cast<size_t>(r));
      s.text->append(buf, keep);
      if (keep < static_cast<size_t>(r)) *s.truncated = true;
    }
  }
}

}  // namespace

StdioPump::StdioPump() = default;

absl::StatusOr<std::unique_ptr<StdioPump>> StdioPump::Start(const std::string& input, size_t cap,
                                                            absl::Time deadline,
                                                            CapturedOutput* output) {
  int in_p[2], out_p[2], err_p[2];
  if (pipe2(in_p, O_CLOEXEC) != 0) return ErrnoError(errno, "pipe2 for stdin");
  UniqueFd in_r(in_p[0]), in_w(in_p[1]);
  if (pipe2(out_p, O_CLOEXEC) != 0) return ErrnoError(errno, "pipe2 for stdout");
  UniqueFd out_r(out_p[0]), out_w(out_p[1]);
  if (pipe2(err_p, O_CLOEXEC) != 0) return ErrnoError(errno, "pipe2 for stderr");
  UniqueFd err_r(err_p[0]), err_w(err_p[1]);
  auto pump = std::unique_ptr<StdioPump>(new StdioPump());
  pump->deadline_ = std::make_unique<PumpDeadline>(deadline);
  pump->process_ends_.push_back(std::move(in_r));
  pump->process_ends_.push_back(std::move(out_w));
  pump->process_ends_.push_back(std::move(err_w));
  ASSIGN_OR_RETURN(
      pump->thread_,
      util::StartThread("a process's stdio pump", [&input, cap, output, d = pump->deadline_.get(),
                                                   in = std::move(in_w), out = std::move(out_r),
                                                   err = std::move(err_r)]() mutable {
        PumpStdio(std::move(in), input, std::move(out), std::move(err), cap, d, output);
      }));
  return pump;
}

StdioPump::~StdioPump() {
  process_ends_.clear();
  deadline_->NoLaterThan(absl::Now() + kDrainAfterExit);
  if (thread_.joinable()) thread_.join();  // not when Start found no thread
}

std::vector<int> StdioPump::process_fds() const {
  std::vector<int> fds;
  for (const UniqueFd& fd : process_ends_) fds.push_back(fd.get());
  return fds;
}

}  // namespace runsc::sandbox
