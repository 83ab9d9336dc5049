// Cgroup: one sandbox's cgroup, on cgroup v2 where the unified hierarchy has
// a controller and on v1 otherwise (so pure v2, pure v1 and hybrid hosts all
// work; this machine is hybrid). It is <hierarchy>/<path> in each hierarchy
// used: the spec's linux.cgroupsPath, or runsc/<id>.<slot>. The sandbox
// process and its launcher are placed before they run anything (v2:
// clone3(CLONE_INTO_CGROUP); v1: each moves itself, OpenPlacement), each
// then has a cgroup namespace rooted where it is, and every workload
// inherits the launcher's.
//
// Owns the directories: Destroy() (or the destructor) removes them once the
// processes are gone. Thread safety: not thread-safe.
#ifndef RUNSC_SANDBOX_CGROUP_H_
#define RUNSC_SANDBOX_CGROUP_H_

#include <sys/types.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "proto/boot.pb.h"
#include "runsc/util/unique_fd.h"

namespace runsc::sandbox {

struct CgroupStats {
  uint64_t cpu_usage_ns = 0;
  uint64_t cpu_user_ns = 0;
  uint64_t cpu_kernel_ns = 0;
  uint64_t memory_current = 0;
  uint64_t memory_peak = 0;
  uint64_t memory_limit = 0;    // UINT64_MAX (v2 "max") or the v1 figure when unlimited
  uint64_t memory_failcnt = 0;  // v1 only; v2 counts "max" events instead
  uint64_t pids_current = 0;
  uint64_t pids_limit = 0;      // 0: no limit
  uint64_t oom_kills = 0;
};

// Where the hierarchies are mounted (discovered from /proc/self/mountinfo).
struct CgroupLayout {
  std::string unified;                          // cgroup2 mount, or empty
  std::vector<std::string> unified_controllers; // from its cgroup.controllers
  std::map<std::string, std::string> v1;        // controller -> mount point

  static absl::StatusOr<CgroupLayout> Discover();
};

class Cgroup final {
 public:
  // `path` is relative to each hierarchy's root ("runsc/ID.SLOT",
  // "kubepods/besteffort/podUID/ID"); missing parents are made, and an
  // existing directory is taken over, as runc does.
  static absl::StatusOr<std::unique_ptr<Cgroup>> Create(
      const std::string& path, const runsc::boot::v1::ResourceConfig& resources);
  // Takes over existing directories (from a sandbox record).
  static absl::StatusOr<std::unique_ptr<Cgroup>> Adopt(const std::vector<std::string>& paths);
  // The directories `path` (relative, as for Create) names in the mounted
  // hierarchies that exist, as a record lists them (for Adopt).
  static absl::StatusOr<std::vector<std::string>> ExistingPaths(const std::string& path);
  ~Cgroup();
  Cgroup(const Cgroup&) = delete;
  Cgroup& operator=(const Cgroup&) = delete;

  // Each sandbox's directory holds a leaf `container`, which has the spec's
  // limits and holds the launcher and every workload, while the sandbox
  // process stays outside the limits: in the `supervisor` leaf beside it on
  // v2 (which allows processes only in leaves), in the directory itself on
  // v1. So the OOM killer of a container at its memory limit only ever
  // picks container processes, and the supervisor survives to report the
  // kill.
  static constexpr char kSupervisorLeaf[] = "supervisor";
  static constexpr char kContainerLeaf[] = "container";

  // An fd of the v2 supervisor leaf for clone3(CLONE_INTO_CGROUP), or -1.
  int unified_fd() const { return unified_fd_.get(); }
  // Where a new sandbox's processes go, for its stage 1 to place them
  // itself (sandbox/spawner.h): no host write of a pid to cgroup.procs,
  // which takes the kernel's threadgroup lock for writing, and with it,
  // unless another writer just did, an RCU grace period (4 to 24 ms on this
  // VM, in a third of creations). A thread that writes "0" to a v1
  // hierarchy's `tasks` file moves itself without that lock; the
  // launcher, on the unified hierarchy, is cloned into its leaf
  // (clone3(CLONE_INTO_CGROUP)).
  struct TasksFile {
    util::UniqueFd fd;  // O_WRONLY
    std::string path;
  };
  struct Placement {
    // The sandbox process's own: the sandbox's directory of every v1
    // hierarchy, or with `supervisor_joins` (runtime mode) the container
    // leaf of those it joins (SupervisorJoins).
    std::vector<TasksFile> sandbox;
    // The launcher's, from there: the container leaf of the rest.
    std::vector<TasksFile> launcher;
    // The unified container leaf (a directory), or none.
    util::UniqueFd launcher_unified;
  };
  absl::StatusOr<Placement> OpenPlacement(bool supervisor_joins) const;
  // Whether a runtime-mode sandbox process joins the container leaf of v1
  // hierarchy `controller`: memory and cpu, yes. Never where the freezer
  // acts (the v1 freezer, the unified hierarchy), so a paused sandbox still
  // answers, nor into pids, where its threads would count against the
  // container's pids.max. On a host whose unified hierarchy holds the
  // controllers too, it stays in its own leaf.
  static bool SupervisorJoins(const std::string& controller);
  // The container leaf's usage.
  absl::StatusOr<CgroupStats> Stats() const;
  // Changes the container leaf's limits (what `runsc update` does); fields
  // not set are left alone.
  absl::Status Update(const runsc::boot::v1::ResourceConfig& resources) { return Apply(resources); }
  // Freezes or thaws every process of the container leaf, and returns once
  // the kernel reports the new state: cgroup.freeze on the unified
  // hierarchy where it has one, else the v1 freezer. The supervisor leaf is
  // never frozen, so a paused sandbox still answers.
  absl::Status Freeze(bool frozen);
  // Whether the container leaf is frozen.
  bool Frozen() const;
  // Sends SIGKILL to every process of the sandbox at once (v2 cgroup.kill
  // on both unified leaves, which the kernel keeps new forks out of while
  // it signals): when it returns, none of them runs user code again.
  // UNIMPLEMENTED without a unified directory or on a kernel before 5.14.
  // Only the leaves, which this sandbox made: a spec's cgroupsPath may name
  // a directory that holds others.
  absl::Status Kill();
  // What the container sees as its cgroup: the container leaf of each v1
  // controller by name ("cpu", "memory", ...), or on a v2-only host the
  // unified container leaf under the name "".
  std::vector<std::pair<std::string, std::string>> ContainerView() const;
  // Every sandbox directory (each holds the leaves), for tests and
  // recovery.
  std::vector<std::string> Paths() const;
  // Removes the directories, waiting up to a few seconds for them to empty.
  absl::Status Destroy();
  // Forgets the directories without removing them.
  void Release() { destroyed_ = true; }

 private:
  Cgroup() = default;
  absl::Status Apply(const runsc::boot::v1::ResourceConfig& resources);
  // The container leaf that holds `controller`'s files ("" if none).
  std::string Dir(const std::string& controller) const;
  bool IsUnified(const std::string& dir) const;

  CgroupLayout layout_;
  std::string unified_dir_;                     // the sandbox's directories
  std::map<std::string, std::string> v1_dirs_;  // controller -> directory
  util::UniqueFd unified_fd_;
  // From a record (Adopt), which an older version may have written: it may
  // hold v1 supervisor leaves.
  bool adopted_ = false;
  bool destroyed_ = false;
};

}  // namespace runsc::sandbox

#endif  // RUNSC_SANDBOX_CGROUP_H_
