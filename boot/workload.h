// A workload process, in two halves.
//
// PlanWorkload runs in the launcher and does everything that allocates or
// can fail on its own: the environment (HOME from the container's
// /etc/passwd, LISTEN_FDS), the executable's path, the limits, the
// capability sets as the kernel takes them, the compiled seccomp program,
// and the text of every error the child could report.
//
// ExecWorkload runs in the child and makes only system calls on that plan:
// join the workloads' user namespace, apply limits, cwd, user and groups,
// the five capability sets, no_new_privs and seccomp, close every other fd,
// and execve. It allocates nothing and takes no lock, so the launcher can
// start it with clone(CLONE_VM): the child borrows the launcher's memory
// until its execve, with no page tables copied and no copy-on-write faults
// (on this machine kind a fork-based spawn cost about 1.8 ms more per
// process). errno is the one thing it writes that the launcher also uses.
//
// On failure the child writes one SyncMessage kError (stage, errno, what it
// was doing) to `error_fd` (O_CLOEXEC: a successful execve closes it, which
// is how the launcher knows the exec happened) and exits 127.
// WorkloadFailure turns that record into the error's message.
#ifndef RUNSC_BOOT_WORKLOAD_H_
#define RUNSC_BOOT_WORKLOAD_H_

#include <linux/capability.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "boot/seccomp_cache.h"
#include "proto/boot.pb.h"
#include "runsc/util/sync_message.h"

namespace runsc::boot {

// struct sched_attr, as the kernel defines it (glibc 2.36 has none).
struct SchedAttr {
  uint32_t size, policy;
  uint64_t flags;
  int32_t nice;
  uint32_t priority;
  uint64_t runtime, deadline, period;
};

// What the child needs, worked out in advance. The child only reads it,
// except the reserved digits of LISTEN_PID, which it fills with its pid.
struct WorkloadPlan {
  bool terminal = false;
  struct Limit {
    int resource;
    struct rlimit value;
    std::string what;
  };
  std::vector<Limit> rlimits;
  std::string oom_score_adj;  // empty: left as inherited
  std::string oom_score_adj_what;
  // The launcher's own procfs of the container's PID namespace (its /proc
  // may be none, or files a workload made); the launcher sets it.
  int proc_fd = -1;
  int umask = -1;  // -1: left as inherited (the plan sets 022 by default)
  std::optional<SchedAttr> scheduler;
  std::string scheduler_what, scheduler_eperm_what;
  std::optional<int> io_priority;
  std::string io_priority_what, io_priority_eperm_what;
  std::optional<unsigned long> personality;
  std::string personality_what;
  uid_t uid = 0;
  gid_t gid = 0;
  std::string setresuid_what, setresgid_what;
  std::vector<gid_t> groups;
  std::string keyring;  // empty: an anonymous session keyring
  std::string keyring_what;
  std::string cwd;
  std::string cwd_what;
  std::vector<int> bounding_drops;  // capabilities to drop from the bounding set
  __user_cap_header_struct cap_header = {};
  __user_cap_data_struct cap_data[2] = {};
  std::vector<int> ambient_raises;
  bool no_new_privileges = false;
  const std::string* seccomp_bpf = nullptr;  // owned by the SeccompCache
  unsigned int seccomp_flags = 0;            // SeccompProgram.filter_flags
  // The files execve is tried on, in order, each with the text of its
  // failure: args[0] when it names a path, else every executable regular
  // file of that name along $PATH. As execvp, the child goes on to the next
  // when the workload's user may not run one. Never empty.
  struct ExecCandidate {
    std::string path;
    std::string what;
  };
  std::vector<ExecCandidate> exes;
  std::vector<std::string> args, env;
  // Pointers into args and env, null-terminated; the plan must not move.
  std::vector<char*> argv, envp;
  // The LISTEN_PID=... entry of envp, or null: its digits are the child's.
  char* listen_pid = nullptr;
};

// The plan for `process`, or why it cannot run (an executable that is not
// there, a seccomp program that does not compile) and, in `failed_stage`,
// the stage that failed. Runs in the launcher, whose root is the
// container's.
absl::StatusOr<std::unique_ptr<WorkloadPlan>> PlanWorkload(
    const runsc::boot::v1::ProcessConfig& process, SeccompCache& seccomp,
    util::SetupStage* failed_stage);

// The signals whose disposition in this process is not SIG_DFL (a handler
// or SIG_IGN): what a child about to exec must put back. The launcher takes
// them once, after its own set-up; it installs no handler and ignores no
// signal after that, so the child resets these and not every signal (64
// system calls an exec, about 60 us on a VM that charges 1 us each).
std::vector<int> SignalsNotDefault();

// stdio[0..2] become fds 0..2 and extra[0..extra_count) fds 3, 4, ...;
// everything else is closed at exec. `extra` is scratch space: the child
// overwrites it.
//
// With `hold_fd` (not -1), the process is created but not started: after
// its namespace, limits and cwd are settled, it writes a SyncMessage
// kReady to `error_fd` and waits for the byte 'g' on `hold_fd` before the
// capability, seccomp and user steps and the exec. Anything else (the
// launcher gone) ends it without running the workload. A held child may
// share the launcher's memory, which goes on meanwhile: its plan, its
// arguments and its stack must stay where they are, unchanged, until it
// has exec'd, and only its waiting read runs beside the launcher's code.
// `reset_signals` (SignalsNotDefault) get SIG_DFL back and the signal mask
// is emptied before anything else.
[[noreturn]] void ExecWorkload(const WorkloadPlan& plan, const std::vector<int>& reset_signals,
                               int nested_userns_fd, const int stdio[3], int* extra,
                               size_t extra_count, int error_fd, int hold_fd = -1);

// The message of a failure the child reported: "what: ENAME (description)"
// when it carries an errno, as util::ErrnoError writes them.
std::string WorkloadFailureMessage(const util::SyncMessage& record);

// The home directory of `uid` in the text of an /etc/passwd, or "/".
std::string HomeFromPasswd(const std::string& passwd, uint32_t uid);

// The value of `key` in a KEY=VALUE list, if present.
std::optional<std::string> FindEnv(const std::vector<std::string>& env,
                                   const std::string& key);

}  // namespace runsc::boot

#endif  // RUNSC_BOOT_WORKLOAD_H_
