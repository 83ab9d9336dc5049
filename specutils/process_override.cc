#include "specutils/process_override.h"

#include "absl/strings/str_cat.h"
#include "runsc/util/status_macros.h"
#include "specutils/oci_spec.h"

namespace runsc::specutils {

absl::StatusOr<runsc::boot::v1::ProcessConfig> OverrideProcess(
    const runsc::boot::v1::ProcessConfig& base, const ProcessOverrides& o) {
  runsc::boot::v1::ProcessConfig out = base;
  if (o.args.empty()) return absl::InvalidArgumentError("process.args: must not be empty");
  if (o.args[0].empty()) return absl::InvalidArgumentError("process.args[0]: must not be empty");
  out.clear_args();
  for (const std::string& a : o.args) out.add_args(a);
  for (size_t i = 0; i < o.env.size(); ++i) {
    const std::string& kv = o.env[i];
    size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("process.env[", i, "]: '", kv, "' is not KEY=VALUE"));
    }
    const std::string prefix = kv.substr(0, eq + 1);
    auto* env = out.mutable_env();
    for (int j = env->size() - 1; j >= 0; --j) {
      if (env->Get(j).rfind(prefix, 0) == 0) env->DeleteSubrange(j, 1);
    }
    out.add_env(kv);
  }
  if (!o.cwd.empty()) {
    ASSIGN_OR_RETURN(std::string cwd, CleanAbsolutePath(o.cwd, "process.cwd"));
    out.set_cwd(cwd);
  }
  if (o.uid.has_value()) out.set_uid(*o.uid);
  if (o.gid.has_value()) out.set_gid(*o.gid);
  if (!o.additional_gids.empty()) {
    out.clear_additional_gids();
    for (uint32_t g : o.additional_gids) out.add_additional_gids(g);
  }
  out.set_terminal(o.terminal);
  return out;
}

}  // namespace runsc::specutils
