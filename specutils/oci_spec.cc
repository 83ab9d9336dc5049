#include "specutils/oci_spec.h"

#include <linux/capability.h>
#include <stdint.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <algorithm>
#include <optional>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "runsc/util/status_macros.h"
#include "specutils/capabilities.h"
#include "specutils/device_rules.h"
#include "specutils/id_map.h"
#include "specutils/mount_options.h"
#include "specutils/oci_json.h"
#include "specutils/rlimits.h"
#include "specutils/seccomp_spec.h"
#include "specutils/sysctl.h"

namespace runsc::specutils {

using runsc::boot::v1::ContainerConfig;
using runsc::boot::v1::ProcessConfig;

namespace {

absl::Status Invalid(absl::string_view field, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", what));
}

std::vector<std::string> ToVector(
    const google::protobuf::RepeatedPtrField<std::string>& field) {
  return {field.begin(), field.end()};
}

// A hostname or domainname (`field`): the kernel takes 64 bytes of each.
absl::Status ValidateHostname(absl::string_view hostname, absl::string_view field) {
  if (hostname.size() > 64) return Invalid(field, "longer than 64 characters");
  for (char c : hostname) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
    if (!ok) {
      return Invalid(field, absl::StrCat("'", hostname,
                                         "' has a character "
                                         "that is not a letter, digit, '-', '.' or '_'"));
    }
  }
  return absl::OkStatus();
}

absl::Status ConvertHooks(const google::protobuf::RepeatedPtrField<runsc::oci::v1::Hook>& in,
                          const std::string& field,
                          google::protobuf::RepeatedPtrField<runsc::boot::v1::HookConfig>* out) {
  for (int i = 0; i < in.size(); ++i) {
    const auto& h = in[i];
    const std::string f = absl::StrCat(field, "[", i, "]");
    if (h.path().empty() || h.path()[0] != '/') {
      return Invalid(f + ".path", absl::StrCat("must be an absolute path, got '", h.path(), "'"));
    }
    if (h.has_timeout() && h.timeout() <= 0) {
      return Invalid(f + ".timeout", absl::StrCat(h.timeout(), " is not a positive number of seconds"));
    }
    for (int e = 0; e < h.env_size(); ++e) {
      if (h.env(e).find('=') == std::string::npos) {
        return Invalid(absl::StrCat(f, ".env[", e, "]"),
                       absl::StrCat("'", h.env(e), "' is not KEY=VALUE"));
      }
    }
    auto* hook = out->Add();
    hook->set_path(h.path());
    *hook->mutable_args() = h.args();
    *hook->mutable_env() = h.env();
    if (h.has_timeout()) hook->set_timeout_seconds(static_cast<uint32_t>(h.timeout()));
  }
  return absl::OkStatus();
}

absl::StatusOr<runsc::boot::v1::SchedulerConfig> ToScheduler(const runsc::oci::v1::Scheduler& in,
                                                              const std::string& f) {
  static const std::map<std::string, uint32_t> kPolicies = {
      {"SCHED_OTHER", 0}, {"SCHED_FIFO", 1}, {"SCHED_RR", 2},
      {"SCHED_BATCH", 3}, {"SCHED_IDLE", 5}, {"SCHED_DEADLINE", 6}};
  static const std::map<std::string, uint64_t> kFlags = {
      {"SCHED_FLAG_RESET_ON_FORK", 0x01}, {"SCHED_FLAG_RECLAIM", 0x02},
      {"SCHED_FLAG_DL_OVERRUN", 0x04},    {"SCHED_FLAG_KEEP_POLICY", 0x08},
      {"SCHED_FLAG_KEEP_PARAMS", 0x10},   {"SCHED_FLAG_UTIL_CLAMP_MIN", 0x20},
      {"SCHED_FLAG_UTIL_CLAMP_MAX", 0x40}};
  runsc::boot::v1::SchedulerConfig out;
  auto policy = kPolicies.find(in.policy());
  if (policy == kPolicies.end()) {
    return Invalid(f + ".policy", absl::StrCat("unknown policy '", in.policy(), "'"));
  }
  if (in.nice() < -20 || in.nice() > 19) {
    return Invalid(f + ".nice", absl::StrCat(in.nice(), " is outside -20..19"));
  }
  const bool realtime = policy->second == 1 || policy->second == 2;
  if (realtime ? (in.priority() < 1 || in.priority() > 99) : in.priority() != 0) {
    return Invalid(f + ".priority", absl::StrCat(in.priority(), realtime
                                                                    ? " is outside 1..99"
                                                                    : " must be 0 for this policy"));
  }
  for (int i = 0; i < in.flags_size(); ++i) {
    auto flag = kFlags.find(in.flags(i));
    if (flag == kFlags.end()) {
      return Invalid(absl::StrCat(f, ".flags[", i, "]"),
                     absl::StrCat("unknown flag '", in.flags(i), "'"));
    }
    out.set_flags(out.flags() | flag->second);
  }
  out.set_set(true);
  out.set_policy(policy->second);
  out.set_nice(in.nice());
  out.set_priority(static_cast<uint32_t>(in.priority()));
  out.set_runtime(in.runtime());
  out.set_deadline(in.deadline());
  out.set_period(in.period());
  return out;
}

absl::StatusOr<uint32_t> ToIoPriority(const runsc::oci::v1::IoPriority& in, const std::string& f) {
  static const std::map<std::string, uint32_t> kClasses = {
      {"IOPRIO_CLASS_RT", 1}, {"IOPRIO_CLASS_BE", 2}, {"IOPRIO_CLASS_IDLE", 3}};
  auto cls = kClasses.find(in.class_());
  if (cls == kClasses.end()) {
    return Invalid(f + ".class", absl::StrCat("unknown class '", in.class_(), "'"));
  }
  if (in.priority() < 0 || in.priority() > 7) {
    return Invalid(f + ".priority", absl::StrCat(in.priority(), " is outside 0..7"));
  }
  return (cls->second << 13) | static_cast<uint32_t>(in.priority());
}

}  // namespace

