// The built-in `host` template: a container that needs no bundle. Its root is
// a small read-only tmpfs holding a generated /etc (passwd, group, hosts,
// hostname), the host's top-level symlinks (merged /usr: bin -> usr/bin, ...)
// and mount points; the host's /usr and any real /bin, /lib*, /sbin are bound
// in read-only (idmapped, so root-owned files are container root's). /tmp is a
// private tmpfs, /dev minimal, /proc the container's own, /sys read-only.
// So `python3 -c 'print(1)'` runs in a sandbox at once.
#ifndef RUNSC_SANDBOX_HOST_TEMPLATE_H_
#define RUNSC_SANDBOX_HOST_TEMPLATE_H_

#include <stdint.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "proto/boot.pb.h"
#include "runsc/util/unique_fd.h"

namespace runsc::sandbox {

struct HostTemplateOptions {
  std::vector<std::string> args;
  std::vector<std::string> env;  // added to PATH/HOME/TERM defaults
  std::string cwd = "/";
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::string hostname = "sandbox";
};

// The template's ContainerConfig (validated like a spec's).
absl::StatusOr<runsc::boot::v1::ContainerConfig> HostTemplate(
    const HostTemplateOptions& options);

// Builds the template's root: a detached tmpfs owned by container root.
absl::StatusOr<util::UniqueFd> PrepareTemplateRoot(
    const runsc::boot::v1::ContainerConfig& config, uint32_t host_base);

}  // namespace runsc::sandbox

#endif  // RUNSC_SANDBOX_HOST_TEMPLATE_H_
