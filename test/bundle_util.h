// Test helpers: busybox-static OCI bundles, and running a process in a
// sandbox with its output captured.
#ifndef RUNSC_TEST_BUNDLE_UTIL_H_
#define RUNSC_TEST_BUNDLE_UTIL_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "proto/boot.pb.h"
#include "proto/control.pb.h"
#include "proto/oci.pb.h"
#include "sandbox/control_client.h"
#include "sandbox/sandbox.h"

namespace runsc::testing {

// <dir>/rootfs with /bin/busybox (a copy, never a symlink), its applets as
// symlinks, /etc/passwd and /etc/group, and any extra static binaries given.
absl::Status MakeBusyboxRootfs(const std::string& dir,
                               const std::vector<std::string>& extra_binaries = {});

// The spec `runc spec` writes, for a bundle at `dir`, running `args` without
// a terminal.
absl::StatusOr<runsc::oci::v1::Spec> RuncSpec(const std::string& dir,
                                              const std::vector<std::string>& args);

// Converts with specutils (the one translation).
absl::StatusOr<runsc::boot::v1::ContainerConfig> ToConfig(const runsc::oci::v1::Spec& spec,
                                                          const std::string& dir);

// Everything `fd` yields until EOF.
std::string ReadAll(int fd);

struct ProcessResult {
  std::string out;
  std::string err;
  runsc::control::v1::ExitStatus status;
};

// Hands stdio (stdin: `input`) to the sandbox, starts the main process (or
// execs `process` when given), collects stdout/stderr until EOF, and waits.
absl::StatusOr<ProcessResult> RunInSandbox(
    sandbox::Sandbox& box, const runsc::boot::v1::ProcessConfig* process = nullptr,
    const std::string& input = "");

// Hands /dev/null as stdio and starts the main process (or execs `process`);
// returns the pid without waiting.
absl::StatusOr<int> StartDetached(sandbox::Sandbox& box,
                                  const runsc::boot::v1::ProcessConfig* process = nullptr);

}  // namespace runsc::testing

#endif  // RUNSC_TEST_BUNDLE_UTIL_H_
