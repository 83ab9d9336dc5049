#include "boot/privileges.h"

#include <errno.h>
#include <grp.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "runsc/util/errno_status.h"
#include "specutils/id_map.h"

namespace runsc::boot {

using specutils::kNobodyId;
using util::ErrnoError;

absl::Status SetGroupsToNobody() {
  if (setgroups(0, nullptr) != 0) return ErrnoError(errno, "setgroups([])");
  if (setresgid(kNobodyId, kNobodyId, kNobodyId) != 0) {
    return ErrnoError(errno, "setresgid(65534)");
  }
  return absl::OkStatus();
}

absl::Status DropToNobody() {
  // The bounding set can only be lowered while CAP_SETPCAP is held.
  // cap_max_bits() is what the running kernel knows, which may exceed the
  // headers' CAP_LAST_CAP.
  const int cap_count = static_cast<int>(cap_max_bits());
  for (int cap = 0; cap < cap_count; ++cap) {
    if (cap_drop_bound(static_cast<cap_value_t>(cap)) != 0) {
      return ErrnoError(errno, absl::StrCat("cap_drop_bound(", cap, ")"));
    }
  }
  if (cap_reset_ambient() != 0) return ErrnoError(errno, "cap_reset_ambient");
  if (setgroups(0, nullptr) != 0) return ErrnoError(errno, "setgroups([])");
  if (setresgid(kNobodyId, kNobodyId, kNobodyId) != 0) {
    return ErrnoError(errno, "setresgid(65534)");
  }
  // Leaving uid 0 clears the permitted and effective sets (no KEEPCAPS).
  if (setresuid(kNobodyId, kNobodyId, kNobodyId) != 0) {
    return ErrnoError(errno, "setresuid(65534)");
  }
  cap_t empty = cap_init();
  if (empty == nullptr) return ErrnoError(errno, "cap_init");
  int rc = cap_set_proc(empty);
  int err = errno;
  if (rc != 0) {
    cap_free(empty);
    return ErrnoError(err, "cap_set_proc(empty)");
  }
  cap_t now = cap_get_proc();
  bool all_clear = now != nullptr && cap_compare(now, empty) == 0;
  cap_free(now);
  cap_free(empty);
  if (!all_clear) return absl::InternalError("capabilities remain after the drop");
  for (int cap = 0; cap < cap_count; ++cap) {
    if (cap_get_bound(static_cast<cap_value_t>(cap)) != 0) {
      return absl::InternalError(
          absl::StrCat("capability ", cap, " remains in the bounding set"));
    }
  }
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    return ErrnoError(errno, "prctl(PR_SET_NO_NEW_PRIVS)");
  }
  return absl::OkStatus();
}

absl::Status JoinNewSessionKeyring(const std::string& name) {
  constexpr int kKeyctlJoinSessionKeyring = 1;  // KEYCTL_JOIN_SESSION_KEYRING
  if (syscall(SYS_keyctl, kKeyctlJoinSessionKeyring, name.empty() ? nullptr : name.c_str()) < 0 &&
      errno != ENOSYS) {
    return util::ErrnoError(errno, absl::StrCat("join a new session keyring",
                                                name.empty() ? "" : " '" + name + "'"));
  }
  return absl::OkStatus();
}

}  // namespace runsc::boot
