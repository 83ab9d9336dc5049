// A user namespace with given id maps, as an fd. The kernel only lets a
// process write the maps of a namespace that a live process is in, so a
// short-lived holder child enters a new one, the caller writes its maps
// through procfs and opens its ns file, and the holder exits. The fd then
// keeps the namespace alive (for idmapped mounts, or to setns() into).
//
// The holder borrows the caller's memory and fd table (CLONE_VM |
// CLONE_FILES): nothing is copied and its exit frees nothing, where a fork
// of the daemon copied its page tables and faulted its pages in twice.
// Safe in multi-threaded callers: the holder makes only raw system calls
// that cannot fail in a way that would write the caller's errno.
#ifndef RUNSC_UTIL_USERNS_HOLDER_H_
#define RUNSC_UTIL_USERNS_HOLDER_H_

#include <string>

#include "absl/status/statusor.h"
#include "runsc/util/unique_fd.h"

namespace runsc::util {

// Makes a user namespace, child of the caller's, with `uid_map` and
// `gid_map` (in /proc/<pid>/uid_map's format), written through `proc_dir`
// (a procfs of the caller's PID namespace). Returns an O_CLOEXEC fd of it.
absl::StatusOr<UniqueFd> MakeUserNamespace(const std::string& uid_map,
                                           const std::string& gid_map,
                                           const char* proc_dir = "/proc");

}  // namespace runsc::util

#endif  // RUNSC_UTIL_USERNS_HOLDER_H_
