// The OCI seccomp section -> a validated SeccompProgram (proto/boot.proto),
// and the default profile for specs that have none. Pure: names are resolved
// with libseccomp's lookup tables, nothing is loaded here. Loading happens in
// the workload just before execve.
#ifndef RUNSC_SPECUTILS_SECCOMP_SPEC_H_
#define RUNSC_SPECUTILS_SECCOMP_SPEC_H_

#include "absl/status/statusor.h"
#include "proto/boot.pb.h"
#include "proto/oci.pb.h"

namespace runsc::specutils {

// Errors name the field: "linux.seccomp.syscalls[3].action: unknown action
// 'SCMP_ACT_FOO'". Syscall names libseccomp does not know are skipped, as
// runc does (profiles list syscalls of newer kernels and other arches).
absl::StatusOr<runsc::boot::v1::SeccompProgram> ToSeccompProgram(
    const runsc::oci::v1::Seccomp& seccomp);

// The profile for a spec without a seccomp section: allow by default; fail
// with EPERM the calls that reach kernel attack surface a workload never
// needs (keyrings, bpf, perf, kexec, modules, open_by_handle_at,
// userfaultfd, ...), new namespaces, mount and friends; clone3 gets ENOSYS
// so libc falls back to clone, whose namespace flags are checked.
runsc::boot::v1::SeccompProgram DefaultSeccompProgram();

}  // namespace runsc::specutils

#endif  // RUNSC_SPECUTILS_SECCOMP_SPEC_H_
