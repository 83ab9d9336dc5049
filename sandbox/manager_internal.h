// What the files of SandboxManager (manager.cc, manager_run.cc,
// manager_watch.cc) share, and nothing else includes.
#ifndef RUNSC_SANDBOX_MANAGER_INTERNAL_H_
#define RUNSC_SANDBOX_MANAGER_INTERNAL_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "sandbox/sandbox.h"

namespace runsc::sandbox::internal {

inline absl::Status NotFound(const std::string& id) {
  return absl::NotFoundError(absl::StrCat("sandbox '", id, "' not found"));
}

// NOT_FOUND if `box`'s directory holds another sandbox's record now (a CLI
// command deleted it, and its id was taken since): what its paths reach
// (the stdio socket) is that sandbox's, not to be acted on for this one.
inline absl::Status CheckNotSuperseded(const std::string& id, const Sandbox& box) {
  if (!box.Superseded()) return absl::OkStatus();
  return absl::NotFoundError(absl::StrCat(
      "sandbox '", id, "' was deleted outside the daemon; its id names another sandbox now"));
}

}  // namespace runsc::sandbox::internal

#endif  // RUNSC_SANDBOX_MANAGER_INTERNAL_H_
