// An eventfd used as a one-way flag: poll() sees it readable, for good,
// once it is raised. Stop requests (a signal handler, a cancelled call) use
// it to wake a thread blocked in poll().
#ifndef RUNSC_UTIL_EVENT_FLAG_H_
#define RUNSC_UTIL_EVENT_FLAG_H_

#include "runsc/util/unique_fd.h"

namespace runsc::util {

// A new flag (close-on-exec, non-blocking); not valid on failure, with
// errno set.
UniqueFd NewEventFlag();

// Raises the flag. Async-signal-safe.
void RaiseEventFlag(int fd);

}  // namespace runsc::util

#endif  // RUNSC_UTIL_EVENT_FLAG_H_
