// What the files of SandboxManager (manager.cc, manager_run.cc,
// manager_watch.cc) share, and nothing else includes.
#ifndef RUNSC_SANDBOX_MANAGER_INTERNAL_H_
#define RUNSC_SANDBOX_MANAGER_INTERNAL_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace runsc::sandbox::internal {

inline absl::Status NotFound(const std::string& id) {
  return absl::NotFoundError(absl::StrCat("sandbox '", id, "' not found"));
}

}  // namespace runsc::sandbox::internal

#endif  // RUNSC_SANDBOX_MANAGER_INTERNAL_H_
