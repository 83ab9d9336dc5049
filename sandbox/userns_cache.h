// UsernsCache: user-namespace fds that carry a given uid/gid mapping, for
// idmapped mounts. Making one costs a clone, so a mapping's namespace is
// kept while it is among the `capacity` most recently used; the key
// ignores the order of the mapping's lines. A sandbox's mounts share one
// mapping (its range), so each sandbox makes at most one; the bound keeps a
// long-running daemon, whose sandboxes each get a fresh range, from holding
// a namespace for every sandbox it ever made.
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
#include "runsc/util/userns_holder.h"
#include "specutils/id_map.h"

namespace runsc::sandbox {

class UsernsCache final {
 public:
  // The cache key of a mapping: its lines sorted, uid and gid maps apart.
  static std::string MappingKey(const std::vector<specutils::IdMapping>& uid_map,
                                const std::vector<specutils::IdMapping>& gid_map);

  explicit UsernsCache(size_t capacity = 16) : capacity_(capacity) {}

  // A user-namespace fd of the caller's (a duplicate of the cached one)
  // whose uid_map and gid_map are the given mappings, host ids as seen
  // from here. A namespace made now had a holder process: with `holder`,
  // it is the caller's to reap when it likes (util::UsernsHolder), else it
  // is reaped before this returns.
  absl::StatusOr<util::UniqueFd> Get(const std::vector<specutils::IdMapping>& uid_map,
                                     const std::vector<specutils::IdMapping>& gid_map,
                                     util::UsernsHolder* holder = nullptr);

  // How many namespaces have been created, and how many are kept (for tests).
  int created() const;
  size_t size() const;

 private:
  struct Entry {
    util::UniqueFd fd;
    uint64_t last_used = 0;
  };
  const size_t capacity_;
  mutable absl::Mutex mu_;
  std::map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
  uint64_t uses_ ABSL_GUARDED_BY(mu_) = 0;
  int created_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace runsc::sandbox

#endif  // RUNSC_SANDBOX_USERNS_CACHE_H_
