// The workloads' user namespace, nested in the sandbox's: container uid/gid
// 0..65535 are sandbox ids 100000.. (the sandbox's private host range).
// Created once by the launcher, before it stacks the container root (the
// kernel refuses new user namespaces to a process whose root is not its mount
// namespace's root); every workload then setns()es into it.
#ifndef RUNSC_BOOT_NESTED_USERNS_H_
#define RUNSC_BOOT_NESTED_USERNS_H_

#include "absl/status/statusor.h"
#include "runsc/util/unique_fd.h"

namespace runsc::boot {

// Forks a holder child into a new user namespace, writes its maps through
// `proc_dir` (a procfs of the caller's PID namespace), opens its ns fd and
// reaps it. Single-threaded callers only (it forks).
absl::StatusOr<util::UniqueFd> CreateNestedUserns(const char* proc_dir);

}  // namespace runsc::boot

#endif  // RUNSC_BOOT_NESTED_USERNS_H_
