#include "sandbox/bundle.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "runsc/util/errno_status.h"
#include "runsc/util/status_macros.h"
#include "runsc/util/unique_fd.h"
#include "specutils/oci_spec.h"

namespace runsc::sandbox {

using util::ErrnoError;
using util::UniqueFd;

namespace {
constexpr size_t kMaxConfigSize = 1 << 20;

}  // namespace

absl::StatusOr<runsc::boot::v1::ContainerConfig> LoadBundle(const std::string& bundle) {
  if (bundle.empty() || bundle[0] != '/') {
    return absl::InvalidArgumentError(
        absl::StrCat("bundle: must be an absolute path, got '", bundle, "'"));
  }
  const std::string path = bundle + "/config.json";
  // O_NONBLOCK: a FIFO (or a device) in its place would hold the open, and
  // the daemon's call with it, until a writer came; it is refused instead.
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
  if (!fd) return ErrnoError(errno, absl::StrCat("bundle: open '", path, "'"));
  struct stat st;
  if (fstat(fd.get(), &st) != 0)
    return ErrnoError(errno, absl::StrCat("bundle: stat '", path, "'"));
  if (!S_ISREG(st.st_mode)) {
    return absl::InvalidArgumentError(absl::StrCat("bundle: '", path, "' is not a regular file"));
  }
  std::string json;
  char buf[8192];
  ssize_t n;
  while ((n = read(fd.get(), buf, sizeof(buf))) > 0) {
    json.append(buf, static_cast<size_t>(n));
    if (json.size() > kMaxConfigSize) {
      return absl::InvalidArgumentError(
          absl::StrCat("bundle: '", path, "' is larger than ", kMaxConfigSize, " bytes"));
    }
  }
  if (n < 0) return ErrnoError(errno, absl::StrCat("bundle: read '", path, "'"));
  ASSIGN_OR_RETURN(runsc::oci::v1::Spec spec, specutils::ParseSpecJson(json));
  return specutils::ToContainerConfig(spec, bundle);
}

}  // namespace runsc::sandbox
