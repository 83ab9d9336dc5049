#include "specutils/sysctl.h"

#include <sched.h>
#include <stdint.h>

#include <algorithm>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"

namespace runsc::specutils {
namespace {

constexpr absl::string_view kPingGroupRange = "net.ipv4.ping_group_range";

// The IPC and UTS namespaces' parameters, as runc allows them.
constexpr absl::string_view kIpcSysctls[] = {
    "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni",  "kernel.sem",
    "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced"};
// kernel.hostname is the spec's hostname field's to set, as runc holds.
constexpr absl::string_view kUtsSysctls[] = {"kernel.domainname"};

absl::Status Invalid(absl::string_view key, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("linux.sysctl[\"", key, "\"]: ", what));
}

// "lo hi" through `map`: the mapped part of lo..hi that starts in the first
// range it meets, as the writer's ids.
std::string TranslateGidRange(absl::string_view value, const std::vector<IdMapping>& map) {
  std::vector<absl::string_view> f =
      absl::StrSplit(value, absl::ByAnyChar(" \t"), absl::SkipEmpty());
  uint32_t lo, hi;
  if (f.size() != 2 || !absl::SimpleAtoi(f[0], &lo) || !absl::SimpleAtoi(f[1], &hi)) {
    return std::string(value);  // the kernel says what is wrong with it
  }
  std::optional<std::pair<uint32_t, uint32_t>> best;
  for (const IdMapping& m : map) {
    const uint64_t first = std::max<uint64_t>(lo, m.container_id);
    const uint64_t last = std::min<uint64_t>(hi, uint64_t{m.container_id} + m.size - 1);
    if (first > last) continue;
    if (!best.has_value() || first < best->first) {
      best = std::make_pair(static_cast<uint32_t>(first), static_cast<uint32_t>(last));
    }
  }
  if (!best.has_value()) return "1 0";
  return absl::StrCat(*MapId(map, best->first), " ", *MapId(map, best->second));
}

}  // namespace

int SysctlNamespace(absl::string_view key) {
  if (absl::StartsWith(key, "net.")) return CLONE_NEWNET;
  if (std::find(std::begin(kUtsSysctls), std::end(kUtsSysctls), key) != std::end(kUtsSysctls)) {
    return CLONE_NEWUTS;
  }
  return CLONE_NEWIPC;
}

absl::Status ValidateSysctl(absl::string_view key, absl::string_view value) {
  for (absl::string_view part : absl::StrSplit(key, '.')) {
    if (part.empty() || !std::all_of(part.begin(), part.end(), [](char c) {
          return absl::ascii_isalnum(c) || c == '_' || c == '-';
        })) {
      return Invalid(key, "not a kernel parameter name (dot-separated letters, digits, _ and -)");
    }
  }
  if (key == "kernel.hostname") {
    return Invalid(key, "conflicts with the spec's hostname field; set that instead");
  }
  const bool allowed = absl::StartsWith(key, "net.") || absl::StartsWith(key, "fs.mqueue.") ||
                       std::find(std::begin(kIpcSysctls), std::end(kIpcSysctls), key) !=
                           std::end(kIpcSysctls) ||
                       std::find(std::begin(kUtsSysctls), std::end(kUtsSysctls), key) !=
                           std::end(kUtsSysctls);
  if (!allowed) {
    return Invalid(key,
                   "not scoped by the container's own namespaces (IPC, UTS, network): "
                   "setting it would change the host");
  }
  if (value.size() > 4096 || value.find('\0') != absl::string_view::npos) {
    return Invalid(key, "the value is longer than a page or holds a NUL");
  }
  return absl::OkStatus();
}

std::vector<std::pair<std::string, std::string>> SysctlWrites(
    const google::protobuf::Map<std::string, std::string>& sysctl, int ns_type,
    const std::vector<IdMapping>& gid_map) {
  std::vector<std::pair<std::string, std::string>> writes;
  for (const auto& [key, value] : sysctl) {
    if (SysctlNamespace(key) != ns_type) continue;
    writes.emplace_back(absl::StrReplaceAll(key, {{".", "/"}}),
                        key == kPingGroupRange ? TranslateGidRange(value, gid_map) : value);
  }
  // A map's order is unspecified; the writes' is not.
  std::sort(writes.begin(), writes.end());
  return writes;
}

}  // namespace runsc::specutils
