// Joining a network namespace by path: what podman does with the namespace
// netavark configured. The namespace is per thread, so the calling thread
// enters it (ScopedNetns) only around what must be made inside it: the
// sandbox process's clone3 (which then inherits it instead of getting a new
// one) and the container's sysfs instance (which shows that namespace's
// interfaces, and which a process of the sandbox's user namespace could not
// mount there).
#ifndef RUNSC_SANDBOX_NETNS_H_
#define RUNSC_SANDBOX_NETNS_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "runsc/util/unique_fd.h"

namespace runsc::sandbox {

// Opens `path` and checks that it is a network namespace; errors name
// `field`.
absl::StatusOr<util::UniqueFd> OpenNetns(const std::string& path, const std::string& field);

// While alive, the calling thread is in the network namespace `fd`; the
// destructor returns it to the one it was in.
class ScopedNetns {
 public:
  static absl::StatusOr<ScopedNetns> Enter(int fd);
  ScopedNetns(ScopedNetns&&) = default;
  ScopedNetns& operator=(ScopedNetns&&) = delete;
  ~ScopedNetns();

 private:
  explicit ScopedNetns(util::UniqueFd previous) : previous_(std::move(previous)) {}
  util::UniqueFd previous_;
};

// A detached, read-only sysfs instance of the network namespace `fd`.
absl::StatusOr<util::UniqueFd> SysfsOfNetns(int fd);

// Writes each (path under /proc/sys, value) of `writes` inside the network
// namespace `fd`, as the host: /proc/sys/net shows the namespace of the
// thread that looks. For the net.* sysctls of a joined namespace, which the
// sandbox, root only in its own user namespace, may not write.
absl::Status WriteSysctlsIn(int fd,
                            const std::vector<std::pair<std::string, std::string>>& writes);

}  // namespace runsc::sandbox

#endif  // RUNSC_SANDBOX_NETNS_H_
