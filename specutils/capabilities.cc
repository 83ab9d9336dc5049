#include "specutils/capabilities.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace runsc::specutils {
namespace {

// Index = capability number (include/uapi/linux/capability.h).
constexpr const char* kNames[] = {
    "CAP_CHOWN",           "CAP_DAC_OVERRIDE",   "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",          "CAP_FSETID",         "CAP_KILL",
    "CAP_SETGID",          "CAP_SETUID",         "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",       "CAP_NET_RAW",        "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",       "CAP_SYS_MODULE",     "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",      "CAP_SYS_PTRACE",     "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",       "CAP_SYS_BOOT",       "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",    "CAP_SYS_TIME",       "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",           "CAP_LEASE",          "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",   "CAP_SETFCAP",        "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",       "CAP_SYSLOG",         "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",   "CAP_AUDIT_READ",     "CAP_PERFMON",
    "CAP_BPF",             "CAP_CHECKPOINT_RESTORE",
};

}  // namespace

int CapabilityCount() { return static_cast<int>(std::size(kNames)); }

absl::StatusOr<int> CapabilityFromName(absl::string_view name,
                                       absl::string_view field) {
  std::string upper = absl::AsciiStrToUpper(name);
  for (int i = 0; i < CapabilityCount(); ++i) {
    if (upper == kNames[i]) return i;
  }
  return absl::InvalidArgumentError(
      absl::StrCat(field, ": unknown capability '", name, "'"));
}

std::string CapabilityName(int cap) {
  if (cap < 0 || cap >= CapabilityCount()) return absl::StrCat("CAP_", cap);
  return kNames[cap];
}

absl::StatusOr<uint64_t> CapabilityMask(const std::vector<std::string>& names,
                                        absl::string_view field) {
  uint64_t mask = 0;
  for (size_t i = 0; i < names.size(); ++i) {
    absl::StatusOr<int> cap =
        CapabilityFromName(names[i], absl::StrCat(field, "[", i, "]"));
    if (!cap.ok()) return cap.status();
    mask |= uint64_t{1} << *cap;
  }
  return mask;
}

std::vector<std::string> DefaultCapabilities() {
  return {"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"};
}

}  // namespace runsc::specutils
