#include "sandbox/cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "runsc/util/errno_status.h"
#include "runsc/util/file_util.h"
#include "runsc/util/status_macros.h"

namespace runsc::sandbox {

using util::ErrnoError;

namespace {

constexpr const char* kV1Controllers[] = {"memory",  "pids",    "cpu",   "cpuacct",
                                          "freezer", "hugetlb", "cpuset"};
constexpr const char* kWanted[] = {"memory", "pids", "cpu"};
// Made only for a container with hugepageLimits: a directory or a
// subtree_control write less for every other sandbox.
constexpr char kHugetlb[] = "hugetlb";
constexpr char kCpuset[] = "cpuset";  // likewise, for cpus and mems

// A new v1 cpuset directory has no cpus and no mems, and takes no task
// until it has: each of `dirs` (top down, under `mount`) that has none gets
// its parent's.
absl::Status InitV1Cpusets(const std::string& mount, const std::vector<std::string>& dirs) {
  for (const std::string& dir : dirs) {
    const std::string parent = dir.substr(0, dir.rfind('/'));
    if (!absl::StartsWith(parent, mount)) continue;
    for (const char* file : {"cpuset.cpus", "cpuset.mems"}) {
      const std::string own = absl::StrCat(dir, "/", file);
      if (!absl::StripAsciiWhitespace(util::ReadFileOrEmpty(own)).empty()) continue;
      const std::string theirs(
          absl::StripAsciiWhitespace(util::ReadFileOrEmpty(absl::StrCat(parent, "/", file))));
      RETURN_IF_ERROR(util::WriteKernelFile(own, theirs));
    }
  }
  return absl::OkStatus();
}

using util::ReadFileOrEmpty;
using util::WriteKernelFile;

uint64_t ReadU64(const std::string& path) {
  uint64_t v = 0;
  (void)absl::SimpleAtoi(absl::StripAsciiWhitespace(ReadFileOrEmpty(path)), &v);
  return v;
}

// "key value" files (cpu.stat, memory.events, memory.oom_control).
uint64_t ReadKey(const std::string& path, absl::string_view key) {
  for (absl::string_view line : absl::StrSplit(ReadFileOrEmpty(path), '\n')) {
    std::pair<absl::string_view, absl::string_view> kv = absl::StrSplit(line, ' ');
    uint64_t v;
    if (kv.first == key && absl::SimpleAtoi(kv.second, &v)) return v;
  }
  return 0;
}

}  // namespace

absl::StatusOr<CgroupLayout> CgroupLayout::Discover() {
  CgroupLayout layout;
  for (absl::string_view line :
       absl::StrSplit(ReadFileOrEmpty("/proc/self/mountinfo"), '\n', absl::SkipEmpty())) {
    std::vector<absl::string_view> f = absl::StrSplit(line, ' ');
    auto dash = std::find(f.begin(), f.end(), "-");
    if (dash == f.end() || dash + 3 >= f.end() || f.size() < 5) continue;
    absl::string_view type = *(dash + 1);
    std::string mount_point(f[4]);
    if (type == "cgroup2") {
      layout.unified = mount_point;
    } else if (type == "cgroup") {
      for (absl::string_view opt : absl::StrSplit(*(dash + 3), ',')) {
        for (const char* c : kV1Controllers) {
          if (opt == c) layout.v1[c] = mount_point;
        }
      }
    }
  }
  if (!layout.unified.empty()) {
    for (absl::string_view c : absl::StrSplit(
             absl::StripAsciiWhitespace(ReadFileOrEmpty(layout.unified + "/cgroup.controllers")), ' ',
             absl::SkipEmpty())) {
      layout.unified_controllers.emplace_back(c);
    }
  }
  if (layout.unified.empty() && layout.v1.empty()) {
    return absl::FailedPreconditionError("no cgroup hierarchy is mounted");
  }
  return layout;
}

std::string Cgroup::Dir(const std::string& controller) const {
  auto& c = layout_.unified_controllers;
  if (std::find(c.begin(), c.end(), controller) != c.end()) {
    return absl::StrCat(unified_dir_, "/", kContainerLeaf);
  }
  auto it = v1_dirs_.find(controller);
  return it == v1_dirs_.end() ? "" : absl::StrCat(it->second, "/", kContainerLeaf);
}

bool Cgroup::IsUnified(const std::string& dir) const {
  return !unified_dir_.empty() && absl::StartsWith(dir, unified_dir_ + "/");
}

namespace {

// Makes `dir` and its missing parents: whether this call's own mkdir made
// `dir` itself (not one that was there, nor one a concurrent create made).
absl::StatusOr<bool> MakeLastDir(const std::string& dir) {
  const size_t slash = dir.rfind('/');
  if (slash != std::string::npos && slash > 0) {
    RETURN_IF_ERROR(util::MakeDirs(dir.substr(0, slash), 0755));
  }
  if (mkdir(dir.c_str(), 0755) == 0) return true;
  if (errno == EEXIST) return false;
  return ErrnoError(errno, absl::StrCat("mkdir '", dir, "'"));
}

}  // namespace

absl::StatusOr<std::unique_ptr<Cgroup>> Cgroup::Create(
    const std::string& path, const runsc::boot::v1::ResourceConfig& resources) {
  const std::vector<std::string> parts = absl::StrSplit(path, '/', absl::SkipEmpty());
  if (parts.empty()) return absl::InvalidArgumentError("empty cgroup path");
  // On any error below, ~Cgroup removes whatever was made.
  std::unique_ptr<Cgroup> cg(new Cgroup());
  ASSIGN_OR_RETURN(cg->layout_, CgroupLayout::Discover());
  // The sandbox directories and leaves this call made, in order: if another
  // sandbox holds the path in one hierarchy, these go and the rest stay.
  std::vector<std::string> made;
  std::vector<const char*> wanted(std::begin(kWanted), std::end(kWanted));
  const bool hugetlb = !resources.hugetlb_max().empty();
  if (hugetlb) wanted.push_back(kHugetlb);
  const bool cpuset = !resources.cpuset_cpus().empty() || !resources.cpuset_mems().empty();
  if (cpuset) wanted.push_back(kCpuset);
  if (!cg->layout_.unified.empty()) {
    // v2 allows processes only in leaves, and a controller only where every
    // ancestor delegates it: the wanted ones go down from the root to the
    // sandbox's directory, and on to both its leaves.
    std::string dir = cg->layout_.unified;
    for (size_t i = 0; i <= parts.size(); ++i) {
      for (const char* c : wanted) {
        auto& have = cg->layout_.unified_controllers;
        if (std::find(have.begin(), have.end(), c) == have.end()) continue;
        RETURN_IF_ERROR(WriteKernelFile(dir + "/cgroup.subtree_control", absl::StrCat("+", c)));
      }
      if (i == parts.size()) break;
      dir += "/" + parts[i];
      const bool last = i + 1 == parts.size();
      // Ours from its mkdir: a failed write into it below must not leave
      // it (the parents are shared, and stay; one that was there, or that
      // another create made first, is not ours to remove).
      if (last) {
        ASSIGN_OR_RETURN(const bool ours, MakeLastDir(dir));
        if (ours) {
          cg->unified_dir_ = dir;
          made.push_back(dir);
        }
      } else {
        RETURN_IF_ERROR(util::MakeDirs(dir, 0755));
      }
    }
    cg->unified_dir_ = dir;
  }
  for (const auto& [controller, mount] : cg->layout_.v1) {
    auto& have = cg->layout_.unified_controllers;
    if (std::find(have.begin(), have.end(), controller) != have.end()) continue;
    if (controller == kHugetlb && !hugetlb) continue;
    if (controller == kCpuset && !cpuset) continue;
    // cpu and cpuacct (or others) may share one mount: one directory. Its
    // parents (runsc/) exist after the first sandbox: one mkdir.
    const std::string dir = absl::StrCat(mount, "/", absl::StrJoin(parts, "/"));
    ASSIGN_OR_RETURN(const bool ours, MakeLastDir(dir));
    if (ours) made.push_back(dir);
    cg->v1_dirs_[controller] = dir;
  }
  for (const std::string& dir : cg->Paths()) {
    // v1 allows processes in inner nodes: the supervisor stays in the
    // sandbox's own directory there, which saves a directory in each v1
    // hierarchy (a mkdir and an rmdir per sandbox; 0.2 ms of CPU in the
    // memory hierarchy alone).
    const bool unified = dir == cg->unified_dir_;
    for (const char* leaf : {kSupervisorLeaf, kContainerLeaf}) {
      if (!unified && leaf == kSupervisorLeaf) continue;
      // New leaves, or the directory is another sandbox's (a spec's
      // cgroupsPath may name any).
      const std::string path = absl::StrCat(dir, "/", leaf);
      if (mkdir(path.c_str(), 0755) != 0) {
        if (errno == EEXIST) {
          // The other sandbox's directories are not ours to remove; what
          // this call made in the other hierarchies is.
          for (auto it = made.rbegin(); it != made.rend(); ++it) rmdir(it->c_str());
          cg->Release();
          return absl::FailedPreconditionError(
              absl::StrCat("cgroup '", dir, "' is in use by another sandbox"));
        }
        return ErrnoError(errno, absl::StrCat("mkdir '", path, "'"));
      }
      made.push_back(path);
    }
  }
  if (auto it = cg->v1_dirs_.find(kCpuset); it != cg->v1_dirs_.end()) {
    const std::string& mount = cg->layout_.v1.at(kCpuset);
    std::vector<std::string> dirs;
    std::string dir = mount;
    for (const std::string& part : parts) dirs.push_back(dir += "/" + part);
    dirs.push_back(absl::StrCat(dir, "/", kContainerLeaf));
    RETURN_IF_ERROR(InitV1Cpusets(mount, dirs));
  }
  if (!cg->unified_dir_.empty()) {
    const std::string leaf = absl::StrCat(cg->unified_dir_, "/", kSupervisorLeaf);
    cg->unified_fd_.reset(open(leaf.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!cg->unified_fd_) return ErrnoError(errno, absl::StrCat("open '", leaf, "'"));
  }
  RETURN_IF_ERROR(cg->Apply(resources));
  return cg;
}

absl::StatusOr<std::unique_ptr<Cgroup>> Cgroup::Adopt(const std::vector<std::string>& paths) {
  std::unique_ptr<Cgroup> cg(new Cgroup());
  cg->adopted_ = true;
  ASSIGN_OR_RETURN(cg->layout_, CgroupLayout::Discover());
  for (const std::string& path : paths) {
    bool matched = false;
    if (!cg->layout_.unified.empty() && path.rfind(cg->layout_.unified + "/", 0) == 0) {
      cg->unified_dir_ = path;
      matched = true;
    }
    for (const auto& [controller, mount] : cg->layout_.v1) {
      if (path.rfind(mount + "/", 0) == 0) {
        cg->v1_dirs_[controller] = path;
        matched = true;
      }
    }
    if (!matched) {
      return absl::InvalidArgumentError(
          absl::StrCat("cgroup path '", path, "' is in no mounted hierarchy"));
    }
  }
  return cg;
}

absl::StatusOr<std::vector<std::string>> Cgroup::ExistingPaths(const std::string& path) {
  ASSIGN_OR_RETURN(CgroupLayout layout, CgroupLayout::Discover());
  std::vector<std::string> found;
  std::vector<std::string> mounts;
  if (!layout.unified.empty()) mounts.push_back(layout.unified);
  for (const auto& [controller, mount] : layout.v1) mounts.push_back(mount);
  for (const std::string& mount : mounts) {
    const std::string dir = absl::StrCat(mount, "/", path);
    struct stat st;
    if (lstat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode) &&
        std::find(found.begin(), found.end(), dir) == found.end()) {
      found.push_back(dir);
    }
  }
  return found;
}

absl::Status Cgroup::Apply(const runsc::boot::v1::ResourceConfig& r) {
  const std::string mem = Dir("memory");
  const bool mem_v2 = IsUnified(mem);
  if (r.has_memory_max() || r.has_memory_swap() || r.has_memory_reservation()) {
    if (mem.empty()) {
      return absl::FailedPreconditionError(
          "linux.resources.memory: no memory cgroup controller on this host");
    }
  }
  // -1 is "no limit" (an update's way to lift one): v2's "max", v1's -1.
  auto limit = [mem_v2](int64_t v) {
    return v < 0 && mem_v2 ? std::string("max") : absl::StrCat(v);
  };
  if (mem_v2) {
    if (r.has_memory_max()) {
      RETURN_IF_ERROR(WriteKernelFile(mem + "/memory.max", limit(r.memory_max())));
    }
    // v2 limits swap alone; the spec's value is memory+swap, and the memory
    // limit is this update's or the one in force. Lifting the memory limit
    // lifts swap's too, unless swap is given (as runc converts them).
    std::optional<std::string> swap;
    if (r.has_memory_swap() && r.memory_swap() >= 0) {
      int64_t memory = r.has_memory_max() ? r.memory_max() : -1;
      if (!r.has_memory_max() &&
          !absl::SimpleAtoi(absl::StripAsciiWhitespace(ReadFileOrEmpty(mem + "/memory.max")),
                            &memory)) {
        memory = -1;  // "max"
      }
      if (memory < 0) {
        return absl::FailedPreconditionError(
            "linux.resources.memory.swap: needs a memory limit (there is none)");
      }
      if (r.memory_swap() < memory) {
        return absl::InvalidArgumentError(absl::StrCat("linux.resources.memory.swap: memory+swap ",
                                                       r.memory_swap(),
                                                       " is below the memory limit ", memory));
      }
      swap = absl::StrCat(r.memory_swap() - memory);
    } else if (r.has_memory_swap() || (r.has_memory_max() && r.memory_max() < 0)) {
      swap = "max";
    }
    // No swap controller file (swap accounting off): "max" is what it is
    // anyway, as runc takes it.
    const std::string swap_file = mem + "/memory.swap.max";
    if (swap.has_value() && (*swap != "max" || access(swap_file.c_str(), F_OK) == 0)) {
      RETURN_IF_ERROR(WriteKernelFile(swap_file, *swap));
    }
  } else {
    const std::string memsw = mem + "/memory.memsw.limit_in_bytes";
    if (r.has_memory_swap() && access(memsw.c_str(), F_OK) != 0) {
      return absl::FailedPreconditionError(
          "linux.resources.memory.swap: swap accounting is not enabled on this host");
    }
    // runc's order: the kernel keeps memory <= memory+swap at every write,
    // so a swap that grows past the memory limit in force, or goes, is
    // written first. Lifting the memory limit lifts swap's too (when swap
    // is accounted and not given).
    std::optional<int64_t> swap;
    if (r.has_memory_swap()) {
      swap = r.memory_swap();
    } else if (r.has_memory_max() && r.memory_max() < 0 && access(memsw.c_str(), F_OK) == 0) {
      swap = -1;
    }
    const std::string memory_file = mem + "/memory.limit_in_bytes";
    const bool swap_first = swap.has_value() && r.has_memory_max() &&
                            (*swap < 0 || ReadU64(memory_file) < static_cast<uint64_t>(*swap));
    if (swap_first) RETURN_IF_ERROR(WriteKernelFile(memsw, limit(*swap)));
    if (r.has_memory_max()) RETURN_IF_ERROR(WriteKernelFile(memory_file, limit(r.memory_max())));
    if (swap.has_value() && !swap_first) RETURN_IF_ERROR(WriteKernelFile(memsw, limit(*swap)));
  }
  if (r.has_memory_reservation()) {
    RETURN_IF_ERROR(WriteKernelFile(mem + (mem_v2 ? "/memory.low" : "/memory.soft_limit_in_bytes"),
                                    r.memory_reservation() >= 0
                                        ? absl::StrCat(r.memory_reservation())
                                        // none: v1's -1, v2's 0 (no protection), the defaults
                                        : std::string(mem_v2 ? "0" : "-1")));
  }
  if (!r.hugetlb_max().empty()) {
    const std::string dir = Dir(kHugetlb);
    if (dir.empty()) {
      return absl::FailedPreconditionError(
          "linux.resources.hugepageLimits: no hugetlb cgroup controller for this container");
    }
    for (const auto& [size, limit] : r.hugetlb_max()) {
      const std::string file =
          absl::StrCat(dir, "/hugetlb.", size, IsUnified(dir) ? ".max" : ".limit_in_bytes");
      if (access(file.c_str(), F_OK) != 0) {
        return absl::InvalidArgumentError(absl::StrCat(
            "linux.resources.hugepageLimits: no huge pages of size ", size, " here (no '", file,
            "'; or the container was made without hugepageLimits)"));
      }
      RETURN_IF_ERROR(WriteKernelFile(file, absl::StrCat(limit)));
    }
  }
  if (r.has_pids_max()) {
    const std::string pids = Dir("pids");
    if (pids.empty()) {
      return absl::FailedPreconditionError("linux.resources.pids: no pids cgroup controller");
    }
    RETURN_IF_ERROR(WriteKernelFile(
        pids + "/pids.max", r.pids_max() < 0 ? std::string("max") : absl::StrCat(r.pids_max())));
  }
  const std::string cpu = Dir("cpu");
  const bool cpu_v2 = IsUnified(cpu);
  if (r.has_cpu_quota() || r.has_cpu_period() || r.has_cpu_shares()) {
    if (cpu.empty()) {
      return absl::FailedPreconditionError("linux.resources.cpu: no cpu cgroup controller");
    }
  }
  if (r.has_cpu_quota() || r.has_cpu_period()) {
    if (cpu_v2) {
      // cpu.max is "QUOTA [PERIOD]": a quota alone keeps the period in
      // force, and a period alone the quota in force (an update of one must
      // not lift the other).
      std::string quota;
      if (r.has_cpu_quota()) {
        quota = r.cpu_quota() < 0 ? "max" : absl::StrCat(r.cpu_quota());
      } else {
        const std::string current = ReadFileOrEmpty(cpu + "/cpu.max");
        quota = current.substr(0, current.find(' '));
        if (quota.empty()) quota = "max";
      }
      RETURN_IF_ERROR(WriteKernelFile(
          cpu + "/cpu.max", r.has_cpu_period() ? absl::StrCat(quota, " ", r.cpu_period()) : quota));
    } else {
      // A period the kernel refuses (EINVAL: the quota in force over the
      // new period would exceed the parent's) may pass once the new quota
      // is in: runc writes it again after the quota.
      const std::string period_file = cpu + "/cpu.cfs_period_us";
      bool period_again = false;
      if (r.has_cpu_period()) {
        absl::Status period = WriteKernelFile(period_file, absl::StrCat(r.cpu_period()));
        if (!period.ok() && (util::ErrnoOf(period) != EINVAL || !r.has_cpu_quota())) return period;
        period_again = !period.ok();
      }
      if (r.has_cpu_quota()) {
        RETURN_IF_ERROR(WriteKernelFile(cpu + "/cpu.cfs_quota_us",
                                        absl::StrCat(r.cpu_quota() < 0 ? -1 : r.cpu_quota())));
      }
      if (period_again) RETURN_IF_ERROR(WriteKernelFile(period_file, absl::StrCat(r.cpu_period())));
    }
  }
  if (r.has_cpu_shares()) {
    if (cpu_v2) {
      // The OCI conversion from shares (2..262144) to weight (1..10000).
      uint64_t weight = 1 + ((r.cpu_shares() - 2) * 9999) / 262142;
      RETURN_IF_ERROR(WriteKernelFile(cpu + "/cpu.weight", absl::StrCat(weight)));
    } else {
      RETURN_IF_ERROR(WriteKernelFile(cpu + "/cpu.shares", absl::StrCat(r.cpu_shares())));
    }
  }
  if (r.has_memory_swappiness()) {
    if (mem.empty() || mem_v2) {
      return absl::FailedPreconditionError(
          "linux.resources.memory.swappiness: only cgroup v1's memory controller has one");
    }
    RETURN_IF_ERROR(
        WriteKernelFile(mem + "/memory.swappiness", absl::StrCat(r.memory_swappiness())));
  }
  if (!r.cpuset_cpus().empty() || !r.cpuset_mems().empty()) {
    const std::string dir = Dir(kCpuset);
    if (dir.empty()) {
      return absl::FailedPreconditionError(
          "linux.resources.cpu.cpus: no cpuset cgroup for this container (a cpuset controller, "
          "and the container made with cpus or mems)");
    }
    if (!r.cpuset_mems().empty()) {
      RETURN_IF_ERROR(WriteKernelFile(dir + "/cpuset.mems", r.cpuset_mems()));
    }
    if (!r.cpuset_cpus().empty()) {
      RETURN_IF_ERROR(WriteKernelFile(dir + "/cpuset.cpus", r.cpuset_cpus()));
    }
  }
  // Last, as runc writes them: a unified file has the final word.
  for (const auto& [key, value] : r.unified()) {
    const std::string controller = key.substr(0, key.find('.'));
    const std::string dir = Dir(controller);
    const std::string field = absl::StrCat("linux.resources.unified[\"", key, "\"]");
    if (dir.empty() || !IsUnified(dir)) {
      return absl::FailedPreconditionError(absl::StrCat(
          field, ": the ", controller, " controller is not in this host's cgroup v2 hierarchy"));
    }
    const std::string file = absl::StrCat(dir, "/", key);
    if (access(file.c_str(), F_OK) != 0) {
      return absl::InvalidArgumentError(absl::StrCat(field, ": no such file '", file, "'"));
    }
    RETURN_IF_ERROR(WriteKernelFile(file, value));
  }
  return absl::OkStatus();
}

bool Cgroup::SupervisorJoins(const std::string& controller) {
  return controller != "freezer" && controller != "pids";
}

absl::StatusOr<Cgroup::Placement> Cgroup::OpenPlacement(bool supervisor_joins) const {
  Placement placement;
  auto open_tasks = [](const std::string& dir) -> absl::StatusOr<TasksFile> {
    TasksFile file;
    file.path = absl::StrCat(dir, "/tasks");
    file.fd.reset(open(file.path.c_str(), O_WRONLY | O_CLOEXEC));
    if (!file.fd) return ErrnoError(errno, absl::StrCat("open '", file.path, "'"));
    return file;
  };
  std::vector<std::string> seen;  // cpu and cpuacct may share one directory
  for (const auto& [controller, dir] : v1_dirs_) {
    if (std::find(seen.begin(), seen.end(), dir) != seen.end()) continue;
    seen.push_back(dir);
    const std::string leaf = absl::StrCat(dir, "/", kContainerLeaf);
    const bool joins = supervisor_joins && SupervisorJoins(controller);
    ASSIGN_OR_RETURN(TasksFile own, open_tasks(joins ? leaf : dir));
    placement.sandbox.push_back(std::move(own));
    if (joins) continue;  // the launcher is born there
    ASSIGN_OR_RETURN(TasksFile launcher, open_tasks(leaf));
    placement.launcher.push_back(std::move(launcher));
  }
  if (!unified_dir_.empty()) {
    const std::string leaf = absl::StrCat(unified_dir_, "/", kContainerLeaf);
    placement.launcher_unified.reset(open(leaf.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!placement.launcher_unified) return ErrnoError(errno, absl::StrCat("open '", leaf, "'"));
  }
  return placement;
}

absl::StatusOr<CgroupStats> Cgroup::Stats() const {
  CgroupStats s;
  const std::string mem = Dir("memory");
  // "max" (no limit) reads as UINT64_MAX, as runc reports it.
  auto read_limit = [](const std::string& path) {
    const std::string text(absl::StripAsciiWhitespace(ReadFileOrEmpty(path)));
    uint64_t v = 0;
    return text == "max" ? UINT64_MAX : absl::SimpleAtoi(text, &v) ? v : 0;
  };
  if (IsUnified(mem)) {
    s.memory_current = ReadU64(mem + "/memory.current");
    s.memory_peak = ReadU64(mem + "/memory.peak");
    s.memory_limit = read_limit(mem + "/memory.max");
    s.oom_kills = ReadKey(mem + "/memory.events", "oom_kill");
  } else if (!mem.empty()) {
    s.memory_current = ReadU64(mem + "/memory.usage_in_bytes");
    s.memory_peak = ReadU64(mem + "/memory.max_usage_in_bytes");
    s.memory_limit = read_limit(mem + "/memory.limit_in_bytes");
    s.memory_failcnt = ReadU64(mem + "/memory.failcnt");
    s.oom_kills = ReadKey(mem + "/memory.oom_control", "oom_kill");
  }
  const std::string pids = Dir("pids");
  if (!pids.empty()) {
    s.pids_current = ReadU64(pids + "/pids.current");
    const uint64_t max = read_limit(pids + "/pids.max");
    s.pids_limit = max == UINT64_MAX ? 0 : max;
  }
  if (!unified_dir_.empty()) {
    const std::string stat = absl::StrCat(unified_dir_, "/", kContainerLeaf, "/cpu.stat");
    s.cpu_usage_ns = ReadKey(stat, "usage_usec") * 1000;
    s.cpu_user_ns = ReadKey(stat, "user_usec") * 1000;
    s.cpu_kernel_ns = ReadKey(stat, "system_usec") * 1000;
  }
  const std::string acct = Dir("cpuacct");
  if (s.cpu_usage_ns == 0 && !acct.empty()) {
    s.cpu_usage_ns = ReadU64(acct + "/cpuacct.usage");
    // cpuacct.stat counts USER_HZ ticks, which are 100 a second on Linux.
    s.cpu_user_ns = ReadKey(acct + "/cpuacct.stat", "user") * 10'000'000;
    s.cpu_kernel_ns = ReadKey(acct + "/cpuacct.stat", "system") * 10'000'000;
  }
  return s;
}

namespace {

// How one freezer is driven: the file to write, the words, and how to read
// the state back.
struct Freezer {
  std::string control;  // cgroup.freeze or freezer.state
  bool v2 = false;
};

absl::StatusOr<Freezer> FindFreezer(const std::string& unified_dir,
                                    const std::map<std::string, std::string>& v1_dirs) {
  if (!unified_dir.empty()) {
    std::string control = absl::StrCat(unified_dir, "/", Cgroup::kContainerLeaf, "/cgroup.freeze");
    if (access(control.c_str(), F_OK) == 0) return Freezer{control, true};
  }
  auto it = v1_dirs.find("freezer");
  if (it != v1_dirs.end()) {
    return Freezer{absl::StrCat(it->second, "/", Cgroup::kContainerLeaf, "/freezer.state"), false};
  }
  return absl::FailedPreconditionError(
      "no cgroup freezer on this host (neither cgroup.freeze nor the v1 freezer)");
}

bool IsFrozen(const Freezer& freezer) {
  if (freezer.v2) {
    // cgroup.freeze says what was asked; cgroup.events says what is.
    const std::string events =
        freezer.control.substr(0, freezer.control.rfind('/')) + "/cgroup.events";
    return ReadKey(events, "frozen") == 1;
  }
  return absl::StripAsciiWhitespace(ReadFileOrEmpty(freezer.control)) == "FROZEN";
}

}  // namespace

absl::Status Cgroup::Freeze(bool frozen) {
  ASSIGN_OR_RETURN(Freezer freezer, FindFreezer(unified_dir_, v1_dirs_));
  RETURN_IF_ERROR(WriteKernelFile(
      freezer.control, freezer.v2 ? (frozen ? "1" : "0") : (frozen ? "FROZEN" : "THAWED")));
  // v1 passes through FREEZING; v2 freezes asynchronously.
  const absl::Time deadline = absl::Now() + absl::Seconds(5);
  while (IsFrozen(freezer) != frozen) {
    if (absl::Now() > deadline) {
      if (frozen) (void)WriteKernelFile(freezer.control, freezer.v2 ? "0" : "THAWED");
      return absl::DeadlineExceededError(absl::StrCat(
          "'", freezer.control, "': the container did not ", frozen ? "freeze" : "thaw",
          " within 5 s"));
    }
    absl::SleepFor(absl::Milliseconds(1));
  }
  return absl::OkStatus();
}

bool Cgroup::Frozen() const {
  absl::StatusOr<Freezer> freezer = FindFreezer(unified_dir_, v1_dirs_);
  return freezer.ok() && IsFrozen(*freezer);
}

absl::Status Cgroup::Kill() {
  if (unified_dir_.empty()) {
    return absl::UnimplementedError("no unified cgroup directory, so no cgroup.kill");
  }
  for (const char* leaf : {kContainerLeaf, kSupervisorLeaf}) {
    const std::string path = absl::StrCat(unified_dir_, "/", leaf, "/cgroup.kill");
    if (access(path.c_str(), W_OK) != 0) {
      if (errno == ENOENT) {
        return absl::UnimplementedError(
            absl::StrCat("'", path, "': no cgroup.kill (Linux < 5.14)"));
      }
      return ErrnoError(errno, absl::StrCat("access '", path, "'"));
    }
    RETURN_IF_ERROR(WriteKernelFile(path, "1"));
  }
  return absl::OkStatus();
}

std::vector<std::pair<std::string, std::string>> Cgroup::ContainerView() const {
  std::vector<std::pair<std::string, std::string>> view;
  for (const auto& [controller, dir] : v1_dirs_) {
    view.emplace_back(controller, absl::StrCat(dir, "/", kContainerLeaf));
  }
  if (view.empty() && !unified_dir_.empty()) {
    view.emplace_back("", absl::StrCat(unified_dir_, "/", kContainerLeaf));
  }
  return view;
}

std::vector<std::string> Cgroup::Paths() const {
  std::vector<std::string> out;
  if (!unified_dir_.empty()) out.push_back(unified_dir_);
  for (const auto& [c, dir] : v1_dirs_) {
    if (std::find(out.begin(), out.end(), dir) == out.end()) out.push_back(dir);
  }
  return out;
}

absl::Status Cgroup::Destroy() {
  if (destroyed_) return absl::OkStatus();
  unified_fd_.reset();
  // Processes of a killed sandbox take a moment to leave the cgroup.
  const absl::Time deadline = absl::Now() + absl::Seconds(5);
  for (const std::string& base : Paths()) {
    // A v1 supervisor leaf exists only if an earlier version made the record
    // (it is looked for in an adopted cgroup alone).
    std::vector<std::string> dirs = {absl::StrCat(base, "/", kContainerLeaf)};
    if (base == unified_dir_ || adopted_) dirs.push_back(absl::StrCat(base, "/", kSupervisorLeaf));
    dirs.push_back(base);
    for (const std::string& dir : dirs) {
      while (rmdir(dir.c_str()) != 0 && errno != ENOENT) {
        if (errno != EBUSY || absl::Now() > deadline) {
          return ErrnoError(errno, absl::StrCat("rmdir '", dir, "'"));
        }
        absl::SleepFor(absl::Milliseconds(2));
      }
    }
  }
  destroyed_ = true;
  return absl::OkStatus();
}

Cgroup::~Cgroup() { (void)Destroy(); }

}  // namespace runsc::sandbox