absl::Status CheckMemoryLimit(int64_t bytes, absl::string_view field) {
  if (bytes <= 0 || bytes >= kMinMemoryLimitBytes) return absl::OkStatus();
  return Invalid(field, absl::StrCat(bytes, " is below the least limit runsc takes, ",
                                     kMinMemoryLimitBytes, " (6 MiB)"));
}

namespace {

// The ranges of `map`'s container ids, as "0-65535" (one per mapping).
std::string ContainerIdRanges(const std::vector<IdMapping>& map) {
  std::vector<std::string> ranges;
  for (const IdMapping& m : map) {
    ranges.push_back(absl::StrCat(m.container_id, "-", m.container_id + m.size - 1));
  }
  return absl::StrJoin(ranges, ", ");
}

// The main process's ids must be ids of the container's: an id its user
// namespace does not map failed at the start, as setresuid's EINVAL
// (`--user 1000000`; a container's ids go to 65535 unless the spec maps
// more).
absl::Status CheckProcessIdsMapped(const ContainerConfig& config) {
  return CheckIdsMapped(config, config.process(),
                        {"process.user.uid", "process.user.gid", "process.user.additionalGids"});
}

}  // namespace

absl::Status CheckIdsMapped(const ContainerConfig& config,
                            const runsc::boot::v1::ProcessConfig& process, const IdFields& fields) {
  const WorkloadIds ids = WorkloadIdsOf(config, /*host_base=*/0);
  auto check = [](const std::vector<IdMapping>& map, uint32_t id, const std::string& field) {
    if (MapId(map, id).has_value()) return absl::OkStatus();
    return Invalid(
        field, absl::StrCat(id, " is not an id of the container's (", ContainerIdRanges(map), ")"));
  };
  RETURN_IF_ERROR(check(ids.uids, process.uid(), std::string(fields.uid)));
  RETURN_IF_ERROR(check(ids.gids, process.gid(), std::string(fields.gid)));
  for (int i = 0; i < process.additional_gids_size(); ++i) {
    RETURN_IF_ERROR(check(ids.gids, process.additional_gids(i),
                          absl::StrCat(fields.additional_gids, "[", i, "]")));
  }
  return absl::OkStatus();
}

absl::Status CheckNoNul(absl::string_view value, absl::string_view field) {
  if (value.find('\0') == absl::string_view::npos) return absl::OkStatus();
  return Invalid(field, "must not contain a NUL byte");
}

absl::Status CheckProcessId(uint32_t id, absl::string_view field) {
  if (id != UINT32_MAX) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(field, ": 4294967295 is (uid_t)-1, which the kernel takes as no change"));
}

// The access ("r", "w", "m") that linux.resources.devices leaves a workload
// on device `type` major:minor, as the device cgroup reads the rules: in
// order, each matching one adding (allow) or taking away (deny) its access,
// from all access (no rules: nothing is limited). An empty access is all.
std::string DeviceRuleAccess(const runsc::oci::v1::Resources& resources, char type, int64_t major,
                             int64_t minor) {
  bool access[3] = {true, true, true};
  constexpr char kKinds[] = {'r', 'w', 'm'};
  for (const auto& rule : resources.devices()) {
    const std::string& t = rule.type();
    const char rule_type = t == "u" ? 'c' : t.empty() ? 'a' : t[0];
    if (rule_type != 'a' && rule_type != type) continue;
    if (rule.has_major() && rule.major() >= 0 && rule.major() != major) continue;
    if (rule.has_minor() && rule.minor() >= 0 && rule.minor() != minor) continue;
    for (int k = 0; k < 3; ++k) {
      if (rule.access().empty() || rule.access().find(kKinds[k]) != std::string::npos) {
        access[k] = rule.allow();
      }
    }
  }
  std::string out;
  for (int k = 0; k < 3; ++k) {
    if (access[k]) out.push_back(kKinds[k]);
  }
  return out;
}

