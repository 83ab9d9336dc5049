// Joining a namespace by path: podman passes the network namespace netavark
// configured this way, and a pod's containers share their infra
// container's IPC and UTS namespaces this way too.
//
// These namespaces belong to someone else's user namespace (the host's, or
// another sandbox's), so nothing inside a sandbox may enter them or act in
// them. The host does, per thread (ScopedNamespace), only around what must
// be made inside one: the sandbox process's clone3 (which then inherits it
// instead of getting a new one), the filesystems that show a namespace
// (sysfs for network, mqueue for IPC), the sysctls it scopes, and the
// hostname of a joined UTS namespace.
#ifndef RUNSC_SANDBOX_JOINED_NS_H_
#define RUNSC_SANDBOX_JOINED_NS_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "runsc/util/unique_fd.h"

namespace runsc::sandbox {

// Opens `path` and checks that it is a namespace of `type` (CLONE_NEWNET,
// CLONE_NEWIPC or CLONE_NEWUTS); errors name `field`.
absl::StatusOr<util::UniqueFd> OpenNamespace(const std::string& path, int type,
                                             const std::string& field);

// Whether `fd` is the host's own namespace of `type`: the one this thread
// is in, or init's: a container may run in it, but must not change it (no
// sysctls, no hostname).
bool IsHostNamespace(int fd, int type);

// While alive, the calling thread is in the namespace `fd` of `type`; the
// destructor returns it to the one it was in.
class ScopedNamespace {
 public:
  static absl::StatusOr<ScopedNamespace> Enter(int fd, int type);
  ScopedNamespace(ScopedNamespace&&) = default;
  ScopedNamespace& operator=(ScopedNamespace&&) = delete;
  ~ScopedNamespace();

 private:
  ScopedNamespace(util::UniqueFd previous, int type)
      : previous_(std::move(previous)), type_(type) {}
  util::UniqueFd previous_;
  int type_;
};

// A detached instance of filesystem `fstype` made inside the namespace `fd`
// of `type`: "sysfs" of a network namespace (read-only), "mqueue" of an IPC
// namespace. Nosuid, nodev and noexec, and with the mount attributes
// `attrs` (MOUNT_ATTR_*: the spec's, container_mounts.h's MountAttrsOf).
absl::StatusOr<util::UniqueFd> FilesystemOf(int fd, int type, const char* fstype, uint64_t attrs);

// Writes each (path under /proc/sys, value) of `writes` inside the namespace
// `fd` of `type`, as the host: /proc/sys shows the namespaces of the thread
// that looks.
absl::Status WriteSysctlsIn(int fd, int type,
                            const std::vector<std::pair<std::string, std::string>>& writes);

// Sets the hostname and the domainname (each unless empty) of the UTS
// namespace `fd`.
absl::Status SetUtsNamesIn(int fd, const std::string& hostname, const std::string& domainname);

}  // namespace runsc::sandbox

#endif  // RUNSC_SANDBOX_JOINED_NS_H_
