#include "sandbox/userns_cache.h"

#include <errno.h>
#include <fcntl.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "runsc/util/errno_status.h"
#include "runsc/util/status_macros.h"
#include "runsc/util/userns_holder.h"

namespace runsc::sandbox {

using specutils::IdMapping;
using util::ErrnoError;
using util::UniqueFd;

namespace {

std::string SortedLines(std::vector<IdMapping> map) {
  std::sort(map.begin(), map.end(), [](const IdMapping& a, const IdMapping& b) {
    return std::tie(a.container_id, a.host_id, a.size) <
           std::tie(b.container_id, b.host_id, b.size);
  });
  return specutils::FormatIdMap(map);
}


}  // namespace

std::string UsernsCache::MappingKey(const std::vector<IdMapping>& uid_map,
                                    const std::vector<IdMapping>& gid_map) {
  return absl::StrCat("u:", SortedLines(uid_map), "g:", SortedLines(gid_map));
}

int UsernsCache::created() const {
  absl::MutexLock lock(&mu_);
  return created_;
}

size_t UsernsCache::size() const {
  absl::MutexLock lock(&mu_);
  return entries_.size();
}

absl::StatusOr<UniqueFd> UsernsCache::Get(const std::vector<IdMapping>& uid_map,
                                          const std::vector<IdMapping>& gid_map,
                                          util::UsernsHolder* holder) {
  RETURN_IF_ERROR(specutils::ValidateIdMap(uid_map));
  RETURN_IF_ERROR(specutils::ValidateIdMap(gid_map));
  const std::string key = MappingKey(uid_map, gid_map);
  absl::MutexLock lock(&mu_);
  auto dup_of = [](const UniqueFd& fd) -> absl::StatusOr<UniqueFd> {
    UniqueFd copy(fcntl(fd.get(), F_DUPFD_CLOEXEC, 0));
    if (!copy) return ErrnoError(errno, "dup a user namespace fd");
    return copy;
  };
  auto it = entries_.find(key);
  if (it != entries_.end()) {
    it->second.last_used = ++uses_;
    return dup_of(it->second.fd);
  }

  ASSIGN_OR_RETURN(
      util::UserNamespace made,
      util::MakeUserNamespace(specutils::FormatIdMap(uid_map), specutils::FormatIdMap(gid_map)));
  if (holder != nullptr) *holder = std::move(made.holder);
  UniqueFd ns = std::move(made.fd);
  ++created_;
  absl::StatusOr<UniqueFd> out = dup_of(ns);
  if (!out.ok()) return out.status();
  if (entries_.size() >= capacity_ && !entries_.empty()) {
    auto oldest = std::min_element(entries_.begin(), entries_.end(), [](auto& a, auto& b) {
      return a.second.last_used < b.second.last_used;
    });
    entries_.erase(oldest);
  }
  if (capacity_ > 0) entries_[key] = Entry{std::move(ns), ++uses_};
  return out;
}

}  // namespace runsc::sandbox