absl::Status ConvertResources(const runsc::oci::v1::Resources& in,
                              runsc::boot::v1::ResourceConfig* out) {
  const std::string base = "linux.resources";
  if (in.has_memory()) {
    const auto& m = in.memory();
    if (m.has_limit()) {
      if (m.limit() == 0 || m.limit() < -1) {
        return Invalid(base + ".memory.limit",
                       absl::StrCat(m.limit(), " is not a positive byte count or -1"));
      }
      RETURN_IF_ERROR(CheckMemoryLimit(m.limit(), base + ".memory.limit"));
      // -1: none (an update lifts the limit in force).
      out->set_memory_max(m.limit());
    }
    if (m.has_swap()) {
      if (m.swap() < -1 || m.swap() == 0) {
        return Invalid(base + ".memory.swap",
                       absl::StrCat(m.swap(), " is not a positive byte count or -1"));
      }
      if (m.swap() > 0 && m.has_limit() && m.limit() > 0 && m.swap() < m.limit()) {
        return Invalid(base + ".memory.swap",
                       absl::StrCat("memory+swap ", m.swap(),
                                    " is below the memory limit ", m.limit()));
      }
      if (m.swap() > 0 && m.has_limit() && m.limit() < 0) {
        return Invalid(base + ".memory.swap", "limits memory+swap of a memory without a limit");
      }
      out->set_memory_swap(m.swap());
    }
    if (m.has_reservation()) {
      if (m.reservation() < -1) {
        return Invalid(base + ".memory.reservation",
                       absl::StrCat(m.reservation(), " is not a byte count or -1"));
      }
      out->set_memory_reservation(m.reservation());  // -1: none (an update lifts it)
    }
    // What asks for a limit or a behaviour runsc does not give: refused,
    // never run without. (memory.kernel is not: runc ignores it too, as
    // kernels since 5.4 do.)
    if (m.has_kernel_tcp() && m.kernel_tcp() > 0) {
      return Invalid(base + ".memory.kernelTCP", "runsc does not limit kernel TCP memory");
    }
    // Docker writes -1 (as uint64) for "the default", which runc skips.
    if (m.has_swappiness() && m.swappiness() != UINT64_MAX) {
      if (m.swappiness() > 100) {
        return Invalid(base + ".memory.swappiness",
                       absl::StrCat(m.swappiness(), " is outside 0..100"));
      }
      out->set_memory_swappiness(m.swappiness());
    }
    if (m.disable_oom_killer()) {
      return Invalid(base + ".memory.disableOOMKiller",
                     "runsc does not disable the OOM killer for a container");
    }
  }
  if (in.has_pids() && in.pids().limit() > kMaxPidsLimit) {
    return Invalid(base + ".pids.limit",
                   absl::StrCat(in.pids().limit(), " is over the kernel's most, ", kMaxPidsLimit));
  }
  // 0 leaves it be; below 0 is none (runc's "max").
  if (in.has_pids() && in.pids().limit() != 0)
    out->set_pids_max(std::max<int64_t>(in.pids().limit(), -1));
  for (int i = 0; i < in.hugepage_limits_size(); ++i) {
    const auto& h = in.hugepage_limits(i);
    const std::string f = absl::StrCat(base, ".hugepageLimits[", i, "]");
    // The hugetlb controller's own names: digits and KB, MB or GB.
    absl::string_view size = h.page_size();
    const bool named =
        size.size() > 2 &&
        (absl::EndsWith(size, "KB") || absl::EndsWith(size, "MB") || absl::EndsWith(size, "GB")) &&
        std::all_of(size.begin(), size.end() - 2, absl::ascii_isdigit);
    if (!named) {
      return Invalid(f + ".pageSize", absl::StrCat("'", size, "' is not a page size like 2MB"));
    }
    (*out->mutable_hugetlb_max())[h.page_size()] = h.limit();
  }
  for (const auto& [key, value] : in.unified()) {
    // <controller>.<file>, a file of the container's own cgroup.
    const size_t dot = key.find('.');
    const bool named = dot != std::string::npos && dot > 0 && dot + 1 < key.size() &&
                       std::all_of(key.begin(), key.end(), [](char c) {
                         return absl::ascii_isalnum(c) || c == '.' || c == '_';
                       });
    if (!named || absl::StartsWith(key, "cgroup.")) {
      return Invalid(absl::StrCat(base, ".unified[\"", key, "\"]"),
                     "is not a controller's file (like memory.high)");
    }
    if (value.find('\n') != std::string::npos) {
      return Invalid(absl::StrCat(base, ".unified[\"", key, "\"]"), "holds a newline");
    }
    (*out->mutable_unified())[key] = value;
  }
  if (in.has_block_io()) {
    const auto& b = in.block_io();
    // A weight of 0 is none (Docker writes one for every container).
    if (b.weight() > 0 || b.leaf_weight() > 0 || b.weight_device_size() > 0 ||
        b.throttle_read_bps_device_size() > 0 || b.throttle_write_bps_device_size() > 0 ||
        b.throttle_read_iops_device_size() > 0 || b.throttle_write_iops_device_size() > 0) {
      return Invalid(base + ".blockIO", "runsc does not limit block I/O");
    }
  }
  if (in.has_network() && (in.network().has_class_id() || in.network().priorities_size() > 0)) {
    return Invalid(base + ".network", "runsc does not set net_cls or net_prio");
  }
  if (in.has_cpu()) {
    const auto& c = in.cpu();
    for (const auto& [list, what] :
         {std::pair<const std::string&, const char*>{c.cpus(), "cpus"}, {c.mems(), "mems"}}) {
      // The cpuset controller's own list syntax: "0-3,5".
      if (!std::all_of(list.begin(), list.end(),
                       [](char ch) { return absl::ascii_isdigit(ch) || ch == ',' || ch == '-'; })) {
        return Invalid(absl::StrCat(base, ".cpu.", what),
                       absl::StrCat("'", list, "' is not a list like 0-3,5"));
      }
    }
    if (!c.cpus().empty()) out->set_cpuset_cpus(c.cpus());
    if (!c.mems().empty()) out->set_cpuset_mems(c.mems());
    if (c.has_realtime_runtime() && c.realtime_runtime() != 0) {
      return Invalid(base + ".cpu.realtimeRuntime", "runsc does not give real-time CPU time");
    }
    if (c.has_realtime_period() && c.realtime_period() != 0) {
      return Invalid(base + ".cpu.realtimePeriod", "runsc does not give real-time CPU time");
    }
    if (c.has_idle() && c.idle() != 0) {
      return Invalid(base + ".cpu.idle", "runsc does not make a container's cgroup idle");
    }
    if (c.has_burst() && c.burst() != 0) {
      return Invalid(base + ".cpu.burst", "runsc does not set a CPU burst");
    }
    if (c.has_quota() && c.quota() != 0) {
      if (c.quota() > 0 && (c.quota() < 1000 || c.quota() > kMaxCpuQuotaUs)) {
        return Invalid(
            base + ".cpu.quota",
            absl::StrCat(c.quota(), " is outside the kernel's 1000..", kMaxCpuQuotaUs, "us"));
      }
      out->set_cpu_quota(std::max<int64_t>(c.quota(), -1));  // below 0: none
    }
    if (c.has_period()) {
      if (c.period() < 1000 || c.period() > 1000000) {
        return Invalid(base + ".cpu.period",
                       absl::StrCat(c.period(), " is outside 1000..1000000us"));
      }
      out->set_cpu_period(c.period());
    }
    if (c.has_shares() && c.shares() > 0) {
      if (c.shares() < 2 || c.shares() > 262144) {
        return Invalid(base + ".cpu.shares",
                       absl::StrCat(c.shares(), " is outside 2..262144"));
      }
      out->set_cpu_shares(c.shares());
    }
  }
  return absl::OkStatus();
}

