// The device cgroup's rules (linux.resources.devices), read as runc 1.1
// reads them, to tell what they leave a workload of a device node.
//
// runsc sets no device cgroup: the nodes linux.devices lists are all a
// workload can open (every other mount is nodev), each whole. A node the
// rules would leave less than read and write is refused instead.
#ifndef RUNSC_SPECUTILS_DEVICE_RULES_H_
#define RUNSC_SPECUTILS_DEVICE_RULES_H_

#include <stdint.h>

#include <map>
#include <string>
#include <tuple>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "proto/oci.pb.h"

namespace runsc::specutils {

class DeviceRules {
 public:
  // The spec's rules in order from "all denied", then runc's own
  // allowances after them (mknod of any, null, zero, full, random,
  // urandom, tty, ptmx, the pts and tun), as runc's emulator of the
  // kernel's list applies them. INVALID_ARGUMENT naming `field`[i] for a
  // rule runc refuses: an empty access, a type other than a, b or c, a
  // deny that would punch a hole in a wildcard rule.
  static absl::StatusOr<DeviceRules> FromSpec(
      const google::protobuf::RepeatedPtrField<runsc::oci::v1::DeviceCgroup>& rules,
      absl::string_view field);

  // Whether an open for `access` (of "rwm") of device `type` ('c' or 'b')
  // major:minor passes, as the kernel checks it: in an allow-list, one
  // rule must match with all of it; in a deny-list, no matching rule may
  // deny any of it.
  bool Allows(char type, int64_t major, int64_t minor, absl::string_view access) const;

 private:
  using Key = std::tuple<char, int64_t, int64_t>;  // type, major, minor (-1: any)
  absl::Status Apply(bool allow, char type, int64_t major, int64_t minor, uint8_t perms);

  bool default_allow_ = false;
  std::map<Key, uint8_t> rules_;  // the exceptions to the default: r 1, w 2, m 4
};

}  // namespace runsc::specutils

#endif  // RUNSC_SPECUTILS_DEVICE_RULES_H_
