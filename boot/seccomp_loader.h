// Turns a validated SeccompProgram (proto/boot.proto) into the classic BPF
// program the kernel takes, with libseccomp. Compiling is the slow part
// (0.4 ms in a fresh process for the default program here), so the launcher
// compiles each distinct program once (SeccompCache, seccomp_cache.h) and its
// workload children only load the result with seccomp(2), a single system
// call that allocates nothing.
// Nothing here sets no_new_privs: the caller decides
// (the OCI spec's process.noNewPrivileges).
#ifndef RUNSC_BOOT_SECCOMP_LOADER_H_
#define RUNSC_BOOT_SECCOMP_LOADER_H_

#include <linux/filter.h>

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "proto/boot.pb.h"

namespace runsc::boot {

// The program as an array of struct sock_filter, in a string.
absl::StatusOr<std::string> CompileSeccompProgram(const runsc::boot::v1::SeccompProgram& program);

// Installs a compiled program in the calling thread, with seccomp(2)'s
// `flags` (SeccompProgram.filter_flags). Async-signal-safe (one system
// call), so a child that shares its parent's memory may call it. Returns 0
// or an errno.
int InstallSeccompBpf(const std::string& bpf, unsigned int flags = 0);

}  // namespace runsc::boot

#endif  // RUNSC_BOOT_SECCOMP_LOADER_H_
