// UsernsCache: user-namespace fds that carry a given uid/gid mapping, for
// idmapped mounts. Making one costs a clone, so each distinct mapping is made
// once and kept; the key ignores the order of the mapping's lines.
//
// Thread safety: thread-safe.
#ifndef RUNSC_SANDBOX_USERNS_CACHE_H_
#define RUNSC_SANDBOX_USERNS_CACHE_H_

#include <map>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "runsc/util/unique_fd.h"
#include "specutils/id_map.h"

namespace runsc::sandbox {

class UsernsCache final {
 public:
  // The cache key of a mapping: its lines sorted, uid and gid maps apart.
  static std::string MappingKey(const std::vector<specutils::IdMapping>& uid_map,
                                const std::vector<specutils::IdMapping>& gid_map);

  // A user-namespace fd (owned by the cache; valid while it lives) whose
  // uid_map and gid_map are the given mappings, host ids as seen from here.
  absl::StatusOr<int> Get(const std::vector<specutils::IdMapping>& uid_map,
                          const std::vector<specutils::IdMapping>& gid_map);

  // How many namespaces have been created (for tests).
  int created() const;

 private:
  mutable absl::Mutex mu_;
  std::map<std::string, util::UniqueFd> fds_ ABSL_GUARDED_BY(mu_);
  int created_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace runsc::sandbox

#endif  // RUNSC_SANDBOX_USERNS_CACHE_H_
