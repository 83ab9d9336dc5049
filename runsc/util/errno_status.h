// Turns a failed syscall into an absl::Status that names the errno and the
// object the call touched: "mount 'proc' on 'proc': EPERM (Operation not
// permitted)". Call it straight after the syscall, before anything can
// overwrite errno.
#ifndef RUNSC_UTIL_ERRNO_STATUS_H_
#define RUNSC_UTIL_ERRNO_STATUS_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace runsc::util {

// Returns the symbolic name of an errno value ("EPERM"), or "errno N".
std::string ErrnoName(int err);

// Returns a Status whose code follows absl::ErrnoToStatus and whose message
// is "<what>: <ENAME> (<strerror>)".
absl::Status ErrnoError(int err, absl::string_view what);

// Like ErrnoError for a message that already describes the failure (one
// that crossed a process boundary): the code and recorded errno follow
// `err`, the message is kept as is.
absl::Status StatusWithErrno(int err, absl::string_view message);

// The errno that ErrnoError recorded in a status (as a payload), or 0.
int ErrnoOf(const absl::Status& status);

// Adds context in front of a status's message, keeping its code.
absl::Status Annotate(const absl::Status& status, absl::string_view context);

}  // namespace runsc::util

#endif  // RUNSC_UTIL_ERRNO_STATUS_H_
