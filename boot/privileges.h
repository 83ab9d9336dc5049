// Dropping the sandbox process's privileges: from uid 0 of its user namespace
// (full capabilities there, none on the host) to nobody with nothing.
#ifndef RUNSC_BOOT_PRIVILEGES_H_
#define RUNSC_BOOT_PRIVILEGES_H_

#include <string>

#include "absl/status/status.h"

namespace runsc::boot {

// Clears supplementary groups and sets all gids to nobody (65534), keeping
// uid 0 and its capabilities. Done first so files the boot creates have a
// mapped group.
absl::Status SetGroupsToNobody();

// Drops the capability bounding set and the ambient set, sets every uid to
// nobody (65534), clears the remaining sets (effective, permitted,
// inheritable), verifies that none is left, and sets no_new_privs.
absl::Status DropToNobody();

// Makes the calling process the possessor of a new session keyring, named
// `name` or anonymous when empty, and of the host caller's no longer.
// (Possession grants the keyring's possessor permissions whatever the
// uid, so a sandbox must never inherit the daemon's or the CLI caller's.)
// A kernel without keyrings (ENOSYS) has nothing to leave: OK.
absl::Status JoinNewSessionKeyring(const std::string& name);

}  // namespace runsc::boot

#endif  // RUNSC_BOOT_PRIVILEGES_H_
