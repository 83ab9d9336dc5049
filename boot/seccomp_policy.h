// The seccomp filter of the sandbox's control server (the re-exec'd
// `/runsc boot`). It allows only what a gRPC server on inherited unix sockets
// needs: I/O on existing fds, accept, epoll/poll, futexes, memory without
// PROT_EXEC, threads (clone with CLONE_THREAD only), signals to itself, time,
// and exit. Everything else, including open, execve, socket, connect, fork,
// ptrace, mount and kill of other processes, fails with EPERM.
//
// It does not confine workloads: those get the OCI spec's own filter.
#ifndef RUNSC_BOOT_SECCOMP_POLICY_H_
#define RUNSC_BOOT_SECCOMP_POLICY_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "proto/boot.pb.h"

namespace runsc::boot {

// The filter as a program for CompileSeccompProgram (boot/seccomp_loader.h).
runsc::boot::v1::SeccompProgram ControlServerProgram();

// The program compiled to BPF by libseccomp. The build does this once
// (seccomp_gen, boot/control_filter.h); the host hands the result to
// every sandbox in its boot config (BootConfig.control_filter).
absl::StatusOr<std::string> CompileControlServerFilter();

// Installs a compiled filter on every thread of the calling process
// (TSYNC); threads created later inherit it. Requires no_new_privs (set by
// stage 1's DropToNobody, sandbox/stage1.h).
absl::Status InstallControlServerFilter(const std::string& bpf);

}  // namespace runsc::boot

#endif  // RUNSC_BOOT_SECCOMP_POLICY_H_
