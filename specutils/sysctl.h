// linux.sysctl: which kernel parameters a container may set, and what to
// write for each. Only the parameters that IPC, UTS and network namespaces
// scope are allowed (runc's list); any other would change the host for
// everyone. A container's namespaces are its own, or ones it joined by path
// that are not the host's (sandbox/joined_ns.h refuses writes to those).
#ifndef RUNSC_SPECUTILS_SYSCTL_H_
#define RUNSC_SPECUTILS_SYSCTL_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/map.h"
#include "specutils/id_map.h"

namespace runsc::specutils {

// INVALID_ARGUMENT, naming linux.sysctl["key"], unless `key` is a
// well-formed namespaced parameter and `value` a plausible value for it.
absl::Status ValidateSysctl(absl::string_view key, absl::string_view value);

// The namespace that scopes `key` (a valid one): CLONE_NEWNET for net.*,
// CLONE_NEWUTS for the domain name, CLONE_NEWIPC for the rest.
int SysctlNamespace(absl::string_view key);

// The writes that apply the parameters of `sysctl` that namespace type
// `ns_type` scopes: (path under /proc/sys, value). ping_group_range holds
// gids, which the kernel reads in the writer's user namespace: its range is
// translated through `gid_map` (container gid -> the writer's gid), clamped
// to the part that is mapped ("1 0", nobody, where none is).
// The write that opens the low ports to anyone in a network namespace
// (ContainerConfig.open_low_ports), in SysctlWrites' form.
inline const std::pair<std::string, std::string> kOpenLowPorts = {
    "net/ipv4/ip_unprivileged_port_start", "0"};

std::vector<std::pair<std::string, std::string>> SysctlWrites(
    const google::protobuf::Map<std::string, std::string>& sysctl, int ns_type,
    const std::vector<IdMapping>& gid_map);

}  // namespace runsc::specutils

#endif  // RUNSC_SPECUTILS_SYSCTL_H_
