#include "sandbox/spawner.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/close_range.h>
#include <linux/sched.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/capability.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "runsc/util/boot_fds.h"
#include "runsc/util/errno_status.h"
#include "runsc/util/fd_limit.h"
#include "runsc/util/file_util.h"
#include "runsc/util/status_macros.h"
#include "runsc/util/sync_message.h"
#include "runsc/util/vm_clone.h"
#include "sandbox/joined_ns.h"
#include "sandbox/stage1.h"
#include "sandbox/state_store.h"

namespace runsc::sandbox {

using util::ErrnoError;
using util::SetupStage;
using util::UniqueFd;

namespace {

// The cgroup namespace comes later: the child enters one of its own once it
// has cloned the launcher into the container's cgroup (ChildAfterClone).
// So does a new network namespace, whose setup is most of a clone's cost:
// the child makes it once the launcher is on its way (stage1::EnterNewNetwork).
constexpr uint64_t kNamespaceFlags =
    CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS;

// At most one `tasks` file per v1 hierarchy a Cgroup uses, for each process.
constexpr int kMaxTasksFiles = 8;

// Everything the child uses after clone, prepared by the parent.
struct ChildPlan {
  // The absolute path of the runsc binary. The child opens it itself, inside
  // its new mount namespace, so that the bind at /runsc and the launcher's
  // exec refer to a mount of the sandbox's own namespace.
  const char* exe_path;
  int sync_fd;         // the child's end
  int parent_sync_fd;  // the parent's end: closed first, so EOF means the
                       // parent is gone
  int exec_w;          // the exec-wait pipe's write end, kept until the exec
  int count;                          // fds to install
  int targets[util::kMaxBootFds];     // fd number in the sandbox process
  int sources[util::kMaxBootFds];     // fd number here
  char* const* argv;                  // the supervisor's: runsc boot
  char* const* launcher_argv;         // runsc boot --launcher
  char* const* envp;
  // RLIMIT_NOFILE's soft limit to give the sandbox (the one the daemon
  // found before it raised its own), or RLIM_INFINITY to leave it.
  rlim_t nofile_soft;
  stage1::NamespaceSetup namespaces;
  // A network namespace of its own (none was joined), made after the
  // launcher's clone and handed to it; and whether its lo comes up.
  bool new_network;
  bool network_loopback;
  const char* tmpfs_size;
  int cap_count;  // the kernel's capabilities: cap_max_bits()
  // The signals this process ignores (bit n-1 for signal n): the child
  // resets them to the default. All of them when that could not be read.
  uint64_t ignored_signals;
  // Cgroup placement (SpawnRequest): v1 `tasks` fds to write "0" to, and
  // their paths; the launcher's cgroup v2 directory, or -1.
  int sandbox_tasks[kMaxTasksFiles];
  const char* sandbox_tasks_paths[kMaxTasksFiles];
  int sandbox_tasks_count;
  int launcher_tasks[kMaxTasksFiles];
  const char* launcher_tasks_paths[kMaxTasksFiles];
  int launcher_tasks_count;
  int launcher_cgroup;
  // With a container: the launcher's own stack (it starts on our memory
  // too, and execs `runsc boot --launcher`).
  bool launcher;
  void* launcher_stack;
  size_t launcher_stack_size;
};

// The launcher's child reads these from its parent's stack, which stays
// mapped (in the caller's memory) until the caller has seen both execs.
struct LauncherChildArgs {
  const ChildPlan* plan;
  const long* high;  // the sources' copies above the boot fds, as plan.sources
  const int* tasks;  // copies of plan.launcher_tasks, likewise
  long exe;
  long sock;    // the launcher's end of its socket with the supervisor
  long report;  // a copy of the sync fd
};

// How long the child may take from "go" to its exec.
constexpr int kExecTimeoutMs = 10000;

using util::RawSyscall;

[[noreturn]] void ChildExit(int code) {
  for (;;) RawSyscall(SYS_exit_group, code);
}

// `err` is a positive errno.
[[noreturn]] void ChildFailAt(long fd, SetupStage stage, long err, const char* what) {
  const util::SyncMessage message =
      util::MakeSyncMessage(util::SyncType::kError, stage, static_cast<int>(err), what);
  long n;
  do {
    n = RawSyscall(SYS_write, fd, reinterpret_cast<long>(&message), sizeof(message));
  } while (n == -EINTR);
  ChildExit(127);
}

[[noreturn]] void ChildFail(long fd, long err, const char* what) {
  ChildFailAt(fd, SetupStage::kSpawn, err, what);
}

void UnblockAllSignals() {
  const uint64_t none = 0;
  RawSyscall(SYS_rt_sigprocmask, SIG_SETMASK, reinterpret_cast<long>(&none), 0, sizeof(none));
}

// The fds a launcher gets: the log, its config and its own fds, 8+ (the
// control, sync and stdio sockets are the supervisor's).
bool LauncherTakes(int target) {
  return target != util::kControlFd && target != util::kSyncFd && target != util::kStdioFd;
}

// The launcher, cloned by the spawner's child into its own PID and mount
// namespaces, still on the caller's memory: raw system calls only, with the
// handlers its parent reset. It installs its fds and execs.
int LauncherChild(void* arg) {
  const LauncherChildArgs& a = *static_cast<const LauncherChildArgs*>(arg);
  const ChildPlan& plan = *a.plan;
  // Into the container's v1 cgroups (it was cloned into the v2 one), a
  // cgroup namespace rooted there for every workload, then the identity
  // the spawner's child takes too.
  stage1::Failure failure;
  if (!stage1::MoveSelfIntoCgroups(a.tasks, plan.launcher_tasks_paths, plan.launcher_tasks_count,
                                   &failure) ||
      !stage1::NewCgroupNamespace(&failure) || !stage1::LeaveHostIdentity(&failure)) {
    ChildFailAt(a.report, failure.stage, failure.err, failure.what);
  }
  for (int i = 0; i < plan.count; ++i) {
    if (!LauncherTakes(plan.targets[i])) continue;
    const long rc = RawSyscall(SYS_dup3, a.high[i], plan.targets[i], 0);
    if (rc < 0) ChildFailAt(a.report, SetupStage::kLauncher, -rc, "dup3 launcher fd");
  }
  long rc = RawSyscall(SYS_dup3, a.sock, util::kLauncherFd, 0);
  if (rc < 0) ChildFailAt(a.report, SetupStage::kLauncher, -rc, "dup3 launcher socket");
  UnblockAllSignals();
  rc = RawSyscall(SYS_execveat, a.exe, reinterpret_cast<long>(""),
                  reinterpret_cast<long>(plan.launcher_argv), reinterpret_cast<long>(plan.envp),
                  AT_EMPTY_PATH);
  ChildFailAt(a.report, SetupStage::kLauncher, -rc, "execveat runsc boot --launcher");
}

// Starts the launcher (see LauncherChild); returns the supervisor's end of
// their socket, above the boot fds.
long StartLauncher(const ChildPlan& plan, const long* high, const int* tasks, long cgroup, long exe,
                   long report, LauncherChildArgs* args) {
  int sv[2];
  long rc = RawSyscall(SYS_socketpair, AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
                       reinterpret_cast<long>(sv));
  if (rc != 0) ChildFailAt(report, SetupStage::kLauncher, -rc, "socketpair for the launcher");
  // Above the boot fds, so that installing them never replaces one.
  const long ours = RawSyscall(SYS_fcntl, sv[0], F_DUPFD_CLOEXEC, util::kMaxBootFds);
  const long theirs = RawSyscall(SYS_fcntl, sv[1], F_DUPFD_CLOEXEC, util::kMaxBootFds);
  RawSyscall(SYS_close, sv[0]);
  RawSyscall(SYS_close, sv[1]);
  if (ours < 0 || theirs < 0) {
    ChildFailAt(report, SetupStage::kLauncher, ours < 0 ? -ours : -theirs, "dup launcher socket");
  }
  *args = LauncherChildArgs{&plan, high, tasks, exe, theirs, report};
  struct clone_args clone = {};
  clone.flags = CLONE_VM | CLONE_NEWPID | CLONE_NEWNS;
  if (cgroup >= 0) {
    // Still as the host's uid 0 (LeaveHostIdentity comes after): the kernel
    // checks that the caller may write the cgroup.procs of both cgroups'
    // common ancestor, a root-owned file.
    clone.flags |= CLONE_INTO_CGROUP;
    clone.cgroup = static_cast<uint64_t>(cgroup);
  }
  clone.exit_signal = SIGCHLD;
  clone.stack = reinterpret_cast<uint64_t>(plan.launcher_stack);
  clone.stack_size = plan.launcher_stack_size;
  const long pid = util::CloneOnStack(&clone, LauncherChild, args);
  if (pid < 0) {
    ChildFailAt(
        report, SetupStage::kLauncher, -pid,
        cgroup >= 0 ? "clone the launcher into the container's cgroup" : "clone the launcher");
  }
  RawSyscall(SYS_close, theirs);
  return ours;
}

// The kernel's struct sigaction for rt_sigaction (glibc's differs).
struct KernelSigaction {
  void (*handler)(int);
  unsigned long flags;
  void (*restorer)();
  uint64_t mask;
};

// The signals this process ignores, from SigIgn in /proc/self/status
// (dispositions are the process's, shared by its threads); every signal if
// that cannot be read. A signal another thread starts ignoring between this
// read and the clone would stay ignored in the sandbox process: nothing in
// the daemon changes a disposition after its start.
uint64_t IgnoredSignals() {
  uint64_t mask = 0;
  if (!absl::SimpleHexAtoi(util::ProcStatusField(getpid(), "SigIgn"), &mask)) return ~uint64_t{0};
  return mask;
}

// Closes every fd from 3 up but the `count` in `keep` (which it sorts).
// Only this process's table: the child has its own copy (no CLONE_FILES).
long CloseAllBut(long* keep, int count) {
  for (int i = 1; i < count; ++i) {
    for (int j = i; j > 0 && keep[j - 1] > keep[j]; --j) {
      const long t = keep[j];
      keep[j] = keep[j - 1];
      keep[j - 1] = t;
    }
  }
  long next = 3;
  for (int i = 0; i < count; ++i) {
    if (keep[i] > next) {
      const long rc = RawSyscall(SYS_close_range, next, keep[i] - 1, 0);
      if (rc != 0) return rc;
    }
    if (keep[i] >= next) next = keep[i] + 1;
  }
  return RawSyscall(SYS_close_range, next, ~0U, 0);
}

// Runs in the cloned child, on the daemon's memory (CLONE_VM) until its
// exec: raw system calls only (util/vm_clone.h), and every signal blocked
// until its handler is the default one.
int ChildAfterClone(void* arg) {
  const ChildPlan& plan = *static_cast<const ChildPlan*>(arg);
  // Our own copy of the handler table, every handled signal already the
  // default (CLONE_CLEAR_SIGHAND): none of the parent's handlers can run
  // here. What the parent ignored is still ignored, and would stay so across
  // the exec: reset those (resetting all 62 took as many system calls).
  const KernelSigaction dfl = {SIG_DFL, 0, nullptr, 0};
  for (int sig = 1; sig < _NSIG; ++sig) {
    if (sig != SIGKILL && sig != SIGSTOP && (plan.ignored_signals & (uint64_t{1} << (sig - 1)))) {
      RawSyscall(SYS_rt_sigaction, sig, reinterpret_cast<long>(&dfl), 0, sizeof(dfl.mask));
    }
  }
  RawSyscall(SYS_close, plan.parent_sync_fd);
  // Wait until the parent has written our id maps: exec before that would
  // leave us unmapped and without capabilities.
  util::SyncMessage go;
  long n;
  do {
    n = RawSyscall(SYS_read, plan.sync_fd, reinterpret_cast<long>(&go), sizeof(go));
  } while (n == -EINTR);
  if (n != static_cast<long>(sizeof(go)) || go.type != util::SyncType::kGo) {
    ChildExit(126);  // the parent gave up on us; it reports its own error
  }
  // Open the binary while the fs credentials are still the host's root (the
  // path may cross root-only directories that uid 65533 could not traverse).
  long exe = RawSyscall(SYS_openat, AT_FDCWD, reinterpret_cast<long>(plan.exe_path),
                        O_PATH | O_CLOEXEC);
  if (exe < 0) ChildFail(plan.sync_fd, -exe, "open runsc binary in the new mount namespace");
  // Our cgroups, before anything is charged to the host caller's; the
  // launcher starts in them and moves on to its own.
  stage1::Failure failure;
  if (!stage1::MoveSelfIntoCgroups(plan.sandbox_tasks, plan.sandbox_tasks_paths,
                                   plan.sandbox_tasks_count, &failure)) {
    ChildFailAt(plan.sync_fd, failure.stage, failure.err, failure.what);
  }
  // Failures are reported on a copy of the sync fd above the target range:
  // installing the targets may replace whatever fd the original has.
  const long report = RawSyscall(SYS_fcntl, plan.sync_fd, F_DUPFD_CLOEXEC, util::kMaxBootFds);
  if (report < 0) ChildFail(plan.sync_fd, -report, "dup sync fd");
  // Move every source above the target range first, so that installing one
  // target never clobbers a source that is still needed.
  long high[util::kMaxBootFds];
  for (int i = 0; i < plan.count; ++i) {
    high[i] = RawSyscall(SYS_fcntl, plan.sources[i], F_DUPFD_CLOEXEC, util::kMaxBootFds);
    if (high[i] < 0) ChildFail(report, -high[i], "dup boot fd");
  }
  exe = RawSyscall(SYS_fcntl, exe, F_DUPFD_CLOEXEC, util::kMaxBootFds);
  if (exe < 0) ChildFail(report, -exe, "dup runsc executable fd");
  int launcher_tasks[kMaxTasksFiles];
  for (int i = 0; i < plan.launcher_tasks_count; ++i) {
    const long fd =
        RawSyscall(SYS_fcntl, plan.launcher_tasks[i], F_DUPFD_CLOEXEC, util::kMaxBootFds);
    if (fd < 0) ChildFail(report, -fd, "dup cgroup fd");
    launcher_tasks[i] = static_cast<int>(fd);
  }
  long launcher_cgroup = -1;
  if (plan.launcher_cgroup >= 0) {
    launcher_cgroup =
        RawSyscall(SYS_fcntl, plan.launcher_cgroup, F_DUPFD_CLOEXEC, util::kMaxBootFds);
    if (launcher_cgroup < 0) ChildFail(report, -launcher_cgroup, "dup cgroup fd");
  }
  // Every other fd of the caller's goes now: stage 1 makes fds of its own
  // (under the sandbox's lower RLIMIT_NOFILE), and other threads' spawns
  // must not wait for our exec to see their pipes close. What is left
  // closes at exec; the targets installed last are the exceptions (dup3
  // without O_CLOEXEC).
  long keep[util::kMaxBootFds + kMaxTasksFiles + 4];
  int kept = 0;
  for (int i = 0; i < plan.count; ++i) keep[kept++] = high[i];
  for (int i = 0; i < plan.launcher_tasks_count; ++i) keep[kept++] = launcher_tasks[i];
  if (launcher_cgroup >= 0) keep[kept++] = launcher_cgroup;
  keep[kept++] = exe;
  keep[kept++] = report;
  keep[kept++] = plan.exec_w;
  long rc = CloseAllBut(keep, kept);
  if (rc != 0) ChildFail(report, -rc, "close_range");
  if (plan.nofile_soft != RLIM_INFINITY) {
    struct rlimit limit;
    rc = RawSyscall(SYS_prlimit64, 0, RLIMIT_NOFILE, 0, reinterpret_cast<long>(&limit));
    if (rc != 0) ChildFail(report, -rc, "getrlimit");
    limit.rlim_cur = plan.nofile_soft;
    rc = RawSyscall(SYS_prlimit64, 0, RLIMIT_NOFILE, reinterpret_cast<long>(&limit), 0);
    if (rc != 0) ChildFail(report, -rc, "restore RLIMIT_NOFILE's soft limit");
  }
  // Stage 1 (sandbox/stage1.h): the hostname, which the launcher shares
  // (it sets the container's over ours); the launcher beside us, while we
  // are still the host's uid 0 (for its clone into the container's cgroup),
  // in the host's cgroup namespace (which must see both cgroups); the
  // network namespace with lo up, handed to the launcher, which joins it
  // before it starts anything; then our own cgroup namespace and identity,
  // our root, nobody.
  if (!stage1::PrepareNamespaces(plan.namespaces, &failure)) {
    ChildFailAt(report, failure.stage, failure.err, failure.what);
  }
  LauncherChildArgs launcher_args;
  const long launcher_sock =
      plan.launcher
          ? StartLauncher(plan, high, launcher_tasks, launcher_cgroup, exe, report, &launcher_args)
          : -1;
  if (plan.new_network &&
      !stage1::EnterNewNetwork(plan.network_loopback, launcher_sock, &failure)) {
    ChildFailAt(report, failure.stage, failure.err, failure.what);
  }
  if (!stage1::NewCgroupNamespace(&failure) || !stage1::LeaveHostIdentity(&failure) ||
      !stage1::BuildRoot(plan.tmpfs_size, static_cast<int>(exe), &failure) ||
      !stage1::DropToNobody(plan.cap_count, &failure)) {
    ChildFailAt(report, failure.stage, failure.err, failure.what);
  }
  // The supervisor's fds; the launcher's own (8+) were its alone.
  for (int i = 0; i < plan.count; ++i) {
    if (plan.targets[i] >= util::kFirstMountFd) continue;
    rc = RawSyscall(SYS_dup3, high[i], plan.targets[i], 0);
    if (rc < 0) ChildFailAt(report, SetupStage::kReexec, -rc, "dup3 boot fd");
  }
  if (launcher_sock >= 0) {
    rc = RawSyscall(SYS_dup3, launcher_sock, util::kLauncherFd, 0);
    if (rc < 0) ChildFailAt(report, SetupStage::kReexec, -rc, "dup3 launcher socket");
  }
  UnblockAllSignals();
  rc = RawSyscall(SYS_execve, reinterpret_cast<long>("/runsc"), reinterpret_cast<long>(plan.argv),
                  reinterpret_cast<long>(plan.envp));
  ChildFailAt(report, SetupStage::kReexec, -rc, "execve '/runsc boot'");
}

// Waits until the child has exec'd (its copy of the O_CLOEXEC pipe's write
// end closed) or died: from then on it no longer runs on our memory.
absl::Status AwaitChildExec(int exec_r) {
  struct pollfd pfd = {exec_r, POLLIN, 0};
  int ready;
  do {
    ready = poll(&pfd, 1, kExecTimeoutMs);
  } while (ready < 0 && errno == EINTR);
  if (ready < 0) return ErrnoError(errno, "poll for the sandbox process's exec");
  if (ready == 0) {
    return absl::DeadlineExceededError(absl::StrCat(
        "the sandbox process did not exec within ", kExecTimeoutMs / 1000, " s"));
  }
  char c;
  ssize_t n;
  do {
    n = read(exec_r, &c, 1);
  } while (n < 0 && errno == EINTR);
  if (n != 0) return absl::InternalError("unexpected data on the exec pipe");
  return absl::OkStatus();
}

// Raises `pid`'s hard limits to `limits` where they are lower. One the
// kernel refuses (RLIMIT_NOFILE over fs.nr_open) is left: the workload's
// own setrlimit then fails, naming the spec's field.
absl::Status RaiseHardLimits(pid_t pid, const std::vector<std::pair<int, uint64_t>>& limits) {
  for (const auto& [resource, hard] : limits) {
    struct rlimit now;
    if (prlimit(pid, static_cast<__rlimit_resource>(resource), nullptr, &now) != 0) {
      return ErrnoError(errno, absl::StrCat("prlimit(", resource, ") of the sandbox process"));
    }
    if (HardLimitCovers(now.rlim_max, hard)) continue;
    const struct rlimit raised = {now.rlim_cur, hard};
    if (prlimit(pid, static_cast<__rlimit_resource>(resource), &raised, nullptr) != 0 &&
        errno != EPERM) {
      return ErrnoError(errno, absl::StrCat("raise the hard limit ", resource, " to ", hard,
                                            " for the sandbox process"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<UniqueFd> SealedMemfd(const std::string& data) {
  if (static_cast<int64_t>(data.size()) > util::kMaxBootConfigBytes) {
    // What the sandbox would refuse at its start (an INTERNAL error, from a
    // sandbox spawned for nothing) is the caller's to shorten.
    return absl::InvalidArgumentError(absl::StrCat(
        "the sandbox's configuration (the process's args and env, the mounts) is ", data.size(),
        " bytes, over the ", util::kMaxBootConfigBytes, " a sandbox takes"));
  }
  UniqueFd fd(memfd_create("runsc-boot-config", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (!fd) return ErrnoError(errno, "memfd_create 'runsc-boot-config'");
  RETURN_IF_ERROR(util::WriteAll(fd.get(), data, "the boot config memfd"));
  if (fcntl(fd.get(), F_ADD_SEALS,
            F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) != 0) {
    return ErrnoError(errno, "seal boot config memfd");
  }
  return fd;
}


}  // namespace

absl::StatusOr<SpawnedProcess> SpawnSandboxProcess(const SpawnRequest& request) {
  RETURN_IF_ERROR(specutils::ValidateIdMap(request.uid_map));
  RETURN_IF_ERROR(specutils::ValidateIdMap(request.gid_map));
  if (request.control_fd < 0 || request.log_fd < 0) {
    return absl::InvalidArgumentError("control_fd and log_fd are required");
  }
  // Resolve symlinks (including /proc/self/exe) to a path string that means
  // the same file in the child's copy of our mount namespace.
  char exe_path[PATH_MAX];
  if (realpath(request.runsc_path.c_str(), exe_path) == nullptr) {
    return ErrnoError(errno, absl::StrCat("resolve runsc binary '",
                                          request.runsc_path, "'"));
  }
  if (access(exe_path, X_OK) != 0) {
    return ErrnoError(errno, absl::StrCat("runsc binary '", exe_path, "'"));
  }
  // The child runs stage 1 on our memory as other host uids (65533, then
  // 65534, the host's nobody). Its credential changes leave that memory
  // non-dumpable only as fs.suid_dumpable says; we say it ourselves, so that
  // no process of those uids may trace or read it whatever the sysctl.
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
    return ErrnoError(errno, "prctl(PR_SET_DUMPABLE, 0)");
  }
  ASSIGN_OR_RETURN(UniqueFd config, SealedMemfd(request.boot_config));
  UniqueFd null_fd(open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (!null_fd) return ErrnoError(errno, "open '/dev/null'");
  int pair[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) {
    return ErrnoError(errno, "socketpair(SOCK_SEQPACKET) for sync");
  }
  UniqueFd parent_sync(pair[0]), child_sync(pair[1]);

  char arg0[] = "runsc", arg1[] = "boot", arg2[] = "--launcher";
  char* const argv[] = {arg0, arg1, nullptr};
  char* const launcher_argv[] = {arg0, arg1, arg2, nullptr};
  char* const envp[] = {nullptr};
  if (request.root_tmpfs_size.empty()) {
    return absl::InvalidArgumentError("root_tmpfs_size is required");
  }
  if (!request.launcher_fds.empty() && !request.launcher) {
    return absl::InvalidArgumentError("launcher fds are for a launcher; none was asked for");
  }
  if (request.stdio_fd < 0) return absl::InvalidArgumentError("stdio_fd is required");
  if (util::kFirstMountFd + request.launcher_fds.size() > util::kMaxBootFds) {
    return absl::InvalidArgumentError(
        absl::StrCat("too many mounts and fds to pass: ", request.launcher_fds.size(), " (at most ",
                     util::kMaxBootFds - util::kFirstMountFd, ")"));
  }
  ChildPlan plan = {};
  plan.exe_path = exe_path;
  plan.sync_fd = child_sync.get();
  plan.parent_sync_fd = parent_sync.get();
  plan.argv = argv;
  plan.launcher_argv = launcher_argv;
  plan.envp = envp;
  plan.nofile_soft = util::InheritedFdSoftLimit();
  plan.new_network =
      std::none_of(request.joined_namespaces.begin(), request.joined_namespaces.end(),
                   [](const std::pair<int, int>& joined) { return joined.second == CLONE_NEWNET; });
  plan.network_loopback = request.loopback && plan.new_network;
  if (!request.hostname.empty()) {
    plan.namespaces.hostname = request.hostname.data();
    plan.namespaces.hostname_length = request.hostname.size();
  }
  plan.tmpfs_size = request.root_tmpfs_size.c_str();
  plan.cap_count = static_cast<int>(cap_max_bits());
  plan.ignored_signals = IgnoredSignals();
  plan.launcher = request.launcher;
  if (request.sandbox_tasks.size() > kMaxTasksFiles ||
      request.launcher_tasks.size() > kMaxTasksFiles) {
    return absl::InvalidArgumentError("too many cgroup tasks files");
  }
  if (!request.launcher && (!request.launcher_tasks.empty() || request.launcher_cgroup_fd >= 0)) {
    return absl::InvalidArgumentError("launcher cgroups are for a launcher; none was asked for");
  }
  for (const SpawnRequest::TasksFile& file : request.sandbox_tasks) {
    plan.sandbox_tasks_paths[plan.sandbox_tasks_count] = file.path.c_str();
    plan.sandbox_tasks[plan.sandbox_tasks_count++] = file.fd;
  }
  for (const SpawnRequest::TasksFile& file : request.launcher_tasks) {
    plan.launcher_tasks_paths[plan.launcher_tasks_count] = file.path.c_str();
    plan.launcher_tasks[plan.launcher_tasks_count++] = file.fd;
  }
  plan.launcher_cgroup = request.launcher_cgroup_fd;
  auto install = [&plan](int target, int source) {
    plan.targets[plan.count] = target;
    plan.sources[plan.count] = source;
    ++plan.count;
  };
  install(util::kStdinFd, null_fd.get());
  install(util::kStdoutFd, request.log_fd);
  install(util::kLogFd, request.log_fd);
  install(util::kControlFd, request.control_fd);
  install(util::kConfigFd, config.get());
  install(util::kSyncFd, child_sync.get());
  install(util::kStdioFd, request.stdio_fd);
  for (size_t i = 0; i < request.launcher_fds.size(); ++i) {
    install(util::kFirstMountFd + static_cast<int>(i), request.launcher_fds[i]);
  }

  // The child (and the launcher's child, cloned from it) hold the only
  // other copies of the write end until their execs. Its number is above
  // the boot fds: the child's dup3s onto the boot fd
  // numbers must not close it early, which would read as an exec while the
  // child still runs on our memory.
  int exec_pipe[2];
  if (pipe2(exec_pipe, O_CLOEXEC) != 0) return ErrnoError(errno, "pipe2 for the exec wait");
  UniqueFd exec_r(exec_pipe[0]);
  UniqueFd exec_w(fcntl(exec_pipe[1], F_DUPFD_CLOEXEC, util::kMaxBootFds));
  const int dup_errno = errno;
  close(exec_pipe[1]);
  if (!exec_w) return ErrnoError(dup_errno, "move the exec wait pipe above the boot fds");
  plan.exec_w = exec_w.get();
  // Declared before the child: they must outlive the children's use of
  // them (the launcher's child too, which starts on our memory as well).
  util::ChildStack stack;
  RETURN_IF_ERROR(stack.Map());
  util::ChildStack launcher_stack;
  if (request.launcher) {
    RETURN_IF_ERROR(launcher_stack.Map());
    plan.launcher_stack = launcher_stack.low();
    plan.launcher_stack_size = launcher_stack.size();
  }

  int pidfd = -1;
  struct clone_args args = {};
  // CLONE_CLEAR_SIGHAND (Linux 5.5): the child starts with none of our
  // handlers.
  args.flags = kNamespaceFlags | CLONE_VM | CLONE_PIDFD | CLONE_CLEAR_SIGHAND;
  args.stack = reinterpret_cast<uint64_t>(stack.low());
  args.stack_size = stack.size();
  // Joined namespaces are inherited from this thread, for the clone.
  std::vector<ScopedNamespace> inside;
  for (const auto& [fd, type] : request.joined_namespaces) {
    absl::StatusOr<ScopedNamespace> entered = ScopedNamespace::Enter(fd, type);
    if (!entered.ok()) return entered.status();
    inside.push_back(std::move(*entered));
    args.flags &= ~static_cast<uint64_t>(type);
  }
  if (request.cgroup_fd >= 0) {
    args.flags |= CLONE_INTO_CGROUP;
    args.cgroup = static_cast<uint64_t>(request.cgroup_fd);
  }
  args.pidfd = reinterpret_cast<uint64_t>(&pidfd);
  args.exit_signal = SIGCHLD;
  long pid;
  {
    // A second guard beside CLONE_CLEAR_SIGHAND: the child starts with
    // every signal blocked, until its dispositions are the default.
    util::AllSignalsBlocked blocked;
    pid = util::CloneOnStack(&args, ChildAfterClone, &plan);
  }
  // Back in our own, the last entered first.
  while (!inside.empty()) inside.pop_back();
  if (pid < 0) {
    return ErrnoError(static_cast<int>(-pid),
                      "clone3(new user, mount, pid, ipc and uts namespaces)");
  }
  ChildProcess child(static_cast<pid_t>(pid), UniqueFd(pidfd));
  // On any early return the child is killed and reaped before `stack` and
  // `plan` go; if it cannot be reaped, it may still run on `stack`, which
  // is then left mapped.
  bool exec_seen = false;
  absl::Cleanup stop_child = [&] {
    if (exec_seen) return;
    // Killing the sandbox's pid 1 ends its PID namespace, the launcher's
    // child included, before the reap returns.
    (void)child.KillAndWait();
    if (!child.reaped()) {
      stack.Leak();
      launcher_stack.Leak();
    }
  };
  child_sync.reset();
  exec_w.reset();

  // Surely alive: it waits for kGo.
  ASSIGN_OR_RETURN(const uint64_t start_time, ProcessStartTime(child.pid()));
  const std::string proc = absl::StrCat("/proc/", child.pid(), "/");
  RETURN_IF_ERROR(
      util::WriteKernelFile(proc + "uid_map", specutils::FormatIdMap(request.uid_map)));
  RETURN_IF_ERROR(util::WriteKernelFile(proc + "gid_map", specutils::FormatIdMap(request.gid_map)));
  RETURN_IF_ERROR(RaiseHardLimits(child.pid(), request.hard_limits));
  if (!util::WriteSyncMessage(parent_sync.get(), util::SyncType::kGo,
                              SetupStage::kNone, 0, "")) {
    return ErrnoError(errno, "send go to sandbox process");
  }
  // Until then it runs on our memory: `plan`, `stack` and what they point
  // to. The pipe's last copy closes once the launcher's child, which has
  // one too, has exec'd as well.
  RETURN_IF_ERROR(AwaitChildExec(exec_r.get()));
  exec_seen = true;
  return SpawnedProcess{std::move(child), std::move(parent_sync), start_time};
}

}  // namespace runsc::sandbox
