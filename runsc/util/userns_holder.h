// A user namespace with given id maps, as an fd. The kernel only lets a
// process write the maps of a namespace that a live process is in, so a
// short-lived holder child enters a new one, the caller writes its maps
// through procfs and opens its ns file, and lets the holder go. The fd then
// keeps the namespace alive (for idmapped mounts, or to setns() into).
//
// The holder borrows the caller's memory and fd table (CLONE_VM |
// CLONE_FILES): nothing is copied and its exit frees nothing, where a fork
// of the daemon copied its page tables and faulted its pages in twice.
// Safe in multi-threaded callers: the holder makes only raw system calls
// that cannot fail in a way that would write the caller's errno.
#ifndef RUNSC_UTIL_USERNS_HOLDER_H_
#define RUNSC_UTIL_USERNS_HOLDER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "runsc/util/unique_fd.h"
#include "runsc/util/vm_clone.h"

namespace runsc::util {

// A holder that has been let go: it exits on its own, but on a stack of
// ours. Destroying this (or Reap) waits for that and reaps it, SIGKILLing a
// holder that takes over 10 s. Keeping it while doing something else takes
// the holder's exit (a wake-up and an exit of a process on a busy CPU: 0.4
// ms in a launcher on this VM) off the caller's path.
class UsernsHolder {
 public:
  UsernsHolder() = default;
  UsernsHolder(UsernsHolder&& other) = default;
  UsernsHolder& operator=(UsernsHolder&& other);
  UsernsHolder(const UsernsHolder&) = delete;
  UsernsHolder& operator=(const UsernsHolder&) = delete;
  ~UsernsHolder() { Reap(); }

  void Reap();

 private:
  friend struct UsernsHolderAccess;
  UniqueFd pidfd_;
  UniqueFd release_r_;  // the holder's to read until it is reaped
  std::unique_ptr<ChildStack> stack_;
};

struct UserNamespace {
  UniqueFd fd;  // O_CLOEXEC; keeps the namespace alive
  UsernsHolder holder;
};

// Makes a user namespace, child of the caller's, with `uid_map` and
// `gid_map` (in /proc/<pid>/uid_map's format), written through `proc_dir`
// (a procfs of the caller's PID namespace).
absl::StatusOr<UserNamespace> MakeUserNamespace(const std::string& uid_map,
                                                const std::string& gid_map,
                                                const char* proc_dir = "/proc");

}  // namespace runsc::util

#endif  // RUNSC_UTIL_USERNS_HOLDER_H_
