// The steps of `runsc boot --setup-root` that build the sandbox's root. Each
// step is its own function so a failure names its stage. They run in the
// sandbox process as uid 0 of its own user namespace, in a fresh mount
// namespace (and fresh UTS and network ones, unless the container joins
// some by path), before privileges are dropped.
//
// The resulting root holds exactly two entries: `proc` (a fresh read-only
// procfs of the sandbox's PID namespace) and `runsc` (this binary, bind-mounted
// read-only). The root itself is a small read-only nosuid,nodev,noexec tmpfs.
// No host path is used to build it: the tmpfs is created detached and stacked
// over "/", so the host's /tmp (or any other directory) is never touched.
#ifndef RUNSC_BOOT_SETUP_ROOT_H_
#define RUNSC_BOOT_SETUP_ROOT_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace runsc::boot {

// Makes every mount in this mount namespace private, recursively, so nothing
// the sandbox mounts propagates to the host and nothing propagates in.
absl::Status MakeMountsPrivate();

// Brings up the loopback interface of this (new) network namespace.
absl::Status BringUpLoopback();

absl::Status SetHostname(absl::string_view hostname);

// Creates a nosuid,nodev,noexec tmpfs of `size` (tmpfs's size= syntax),
// stacks it over "/" and makes it the working directory, with empty `proc`
// and `runsc` mount points in it.
absl::Status CreateRootTmpfs(absl::string_view size);

// Mounts a fresh read-only procfs at ./proc.
absl::Status MountProc();

// Bind-mounts this process's executable at ./runsc, read-only.
absl::Status BindSelf();

// Makes the working directory's mount (the root tmpfs) read-only.
absl::Status RemountRootReadOnly();

// pivot_root(".", "."), detaches the old root, and chdirs to the new "/".
absl::Status PivotIntoCwd();

}  // namespace runsc::boot

#endif  // RUNSC_BOOT_SETUP_ROOT_H_
