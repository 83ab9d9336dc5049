#include "sandbox/hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/keyctl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "runsc/util/errno_status.h"
#include "runsc/util/file_util.h"
#include "runsc/util/json_string.h"
#include "runsc/util/poll_timeout.h"
#include "runsc/util/status_macros.h"
#include "runsc/util/unique_fd.h"
#include "sandbox/cgroup.h"

namespace runsc::sandbox {

using util::ErrnoError;
using util::UniqueFd;

namespace {

constexpr size_t kMaxOutput = 4096;  // of a hook's output, kept for errors

// The files a hook's child writes "0" to, to join the container's
// cgroups: each hierarchy's container leaf, those the launcher joins
// (Cgroup::OpenPlacement), the unified one's `cgroup.procs`.
absl::StatusOr<std::vector<UniqueFd>> OpenContainerLeaves(const Cgroup& cgroup) {
  ASSIGN_OR_RETURN(Cgroup::Placement placement, cgroup.OpenPlacement(/*supervisor_joins=*/false));
  std::vector<UniqueFd> files;
  for (Cgroup::TasksFile& file : placement.launcher) files.push_back(std::move(file.fd));
  if (placement.launcher_unified) {
    UniqueFd procs(openat(placement.launcher_unified.get(), "cgroup.procs", O_WRONLY | O_CLOEXEC));
    if (!procs) return ErrnoError(errno, "open the unified container leaf's cgroup.procs");
    files.push_back(std::move(procs));
  }
  return files;
}

// The child's side, between fork and exec: async-signal-safe calls only
// (raw system calls for the ids: no glibc broadcast to other threads).
[[noreturn]] void ExecHook(int exec_fd, int stdin_fd, int out_fd, int ns_fd,
                           const std::vector<UniqueFd>& cgroup_procs, char* const* argv,
                           char* const* envp) {
  // The CLI's blocked signals (its forwarder's) are not the hook's.
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  // Into the container's cgroups, while still the host's root: the image's
  // code it runs, and what that leaves behind, is held by the container's
  // limits and its freezer, not the caller's (the shim's, conmon's).
  for (const UniqueFd& procs : cgroup_procs) {
    if (write(procs.get(), "0", 1) != 1) _exit(125);
  }
  // Stdio, the binary at 3 and the namespaces at 4, and no other fd of the
  // CLI's (its state directory's lock, say): in the container's namespaces,
  // a process of the container could otherwise reach them through
  // /proc/PID/fd before the exec.
  const int exec_high = fcntl(exec_fd, F_DUPFD_CLOEXEC, 10);
  const int ns_high = ns_fd >= 0 ? fcntl(ns_fd, F_DUPFD_CLOEXEC, 10) : -1;
  if (exec_high < 0 || (ns_fd >= 0 && ns_high < 0)) _exit(126);
  if (dup2(stdin_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(out_fd, 2) < 0) _exit(126);
  for (int fd = 0; fd < 3; ++fd) fcntl(fd, F_SETFD, 0);  // dup2 onto itself keeps CLOEXEC
  if (dup3(exec_high, 3, O_CLOEXEC) < 0) _exit(126);
  exec_fd = 3;
  if (ns_high >= 0) {
    if (dup3(ns_high, 4, O_CLOEXEC) < 0) _exit(126);
    ns_fd = 4;
  }
  if (syscall(SYS_close_range, ns_high >= 0 ? 5 : 4, ~0U, 0) != 0) _exit(126);
  if (ns_fd >= 0) {
    // Its user namespace too, as its root: the hook's interpreter and
    // libraries are the container's (its root directory is), and image
    // code must never run with the host's root and capabilities.
    if (setns(ns_fd, CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET |
                         CLONE_NEWCGROUP | CLONE_NEWPID) != 0) {
      _exit(125);
    }
    if (syscall(SYS_setgroups, 0, nullptr) != 0 || syscall(SYS_setresgid, 0, 0, 0) != 0 ||
        syscall(SYS_setresuid, 0, 0, 0) != 0) {
      _exit(125);
    }
    // A session keyring of its own: the caller's (which fork kept) is no
    // image code's to read or change. ENOSYS: a kernel without keys.
    if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, nullptr) < 0 && errno != ENOSYS) {
      _exit(125);
    }
    // The id change made our memory dumpable as fs.suid_dumpable says; the
    // container's processes may not trace us (its execve decides anew).
    prctl(PR_SET_DUMPABLE, 0);
    // A new PID namespace applies to children: the hook is our child, and
    // dies with us (a timeout kills us). The pipe tells it whether we died
    // before its PR_SET_PDEATHSIG took (its parent, outside its namespace,
    // shows as pid 0, so getppid() cannot).
    int alive[2];
    if (pipe2(alive, O_CLOEXEC) != 0) _exit(125);
    pid_t pid = static_cast<pid_t>(syscall(SYS_clone, SIGCHLD, nullptr, nullptr, nullptr, 0));
    if (pid < 0) _exit(125);
    if (pid > 0) {
      int status = 0;
      while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    }
    close(alive[1]);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    struct pollfd parent = {alive[0], POLLIN, 0};
    if (poll(&parent, 1, 0) != 0) _exit(125);  // its write end closed: gone
  }
  // A copy without close-on-exec: a script reaches its interpreter as
  // /dev/fd/N.
  const int inheritable = dup(exec_fd);
  if (inheritable < 0) _exit(127);
  syscall(SYS_execveat, inheritable, "", argv, envp, AT_EMPTY_PATH);
  _exit(127);
}

absl::Status RunHook(const runsc::boot::v1::HookConfig& hook, const std::string& name,
                     const std::string& state_json, pid_t namespaces_of, const Cgroup* cgroup) {
  // The binary, found in our mount namespace.
  UniqueFd exec_fd(open(hook.path().c_str(), O_RDONLY | O_CLOEXEC));
  if (!exec_fd) return ErrnoError(errno, absl::StrCat(name, ": open '", hook.path(), "'"));
  UniqueFd ns_fd;
  std::vector<UniqueFd> cgroup_procs;
  if (namespaces_of > 0) {
    ns_fd.reset(static_cast<int>(syscall(SYS_pidfd_open, namespaces_of, 0)));
    if (!ns_fd) {
      return ErrnoError(errno, absl::StrCat(name, ": pidfd of the container (pid ",
                                            namespaces_of, ")"));
    }
    if (cgroup != nullptr) {
      absl::StatusOr<std::vector<UniqueFd>> leaves = OpenContainerLeaves(*cgroup);
      if (!leaves.ok()) return util::Annotate(leaves.status(), name);
      cgroup_procs = *std::move(leaves);
    }
  }
  // The state on its stdin, from a memfd: it may not fit a pipe (the
  // spec's annotations are in it), and nothing would read a pipe before
  // the fork.
  UniqueFd in_r(memfd_create("hook-state", MFD_CLOEXEC));
  if (!in_r) return ErrnoError(errno, "memfd_create for a hook's stdin");
  absl::Status written = util::WriteAll(in_r.get(), state_json, "the hook's state");
  if (!written.ok()) return util::Annotate(written, name);
  if (lseek(in_r.get(), 0, SEEK_SET) != 0) return ErrnoError(errno, "lseek the hook's state");
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) return ErrnoError(errno, "pipe2 for a hook's output");
  UniqueFd out_r(out[0]), out_w(out[1]);
  std::vector<std::string> args(hook.args().begin(), hook.args().end());
  if (args.empty()) args.push_back(hook.path());
  std::vector<char*> argv, envp;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env(hook.env().begin(), hook.env().end());
  for (std::string& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);