namespace {

// linux.uidMappings and gidMappings: both or neither, each one a map the
// sandbox can honour (specutils::ValidateWorkloadMap).
absl::Status ConvertIdMappings(const runsc::oci::v1::Linux& linux, ContainerConfig* out) {
  if (linux.uid_mappings().empty() != linux.gid_mappings().empty()) {
    return Invalid(linux.uid_mappings().empty() ? "linux.uidMappings" : "linux.gidMappings",
                   "must be given along with the other");
  }
  struct Field {
    const google::protobuf::RepeatedPtrField<runsc::oci::v1::IdMapping>& in;
    const char* name;
    google::protobuf::RepeatedPtrField<runsc::boot::v1::IdMapConfig>* out;
  };
  for (const Field& f : {Field{linux.uid_mappings(), "linux.uidMappings", out->mutable_uid_mappings()},
                         Field{linux.gid_mappings(), "linux.gidMappings", out->mutable_gid_mappings()}}) {
    if (f.in.empty()) continue;
    std::vector<IdMapping> map;
    for (const auto& m : f.in) map.push_back({m.container_id(), m.host_id(), m.size()});
    RETURN_IF_ERROR(ValidateWorkloadMap(map, f.name));
    for (const auto& m : f.in) {
      auto* c = f.out->Add();
      c->set_container_id(m.container_id());
      c->set_host_id(m.host_id());
      c->set_size(m.size());
    }
  }
  return absl::OkStatus();
}

// linux.cgroupsPath as a path under each hierarchy's root. Relative paths
// are taken from the root too (runc puts them under its own cgroup; runsc's
// callers, podman, containerd and kubelets, give absolute ones).
absl::StatusOr<std::string> CgroupsPath(const std::string& path) {
  constexpr absl::string_view f = "linux.cgroupsPath";
  if (path.find(':') != std::string::npos) {
    return Invalid(f, absl::StrCat("'", path,
                                   "' is systemd's slice:prefix:name form; runsc manages "
                                   "cgroupfs paths only (no --systemd-cgroup)"));
  }
  std::vector<absl::string_view> parts;
  for (absl::string_view part : absl::StrSplit(path, '/', absl::SkipEmpty())) {
    if (part == "." || part == "..") {
      return Invalid(f, absl::StrCat("'", path, "' has a '.' or '..' component"));
    }
    parts.push_back(part);
  }
  if (parts.empty()) return Invalid(f, absl::StrCat("'", path, "' names the root cgroup"));
  if (parts[0] == "runsc") {
    return Invalid(f, absl::StrCat("'", path, "' is under runsc's own cgroups"));
  }
  return absl::StrJoin(parts, "/");
}

}  // namespace

