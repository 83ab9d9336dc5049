// OCI hooks: programs the spec names, run by the runtime at fixed points of
// a container's life, each with the container's state JSON on its stdin.
//
//   prestart, createRuntime   `create`, in the runtime's namespaces
//   createContainer           `create`, in the container's namespaces
//   startContainer            `start`, in the container's namespaces, before
//                             the user process runs
//   poststart                 `start`, in the runtime's namespaces, after
//   poststop                  `delete`, in the runtime's namespaces
//
// A hook's path resolves in the runtime's mount namespace (the binary is
// opened first); a hook "in the container's namespaces" then joins the
// container's cgroups, and the user, mount, UTS, IPC, network, cgroup and
// PID namespaces of its held main process, where it runs as the container's
// root with a session keyring of its own. The hook is the spec author's
// trusted code, but its interpreter and libraries are the image's: nothing
// of the caller's (its identity, its keyring, its cgroups) goes with them.
// A hook that exits non-zero, dies or outlives its timeout fails, and the
// error carries its output.
#ifndef RUNSC_SANDBOX_HOOKS_H_
#define RUNSC_SANDBOX_HOOKS_H_

#include <sys/types.h>

#include <map>
#include <string>

#include "absl/status/status.h"
#include "google/protobuf/repeated_field.h"
#include "proto/boot.pb.h"
#include "sandbox/cgroup.h"

namespace runsc::sandbox {

// The OCI state a hook reads on its stdin.
struct HookState {
  std::string id;
  std::string status;  // creating, created, running, stopped
  pid_t pid = 0;
  std::string bundle;
  std::map<std::string, std::string> annotations;
};
std::string HookStateJson(const HookState& state);

// Runs `hooks` in order; the first failure stops the rest. `field` names
// them in errors ("hooks.prestart"). `namespaces_of` is the host pid whose
// namespaces they join, its user namespace among them, where they run as its
// root (the container's held main process: the workloads' user namespace),
// or 0 for the runtime's own namespaces and identity; with it, `cgroup`
// (if any) is the container's, whose leaves they join first. The binary is
// found in the runtime's mount namespace either way.
absl::Status RunHooks(const google::protobuf::RepeatedPtrField<runsc::boot::v1::HookConfig>& hooks,
                      const std::string& field, const HookState& state, pid_t namespaces_of = 0,
                      const Cgroup* cgroup = nullptr);

}  // namespace runsc::sandbox

#endif  // RUNSC_SANDBOX_HOOKS_H_
