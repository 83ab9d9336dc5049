// The one translation from an OCI runtime spec (config.json) to runsc's
// validated ContainerConfig (proto/boot.proto). Code that runs containers
// never reads the spec. Pure: the caller reads the file.
//
// Every error is INVALID_ARGUMENT and names the field, e.g.
// "process.cwd: must be an absolute path, got 'tmp'".
#ifndef RUNSC_SPECUTILS_OCI_SPEC_H_
#define RUNSC_SPECUTILS_OCI_SPEC_H_

#include <stddef.h>
#include <stdint.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "proto/boot.pb.h"
#include "proto/oci.pb.h"
#include "specutils/id_map.h"

namespace runsc::specutils {

// Parses config.json text. Unknown keys are ignored, as the spec allows
// extensions; wrong types and malformed JSON are errors.
absl::StatusOr<runsc::oci::v1::Spec> ParseSpecJson(absl::string_view json);
// One process object, as `exec --process FILE` takes it (what containerd's
// shim and podman write); errors name `file`.
absl::StatusOr<runsc::oci::v1::Process> ParseProcessJson(absl::string_view json,
                                                        absl::string_view file);

// Validates `spec` and converts it. `bundle_dir` (absolute) resolves a
// relative root.path and relative bind sources.
absl::StatusOr<runsc::boot::v1::ContainerConfig> ToContainerConfig(
    const runsc::oci::v1::Spec& spec, absl::string_view bundle_dir);

// INVALID_ARGUMENT naming `field` if `id` is 4294967295, (uid_t)-1, which
// setresuid and setresgid take as "leave it as it is": the process would
// keep the launcher's ids, not get the ones asked for.
absl::Status CheckProcessId(uint32_t id, absl::string_view field);

// A string the kernel reads as a C string (an argument, a variable, a
// path): a NUL would cut it short, so that another one than asked for
// took effect. INVALID_ARGUMENT naming `field` if it holds one.
absl::Status CheckNoNul(absl::string_view value, absl::string_view field);

// Whether `process`'s uid, gid and additional gids are ids of the
// container `config` describes (its user namespace maps them): an
// INVALID_ARGUMENT naming the field (as `fields` spell them) and the
// container's ranges if not. A process started with one would fail at its
// setresuid, naming no field.
struct IdFields {
  absl::string_view uid, gid, additional_gids;
};
absl::Status CheckIdsMapped(const runsc::boot::v1::ContainerConfig& config,
                            const runsc::boot::v1::ProcessConfig& process, const IdFields& fields);

// The kernel's largest pids.max (PID_MAX_LIMIT) and cpu quota (2^44-1 us):
// above them the cgroup write fails naming a file, not the field.
inline constexpr int64_t kMaxPidsLimit = 4194304;
inline constexpr int64_t kMaxCpuQuotaUs = (int64_t{1} << 44) - 1;

// `runsc update -r FILE`'s input: a linux.resources object.
absl::StatusOr<runsc::oci::v1::Resources> ParseResourcesJson(absl::string_view json,
                                                            absl::string_view file);
// The least memory limit a container may have (Docker's floor too). Each
// sandbox's launcher enters the container's cgroup at its clone, while it
// still runs on the memory of the process that spawned it (the daemon, or
// the CLI command): the kernel objects of its start (namespaces, its exec)
// are charged to that cgroup, and an OOM kill there would take every
// process that shares that memory, the daemon included. Below this, such a
// start could hit the limit.
inline constexpr int64_t kMinMemoryLimitBytes = 6 << 20;
// INVALID_ARGUMENT naming `field` if memory limit `bytes` (> 0: a limit)
// is below kMinMemoryLimitBytes: the spec's, the API's and `update`'s.
absl::Status CheckMemoryLimit(int64_t bytes, absl::string_view field);

// The largest JSON file read for a container: a bundle's config.json, an
// exec's process file, `update`'s resources.
inline constexpr size_t kMaxSpecFileBytes = 1 << 20;

// Validates and converts resources; errors name "linux.resources.<field>".
// Unset (or -1, "unlimited") fields stay unset.
absl::Status ConvertResources(const runsc::oci::v1::Resources& in,
                              runsc::boot::v1::ResourceConfig* out);

// Validates and converts one process (the spec's, or an exec's).
// `field` prefixes errors ("process").
absl::StatusOr<runsc::boot::v1::ProcessConfig> ToProcessConfig(
    const runsc::oci::v1::Process& process, bool has_seccomp,
    const runsc::oci::v1::Seccomp& seccomp, absl::string_view field);

// A container's workload uid and gid maps (container id -> host id): the
// spec's own (ContainerConfig.uid_mappings, gid_mappings), or, where it names
// none, 0..65535 -> the sandbox's private range at `host_base`. (The nested
// maps need only the container ranges: any base will do for those.)
WorkloadIds WorkloadIdsOf(const runsc::boot::v1::ContainerConfig& config, uint32_t host_base);

// Lexically cleans an absolute path ("/a/./b/../c" -> "/a/c"). Errors name
// `field` when the path is not absolute.
absl::StatusOr<std::string> CleanAbsolutePath(absl::string_view path,
                                              absl::string_view field);

}  // namespace runsc::specutils

#endif  // RUNSC_SPECUTILS_OCI_SPEC_H_