  const pid_t pid = fork();
  if (pid < 0) return ErrnoError(errno, absl::StrCat(name, ": fork"));
  if (pid == 0) {
    ExecHook(exec_fd.get(), in_r.get(), out_w.get(), ns_fd ? ns_fd.get() : -1, cgroup_procs,
             argv.data(), envp.data());
  }
  out_w.reset();
  const absl::Time deadline = hook.timeout_seconds() > 0
                                  ? absl::Now() + absl::Seconds(hook.timeout_seconds())
                                  : absl::InfiniteFuture();
  std::string output;
  bool timed_out = false;
  // Read its output until it closes, then reap; kill it at the deadline.
  while (out_r) {
    struct pollfd p = {out_r.get(), POLLIN, 0};
    const int ready = util::PollUntil(&p, 1, deadline);
    if (ready == 0) {
      timed_out = true;
      kill(pid, SIGKILL);
      break;
    }
    char buf[1024];
    const ssize_t n = read(out_r.get(), buf, sizeof(buf));
    if (n <= 0) break;
    if (output.size() < kMaxOutput) output.append(buf, std::min<size_t>(n, kMaxOutput - output.size()));
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  const std::string said = output.empty() ? "" : absl::StrCat(": ", output);
  if (timed_out) {
    return absl::DeadlineExceededError(absl::StrCat(name, " '", hook.path(), "': timed out after ",
                                                    hook.timeout_seconds(), " s", said));
  }
  if (WIFSIGNALED(status)) {
    return absl::FailedPreconditionError(absl::StrCat(
        name, " '", hook.path(), "': killed by signal ", WTERMSIG(status), said));
  }
  if (WEXITSTATUS(status) != 0) {
    std::string why = absl::StrCat("exit status ", WEXITSTATUS(status));
    if (WEXITSTATUS(status) == 125) why += " (could not join the container's namespaces)";
    if (WEXITSTATUS(status) == 127) why += " (could not execute it)";
    return absl::FailedPreconditionError(
        absl::StrCat(name, " '", hook.path(), "': ", why, said));
  }
  return absl::OkStatus();
}

}  // namespace

std::string HookStateJson(const HookState& state) {
  std::vector<std::string> annotations;
  for (const auto& [k, v] : state.annotations) {
    annotations.push_back(absl::StrCat(util::JsonQuote(k), ":", util::JsonQuote(v)));
  }
  return absl::StrCat("{\"ociVersion\":\"1.0.2\",\"id\":", util::JsonQuote(state.id),
                      ",\"status\":", util::JsonQuote(state.status), ",\"pid\":", state.pid,
                      ",\"bundle\":", util::JsonQuote(state.bundle), ",\"annotations\":{",
                      absl::StrJoin(annotations, ","), "}}");
}

absl::Status RunHooks(const google::protobuf::RepeatedPtrField<runsc::boot::v1::HookConfig>& hooks,
                      const std::string& field, const HookState& state, pid_t namespaces_of,
                      const Cgroup* cgroup) {
  const std::string json = HookStateJson(state);
  for (int i = 0; i < hooks.size(); ++i) {
    absl::Status status =
        RunHook(hooks[i], absl::StrCat(field, "[", i, "]"), json, namespaces_of, cgroup);
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

}  // namespace runsc::sandbox
