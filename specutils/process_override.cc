#include "specutils/process_override.h"

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "runsc/util/status_macros.h"
#include "specutils/oci_spec.h"

namespace runsc::specutils {

absl::StatusOr<runsc::boot::v1::ProcessConfig> OverrideProcess(
    const runsc::boot::v1::ProcessConfig& base, const ProcessOverrides& o) {
  runsc::boot::v1::ProcessConfig out = base;
  if (o.args.empty()) return absl::InvalidArgumentError("process.args: must not be empty");
  if (o.args[0].empty()) return absl::InvalidArgumentError("process.args[0]: must not be empty");
  // execve reads each as a C string: a NUL would cut it short, and the
  // process would run with another argument than the one asked for.
  for (size_t i = 0; i < o.args.size(); ++i) {
    RETURN_IF_ERROR(CheckNoNul(o.args[i], absl::StrCat("process.args[", i, "]")));
  }
  for (size_t i = 0; i < o.env.size(); ++i) {
    RETURN_IF_ERROR(CheckNoNul(o.env[i], absl::StrCat("process.env[", i, "]")));
  }
  RETURN_IF_ERROR(CheckNoNul(o.cwd, "process.cwd"));
  out.clear_args();
  for (const std::string& a : o.args) out.add_args(a);
  // An entry replaces every entry of its key before it, the base's and the
  // overrides': the base's others keep their order, then the overrides'
  // last of each key, in order. Linear: a request may hold a million.
  absl::flat_hash_map<absl::string_view, size_t> last;  // key -> override index
  last.reserve(o.env.size());
  for (size_t i = 0; i < o.env.size(); ++i) {
    const std::string& kv = o.env[i];
    size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("process.env[", i, "]: '", kv, "' is not KEY=VALUE"));
    }
    last[absl::string_view(kv).substr(0, eq)] = i;
  }
  if (!last.empty()) {
    out.clear_env();
    for (const std::string& kv : base.env()) {
      // One without '=' (a spec's validation refuses it) names no key.
      const size_t eq = kv.find('=');
      if (eq == std::string::npos || !last.contains(absl::string_view(kv).substr(0, eq))) {
        out.add_env(kv);
      }
    }
    for (size_t i = 0; i < o.env.size(); ++i) {
      const std::string& kv = o.env[i];
      if (last[absl::string_view(kv).substr(0, kv.find('='))] == i) out.add_env(kv);
    }
  }
  if (!o.cwd.empty()) {
    ASSIGN_OR_RETURN(std::string cwd, CleanAbsolutePath(o.cwd, "process.cwd"));
    out.set_cwd(cwd);
  }
  if (o.uid.has_value()) {
    RETURN_IF_ERROR(CheckProcessId(*o.uid, "process.uid"));
    out.set_uid(*o.uid);
  }
  if (o.gid.has_value()) {
    RETURN_IF_ERROR(CheckProcessId(*o.gid, "process.gid"));
    out.set_gid(*o.gid);
  }
  if (!o.additional_gids.empty()) {
    out.clear_additional_gids();
    for (size_t i = 0; i < o.additional_gids.size(); ++i) {
      RETURN_IF_ERROR(
          CheckProcessId(o.additional_gids[i], absl::StrCat("process.additional_gids[", i, "]")));
      out.add_additional_gids(o.additional_gids[i]);
    }
  }
  out.set_terminal(o.terminal);
  return out;
}

}  // namespace runsc::specutils
