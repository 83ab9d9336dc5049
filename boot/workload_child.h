// Workload children of the launcher (boot/launcher.h): cloned on the
// launcher's own memory, or on a copy of it, to run ExecWorkload
// (boot/workload.h) until their execve.
#ifndef RUNSC_BOOT_WORKLOAD_CHILD_H_
#define RUNSC_BOOT_WORKLOAD_CHILD_H_

#include <sys/types.h>

#include <cstddef>
#include <vector>

#include "absl/status/statusor.h"
#include "boot/workload.h"

namespace runsc::boot {

// What a workload child starts from.
struct ChildArgs {
  const WorkloadPlan* plan = nullptr;
  const std::vector<int>* reset_signals = nullptr;
  int userns = -1;
  int stdio[3] = {-1, -1, -1};
  int* extra = nullptr;
  size_t extra_count = 0;
  int error_fd = -1;
  int hold_fd = -1;
  int close_fd = -1;  // the launcher's end of the hold pipe
};

// Where a child borrowing the launcher's memory runs: 256 KiB with a guard
// page below, made once for each use. A started process's child runs while
// the launcher waits for its exec (AwaitExec), so one stack serves them all
// in turn; the held main process's child sleeps on its own from its start
// to its release, while others start beside it, and there is at most one
// (only the main process is held, once).
enum class StackUse { kStart, kHeld };

// Starts the child in the launcher's memory (CLONE_VM): no page tables are
// copied and no page is faulted in twice (a fork here cost the held main
// process's create a copy of the launcher's tables and the faults of both
// copies). Not CLONE_VFORK: a workload that stopped the child (it may
// signal it once it has joined the workloads' namespace) would then hold
// the launcher for good; the launcher waits on the error pipe with a
// deadline instead (AwaitExec). Every signal stays blocked until the child
// has reset their handlers, which must not run on borrowed memory. The
// child's stack, `args` and what they point to must outlive the child's
// execve or exit, unchanged: a held child reads them again once released.
// While it runs (up to its hold, and from its release on) the launcher
// only waits for it, and reads errno only after its own wait failed (where
// the child's, written in the thread storage they share, could at worst
// change an error's text). A held child sleeps in a read meanwhile.
//
// Unless `borrow` is false: then the child gets a copy of our memory (a
// fork's). With fs.suid_dumpable at 1 every change of the child's ids
// leaves the memory it runs on dumpable until its PR_SET_DUMPABLE, and a
// workload with CAP_SYS_PTRACE that stopped it in between could open its
// /proc/PID/mem: ours, if it were borrowed.
absl::StatusOr<pid_t> SpawnChild(ChildArgs& args, StackUse use, bool borrow);

// Whether a child may borrow our memory: unless fs.suid_dumpable is 1 (read
// through our procfs `proc`, each time: the host may change it), or cannot
// be read. At 2 (SUID_DUMP_ROOT, Ubuntu's default) an id change leaves the
// memory dumpable for root alone, where tracing it needs CAP_SYS_PTRACE in
// the user namespace it was made in, the sandbox's, which no workload has.
bool ChildMayBorrowMemory(int proc);

}  // namespace runsc::boot

#endif  // RUNSC_BOOT_WORKLOAD_CHILD_H_
