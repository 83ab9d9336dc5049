#include "boot/nested_userns.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "runsc/util/errno_status.h"
#include "runsc/util/file_util.h"
#include "runsc/util/status_macros.h"
#include "specutils/id_map.h"
#include "specutils/oci_spec.h"

namespace runsc::boot {

using util::ErrnoError;
using util::UniqueFd;

absl::StatusOr<UniqueFd> CreateNestedUserns(const char* proc_dir,
                                            const runsc::boot::v1::ContainerConfig& container) {
  // Only the container ranges matter here, not which host ids they end at
  // (the host wrote those into the sandbox's own map): any base will do.
  const specutils::WorkloadIds ids = specutils::WorkloadIdsOf(container, /*host_base=*/0);
  const std::string uid_map = specutils::FormatIdMap(specutils::WorkloadNestedMap(ids.uids));
  const std::string gid_map = specutils::FormatIdMap(specutils::WorkloadNestedMap(ids.gids));
  int ready[2], release[2];
  if (pipe2(ready, O_CLOEXEC) != 0 || pipe2(release, O_CLOEXEC) != 0) {
    return ErrnoError(errno, "pipe2 for the userns holder");
  }
  UniqueFd ready_r(ready[0]), ready_w(ready[1]), release_r(release[0]), release_w(release[1]);
  pid_t pid = fork();
  if (pid < 0) return ErrnoError(errno, "fork userns holder");
  if (pid == 0) {
    // Our copies of the parent's ends would keep the pipes open forever.
    close(release_w.get());
    close(ready_r.get());
    char c = unshare(CLONE_NEWUSER) == 0 ? 'y' : 'n';
    ssize_t ignored = write(ready_w.get(), &c, 1);
    ignored = read(release_r.get(), &c, 1);  // until the parent is done
    (void)ignored;
    _exit(0);
  }
  absl::Cleanup reap = [pid, &release_w] {
    release_w.reset();
    waitpid(pid, nullptr, 0);
  };
  ready_w.reset();
  char c = 0;
  if (read(ready_r.get(), &c, 1) != 1 || c != 'y') {
    return absl::InternalError("the userns holder could not unshare(CLONE_NEWUSER)");
  }
  const std::string base = absl::StrCat(proc_dir, "/", pid, "/");
  RETURN_IF_ERROR(util::WriteKernelFile(base + "uid_map", uid_map));
  RETURN_IF_ERROR(util::WriteKernelFile(base + "gid_map", gid_map));
  UniqueFd ns(open((base + "ns/user").c_str(), O_RDONLY | O_CLOEXEC));
  if (!ns) return ErrnoError(errno, absl::StrCat("open '", base, "ns/user'"));
  return ns;
}

}  // namespace runsc::boot
