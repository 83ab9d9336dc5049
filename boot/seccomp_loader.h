// Loads a validated SeccompProgram (proto/boot.proto) into the calling
// thread with libseccomp. It never sets no_new_privs itself: the caller
// decides (the OCI spec's process.noNewPrivileges).
#ifndef RUNSC_BOOT_SECCOMP_LOADER_H_
#define RUNSC_BOOT_SECCOMP_LOADER_H_

#include "absl/status/status.h"
#include "proto/boot.pb.h"

namespace runsc::boot {

absl::Status LoadSeccompProgram(const runsc::boot::v1::SeccompProgram& program);

}  // namespace runsc::boot

#endif  // RUNSC_BOOT_SECCOMP_LOADER_H_
