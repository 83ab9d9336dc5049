#include "specutils/rlimits.h"

#include <sys/resource.h>

#include "absl/strings/str_cat.h"

namespace runsc::specutils {

absl::StatusOr<int> RlimitFromName(absl::string_view name, absl::string_view field) {
  static constexpr struct {
    const char* name;
    int resource;
  } kTable[] = {
      {"RLIMIT_AS", RLIMIT_AS},           {"RLIMIT_CORE", RLIMIT_CORE},
      {"RLIMIT_CPU", RLIMIT_CPU},         {"RLIMIT_DATA", RLIMIT_DATA},
      {"RLIMIT_FSIZE", RLIMIT_FSIZE},     {"RLIMIT_LOCKS", RLIMIT_LOCKS},
      {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK}, {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
      {"RLIMIT_NICE", RLIMIT_NICE},       {"RLIMIT_NOFILE", RLIMIT_NOFILE},
      {"RLIMIT_NPROC", RLIMIT_NPROC},     {"RLIMIT_RSS", RLIMIT_RSS},
      {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},   {"RLIMIT_RTTIME", RLIMIT_RTTIME},
      {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING}, {"RLIMIT_STACK", RLIMIT_STACK},
  };
  for (const auto& entry : kTable) {
    if (name == entry.name) return entry.resource;
  }
  return absl::InvalidArgumentError(
      absl::StrCat(field, ": unknown rlimit '", name, "'"));
}

}  // namespace runsc::specutils
