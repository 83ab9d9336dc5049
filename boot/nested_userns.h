// The workloads' user namespace, nested in the sandbox's: container id c is
// sandbox id 100000+c, for each container range of the container's id maps
// (0..65535 unless the spec gave linux.uidMappings/gidMappings), which the
// sandbox's own namespace maps on to the host.
// Created once by the launcher, before it stacks the container root (the
// kernel refuses new user namespaces to a process whose root is not its mount
// namespace's root); every workload then setns()es into it.
#ifndef RUNSC_BOOT_NESTED_USERNS_H_
#define RUNSC_BOOT_NESTED_USERNS_H_

#include "absl/status/statusor.h"
#include "proto/boot.pb.h"
#include "runsc/util/userns_holder.h"

namespace runsc::boot {

// Makes the namespace with the maps for `container`, written through
// `proc_dir` (a procfs of the caller's PID namespace); see MakeUserNamespace.
absl::StatusOr<util::UserNamespace> CreateNestedUserns(
    const char* proc_dir, const runsc::boot::v1::ContainerConfig& container);

}  // namespace runsc::boot

#endif  // RUNSC_BOOT_NESTED_USERNS_H_
