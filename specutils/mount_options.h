// OCI mount option strings -> mount(2) flags, propagation and data. Pure.
#ifndef RUNSC_SPECUTILS_MOUNT_OPTIONS_H_
#define RUNSC_SPECUTILS_MOUNT_OPTIONS_H_

#include <stdint.h>

#include <string>
#include <vector>

namespace runsc::specutils {

struct MountOptions {
  uint64_t flags = 0;        // MS_RDONLY, MS_NOSUID, ..., MS_BIND (+MS_REC)
  uint64_t propagation = 0;  // MS_PRIVATE/MS_SLAVE/MS_SHARED/MS_UNBINDABLE (+MS_REC)
  bool bind = false;
  bool recursive = false;    // rbind
  bool copy_up = false;      // tmpcopyup: a tmpfs starts with what it covers
  std::string data;          // everything else, comma-joined ("mode=755,size=64k")
};

// Flags that clear a default ("rw", "suid", ...) only remove bits. Options it
// does not know become filesystem data, which the kernel validates.
MountOptions ParseMountOptions(const std::vector<std::string>& options);

}  // namespace runsc::specutils

#endif  // RUNSC_SPECUTILS_MOUNT_OPTIONS_H_