WorkloadIds WorkloadIdsOf(const ContainerConfig& config, uint32_t host_base) {
  auto map = [host_base](const auto& spec) {
    if (spec.empty()) return WorkloadHostMap(host_base);
    std::vector<IdMapping> out;
    for (const auto& m : spec) out.push_back({m.container_id(), m.host_id(), m.size()});
    return out;
  };
  return {map(config.uid_mappings()), map(config.gid_mappings())};
}

absl::StatusOr<std::string> CleanAbsolutePath(absl::string_view path,
                                              absl::string_view field) {
  if (!absl::StartsWith(path, "/")) {
    return Invalid(field, absl::StrCat("must be an absolute path, got '", path, "'"));
  }
  std::vector<absl::string_view> parts;
  for (absl::string_view part : absl::StrSplit(path, '/', absl::SkipEmpty())) {
    if (part == ".") continue;
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
      continue;
    }
    parts.push_back(part);
  }
  return absl::StrCat("/", absl::StrJoin(parts, "/"));
}

namespace {

// By the reader generated from oci.proto (oci_json.h): reflection's would
// build the file's descriptors first, most of a CLI command's read.
template <typename M>
absl::Status ParseJsonMessage(absl::string_view json, absl::string_view file, M* out) {
  absl::Status status = ParseOciJson(json, out);
  if (!status.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(file, ": ", status.message()));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<runsc::oci::v1::Spec> ParseSpecJson(absl::string_view json) {
  runsc::oci::v1::Spec spec;
  RETURN_IF_ERROR(ParseJsonMessage(json, "config.json", &spec));
  return spec;
}

absl::StatusOr<runsc::oci::v1::Process> ParseProcessJson(absl::string_view json,
                                                        absl::string_view file) {
  runsc::oci::v1::Process process;
  RETURN_IF_ERROR(ParseJsonMessage(json, file, &process));
  return process;
}

absl::StatusOr<runsc::oci::v1::Resources> ParseResourcesJson(absl::string_view json,
                                                            absl::string_view file) {
  runsc::oci::v1::Resources resources;
  RETURN_IF_ERROR(ParseJsonMessage(json, file, &resources));
  return resources;
}

absl::StatusOr<ProcessConfig> ToProcessConfig(
    const runsc::oci::v1::Process& process, bool has_seccomp,
    const runsc::oci::v1::Seccomp& seccomp, absl::string_view field) {
  const std::string f(field);
  ProcessConfig out;
  if (process.args().empty()) return Invalid(f + ".args", "must not be empty");
  if (process.args(0).empty()) return Invalid(f + ".args[0]", "must not be empty");
  *out.mutable_args() = process.args();
  // A key given twice is there once, where it first was, with its last
  // value, as runc sets them one by one (the C library's getenv would read
  // the first). Linear: a spec may hold many.
  absl::flat_hash_map<absl::string_view, int> slot;  // key -> index in out.env
  for (int i = 0; i < process.env_size(); ++i) {
    const std::string& kv = process.env(i);
    const size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      return Invalid(absl::StrCat(f, ".env[", i, "]"),
                     absl::StrCat("'", kv, "' is not KEY=VALUE"));
    }
    auto [it, added] = slot.try_emplace(absl::string_view(kv).substr(0, eq), out.env_size());
    if (added) {
      out.add_env(kv);
    } else {
      out.set_env(it->second, kv);
    }
  }
  if (process.cwd().empty()) return Invalid(f + ".cwd", "must be set");
  ASSIGN_OR_RETURN(std::string cwd, CleanAbsolutePath(process.cwd(), f + ".cwd"));
  out.set_cwd(cwd);
  RETURN_IF_ERROR(CheckProcessId(process.user().uid(), f + ".user.uid"));
  RETURN_IF_ERROR(CheckProcessId(process.user().gid(), f + ".user.gid"));
  for (int i = 0; i < process.user().additional_gids_size(); ++i) {
    RETURN_IF_ERROR(CheckProcessId(process.user().additional_gids(i),
                                   absl::StrCat(f, ".user.additionalGids[", i, "]")));
  }
  out.set_uid(process.user().uid());
  out.set_gid(process.user().gid());
  *out.mutable_additional_gids() = process.user().additional_gids();
  if (process.user().has_umask()) {
    if (process.user().umask() > 0777) {
      return Invalid(f + ".user.umask",
                     absl::StrCat(process.user().umask(), " is not a permission mask"));
    }
    out.set_umask(process.user().umask());
  }
  out.set_terminal(process.terminal());
  if (process.has_console_size()) {
    out.set_console_height(process.console_size().height());
    out.set_console_width(process.console_size().width());
  }
  const auto& caps = process.capabilities();
  auto* sets = out.mutable_capabilities();
  ASSIGN_OR_RETURN(uint64_t bounding, CapabilityMask(ToVector(caps.bounding()),
                                                     f + ".capabilities.bounding"));
  ASSIGN_OR_RETURN(uint64_t effective, CapabilityMask(ToVector(caps.effective()),
                                                      f + ".capabilities.effective"));
  ASSIGN_OR_RETURN(uint64_t inheritable,
                   CapabilityMask(ToVector(caps.inheritable()),
                                  f + ".capabilities.inheritable"));
  ASSIGN_OR_RETURN(uint64_t permitted, CapabilityMask(ToVector(caps.permitted()),
                                                      f + ".capabilities.permitted"));
  ASSIGN_OR_RETURN(uint64_t ambient, CapabilityMask(ToVector(caps.ambient()),
                                                    f + ".capabilities.ambient"));
  sets->set_bounding(bounding);
  sets->set_effective(effective);
  sets->set_inheritable(inheritable);
  sets->set_permitted(permitted);
  sets->set_ambient(ambient);
  for (int i = 0; i < process.rlimits_size(); ++i) {
    const auto& r = process.rlimits(i);
    const std::string rf = absl::StrCat(f, ".rlimits[", i, "]");
    ASSIGN_OR_RETURN(int resource, RlimitFromName(r.type(), rf + ".type"));
    if (r.soft() > r.hard()) {
      return Invalid(rf, absl::StrCat("soft limit ", r.soft(),
                                      " exceeds hard limit ", r.hard()));
    }
    auto* rl = out.add_rlimits();
    rl->set_resource(resource);
    rl->set_soft(r.soft());
    rl->set_hard(r.hard());
  }
  out.set_no_new_privileges(process.no_new_privileges());
  if (has_seccomp) {
    ASSIGN_OR_RETURN(*out.mutable_seccomp(), ToSeccompProgram(seccomp));
  } else {
    *out.mutable_seccomp() = DefaultSeccompProgram();
  }
  out.set_apparmor_profile(process.apparmor_profile());
  out.set_selinux_label(process.selinux_label());
  if (process.has_scheduler()) {
    ASSIGN_OR_RETURN(*out.mutable_scheduler(), ToScheduler(process.scheduler(), f + ".scheduler"));
  }
  if (process.has_io_priority()) {
    ASSIGN_OR_RETURN(uint32_t ioprio, ToIoPriority(process.io_priority(), f + ".ioPriority"));
    out.set_io_priority(ioprio);
  }
  if (process.has_oom_score_adj()) {
    if (process.oom_score_adj() < -1000 || process.oom_score_adj() > 1000) {
      return Invalid(f + ".oomScoreAdj",
                     absl::StrCat(process.oom_score_adj(), " is outside -1000..1000"));
    }
    out.set_oom_score_adj(process.oom_score_adj());
  }
  return out;
}

absl::StatusOr<ContainerConfig> ToContainerConfig(const runsc::oci::v1::Spec& spec,
                                                  absl::string_view bundle_dir) {
  ContainerConfig out;
  if (!absl::StartsWith(spec.oci_version(), "1.")) {
    return Invalid("ociVersion",
                   absl::StrCat("unsupported version '", spec.oci_version(),
                                "' (runsc supports 1.x)"));
  }
  if (!spec.has_root() || spec.root().path().empty()) {
    return Invalid("root.path", "must be set");
  }
  std::string root = spec.root().path();
  if (!absl::StartsWith(root, "/")) root = absl::StrCat(bundle_dir, "/", root);
  ASSIGN_OR_RETURN(std::string rootfs, CleanAbsolutePath(root, "root.path"));
  out.set_rootfs(rootfs);
  out.set_readonly_root(spec.root().readonly());
  RETURN_IF_ERROR(ValidateHostname(spec.hostname(), "hostname"));
  out.set_hostname(spec.hostname());
  RETURN_IF_ERROR(ValidateHostname(spec.domainname(), "domainname"));
  out.set_domainname(spec.domainname());
  *out.mutable_annotations() = spec.annotations();
  if (!spec.has_process()) return Invalid("process", "must be set");
  ASSIGN_OR_RETURN(*out.mutable_process(),
                   ToProcessConfig(spec.process(), spec.linux().has_seccomp(),
                                   spec.linux().seccomp(), "process"));

  for (int i = 0; i < spec.mounts_size(); ++i) {
    const auto& m = spec.mounts(i);
    const std::string mf = absl::StrCat("mounts[", i, "]");
    if (m.destination().empty()) return Invalid(mf + ".destination", "must be set");
    ASSIGN_OR_RETURN(std::string dest,
                     CleanAbsolutePath(m.destination(), mf + ".destination"));
    MountOptions opts = ParseMountOptions(ToVector(m.options()));
    auto* mc = out.add_mounts();
    mc->set_destination(dest);
    mc->set_type(opts.bind ? "bind" : m.type());
    if (!opts.bind && m.type().empty()) {
      return Invalid(mf + ".type", "must be set for a mount that is not a bind mount");
    }
    if (m.type() == "bind" && !opts.bind) {
      opts.bind = true;
      opts.flags |= MS_BIND;
    }
    std::string source = m.source();
    if (opts.bind) {
      if (source.empty()) return Invalid(mf + ".source", "a bind mount needs a source");
      if (!absl::StartsWith(source, "/")) source = absl::StrCat(bundle_dir, "/", source);
      ASSIGN_OR_RETURN(source, CleanAbsolutePath(source, mf + ".source"));
    }
    mc->set_source(source);
    mc->set_flags(opts.flags);
    mc->set_propagation(opts.propagation);
    mc->set_data(opts.data);
    mc->set_recursive(opts.recursive);
    if (opts.copy_up) {
      if (m.type() != "tmpfs") return Invalid(mf + ".options", "tmpcopyup is for a tmpfs");
      mc->set_copy_up(true);
    }
  }
  for (int i = 0; i < spec.linux().masked_paths_size(); ++i) {
    ASSIGN_OR_RETURN(std::string p,
                     CleanAbsolutePath(spec.linux().masked_paths(i),
                                       absl::StrCat("linux.maskedPaths[", i, "]")));
    out.add_masked_paths(p);
  }
  for (int i = 0; i < spec.linux().readonly_paths_size(); ++i) {
    ASSIGN_OR_RETURN(std::string p,
                     CleanAbsolutePath(spec.linux().readonly_paths(i),
                                       absl::StrCat("linux.readonlyPaths[", i, "]")));
    out.add_readonly_paths(p);
  }
  // The device cgroup's rules, which may leave a node less than whole
  // (docker's --device X:r): runsc sets no device cgroup, and gives a node
  // read and write or refuses it.
  std::optional<DeviceRules> rules;
  if (spec.linux().devices_size() > 0) {
    ASSIGN_OR_RETURN(rules, DeviceRules::FromSpec(spec.linux().resources().devices(),
                                                  "linux.resources.devices"));
  }
  for (int i = 0; i < spec.linux().devices_size(); ++i) {
    const auto& d = spec.linux().devices(i);
    const std::string f = absl::StrCat("linux.devices[", i, "]");
    ASSIGN_OR_RETURN(std::string path, CleanAbsolutePath(d.path(), f + ".path"));
    const uint32_t type = d.type() == "c" || d.type() == "u" ? S_IFCHR
                          : d.type() == "b"                  ? S_IFBLK
                          : d.type() == "p"                  ? S_IFIFO
                                                             : 0;
    if (type == 0) {
      return Invalid(f + ".type", absl::StrCat("'", d.type(), "' is not c, u, b or p"));
    }
    // The kernel's dev_t: a 12-bit major, a 20-bit minor.
    if (d.major() < 0 || d.major() > 4095) {
      return Invalid(f + ".major", absl::StrCat(d.major(), " is not a device major (0-4095)"));
    }
    if (d.minor() < 0 || d.minor() > 1048575) {
      return Invalid(f + ".minor", absl::StrCat(d.minor(), " is not a device minor (0-1048575)"));
    }
    if (type != S_IFIFO &&
        !rules->Allows(type == S_IFBLK ? 'b' : 'c', d.major(), d.minor(), "rw")) {
      return Invalid("linux.resources.devices",
                     absl::StrCat("they do not let ", f, " ('", path,
                                  "') be read and written: runsc gives a device whole or "
                                  "refuses it"));
    }
    auto* dc = out.add_devices();
    dc->set_path(path);
    dc->set_type(type);
    dc->set_major(static_cast<uint32_t>(d.major()));
    dc->set_minor(static_cast<uint32_t>(d.minor()));
    // runc's defaults; the type's bits, which some writers include, go.
    dc->set_file_mode(d.has_file_mode() ? d.file_mode() & 07777 : 0666);
    dc->set_uid(d.uid());
    dc->set_gid(d.gid());
  }
  RETURN_IF_ERROR(ConvertResources(spec.linux().resources(), out.mutable_resources()));
  // runc's rule too: a container's swap is limited only with its memory (on
  // v2 it would be a swap-only limit, on v1 a write the kernel refuses).
  // (An update may change either alone.)
  if (out.resources().has_memory_swap() && out.resources().memory_swap() > 0 &&
      !out.resources().has_memory_max()) {
    return Invalid("linux.resources.memory.swap", "needs linux.resources.memory.limit too");
  }
  if (spec.linux().has_personality()) {
    const auto& p = spec.linux().personality();
    if (p.domain() != "LINUX" && p.domain() != "LINUX32") {
      return Invalid("linux.personality.domain",
                     absl::StrCat("'", p.domain(), "' is not LINUX or LINUX32"));
    }
    if (p.flags_size() > 0) {
      return Invalid("linux.personality.flags", "no flags are supported");
    }
    out.mutable_process()->set_personality(p.domain() == "LINUX32" ? 0x0008 : 0x0000);
  }
  for (const char* type : {"pid", "network", "ipc", "uts"}) {
    if (std::none_of(spec.linux().namespaces().begin(), spec.linux().namespaces().end(),
                     [type](const auto& ns) { return ns.type() == type; })) {
      out.add_unlisted_namespaces(type);
    }
  }
  for (int i = 0; i < spec.linux().namespaces_size(); ++i) {
    const auto& ns = spec.linux().namespaces(i);
    if (ns.path().empty()) continue;
    const std::string f = absl::StrCat("linux.namespaces[", i, "].path");
    std::string* joined = ns.type() == "network" ? out.mutable_network_ns_path()
                          : ns.type() == "ipc"   ? out.mutable_ipc_ns_path()
                          : ns.type() == "uts"   ? out.mutable_uts_ns_path()
                                                 : nullptr;
    if (joined == nullptr) {
      // A sandbox is pid 1 of its own PID namespace, the root of its own
      // user and mount namespaces: it cannot live in someone else's.
      return Invalid(f, absl::StrCat("joining a ", ns.type(),
                                     " namespace by path is not supported (network, ipc and "
                                     "uts are)"));
    }
    ASSIGN_OR_RETURN(*joined, CleanAbsolutePath(ns.path(), f));
  }
  RETURN_IF_ERROR(ConvertIdMappings(spec.linux(), &out));
  RETURN_IF_ERROR(CheckProcessIdsMapped(out));
  if (!spec.linux().cgroups_path().empty()) {
    ASSIGN_OR_RETURN(*out.mutable_cgroups_path(), CgroupsPath(spec.linux().cgroups_path()));
  }
  for (const auto& [key, value] : spec.linux().sysctl()) {
    RETURN_IF_ERROR(ValidateSysctl(key, value));
    (*out.mutable_sysctl())[key] = value;
  }
  // The workloads' capabilities are held in their own user namespace, and
  // count for nothing in the network namespace, which the sandbox's (or
  // podman's) owns: CAP_NET_BIND_SERVICE would not let a container's root
  // bind port 80, as it does under runc. Where the container may hold it
  // (its bounding set), the low ports are opened as docker opens them for
  // every container (an explicit sysctl wins; the host's own namespace is
  // never touched: the sandbox and the host decide, who know which it is).
  out.set_open_low_ports(((out.process().capabilities().bounding() >> CAP_NET_BIND_SERVICE) & 1) &&
                         !out.sysctl().contains("net.ipv4.ip_unprivileged_port_start"));
  const auto& hooks = spec.hooks();
  auto* h = out.mutable_hooks();
  RETURN_IF_ERROR(ConvertHooks(hooks.prestart(), "hooks.prestart", h->mutable_prestart()));
  RETURN_IF_ERROR(
      ConvertHooks(hooks.create_runtime(), "hooks.createRuntime", h->mutable_create_runtime()));
  RETURN_IF_ERROR(ConvertHooks(hooks.create_container(), "hooks.createContainer",
                               h->mutable_create_container()));
  RETURN_IF_ERROR(ConvertHooks(hooks.start_container(), "hooks.startContainer",
                               h->mutable_start_container()));
  RETURN_IF_ERROR(ConvertHooks(hooks.poststart(), "hooks.poststart", h->mutable_poststart()));
  RETURN_IF_ERROR(ConvertHooks(hooks.poststop(), "hooks.poststop", h->mutable_poststop()));
  return out;
}

}  // namespace runsc::specutils
