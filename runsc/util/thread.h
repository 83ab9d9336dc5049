// StartThread: a std::thread, or an error when the kernel will not make
// one (EAGAIN under a pids limit, RLIMIT_NPROC or threads-max; ENOMEM).
//
// std::thread's constructor throws std::system_error then. Nothing in the
// daemon catches it, and an object whose std::thread member was never
// started but is joined in its destructor turns the throw into
// std::terminate: the whole daemon ends on one call that found no thread.
// Every thread a request starts is made through this instead, so that the
// request fails with RESOURCE_EXHAUSTED and the daemon goes on.
#ifndef RUNSC_UTIL_THREAD_H_
#define RUNSC_UTIL_THREAD_H_

#include <system_error>
#include <thread>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace runsc::util {

// `what` names the thread's job in the error ("the output pump of ...").
// On failure `f` has been destroyed and not run.
template <typename F>
absl::StatusOr<std::thread> StartThread(absl::string_view what, F&& f) {
  try {
    return std::thread(std::forward<F>(f));
  } catch (const std::system_error& e) {
    return absl::ResourceExhaustedError(
        absl::StrCat("cannot start a thread for ", what, ": ", e.what()));
  }
}

}  // namespace runsc::util

#endif  // RUNSC_UTIL_THREAD_H_
