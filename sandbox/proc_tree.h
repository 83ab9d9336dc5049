// ProcTree: a process tree as the host's /proc shows it, read without
// asking any of its processes: the children of a process (every thread's),
// a process's pid in its innermost PID namespace, and whether a child with
// a given such pid still runs. The host side reads a sandbox with it: its
// launcher (the sandbox process's one child), the container's processes by
// their pids inside, the main process's status.
//
// What /proc says is the kernel's, never a sandboxed process's word. A pid
// read here may be reused by the time it is used: callers that act on one
// check it again (a pidfd, the start time).
#ifndef RUNSC_SANDBOX_PROC_TREE_H_
#define RUNSC_SANDBOX_PROC_TREE_H_

#include <sys/types.h>

#include <map>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"

namespace runsc::sandbox {

// The children of every thread of `pid` (a child hangs off the thread that
// made it); none if `pid` is gone.
std::vector<pid_t> ChildrenOf(pid_t pid);

// The pid of host process `pid` in its innermost PID namespace (the last
// of its NSpid line): a container process's pid in the container.
std::optional<int> InnermostPid(pid_t pid);

// Whether `parent` has a child whose innermost pid is `inner` and that has
// not exited (a zombie has: its parent has yet to reap it); false once
// `parent` is gone. An error where /proc could not be read (EMFILE, say):
// that tells nothing of either process.
absl::StatusOr<bool> HasLiveChild(pid_t parent, int inner);

// The one child of `pid`'s main thread (a sandbox process's launcher);
// INTERNAL naming what it found otherwise (none once `pid` is gone), and
// the read's own error where /proc could not be read.
absl::StatusOr<pid_t> OnlyChild(pid_t pid);

// How many PID namespaces `pid` is in (the host's counts): 0 if it is gone.
size_t PidNamespaceDepth(pid_t pid);
// The pid of `pid` in the PID namespace `depth` levels down (1: the
// host's), if it is that deep.
std::optional<int> PidAtDepth(pid_t pid, size_t depth);

// Every descendant of `root`, and `root` itself: its pid in `root`'s own
// PID namespace (the container's, for a launcher) -> host pid. A
// descendant in a PID namespace of its own (a workload's nested runtime)
// is keyed by its pid in `root`'s, not by the one its namespace gave it.
std::map<int, pid_t> DescendantsByPidInNamespaceOf(pid_t root);

}  // namespace runsc::sandbox

#endif  // RUNSC_SANDBOX_PROC_TREE_H_
