#include "boot/workload.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <linux/openat2.h>
#include <sched.h>
#include <signal.h>
#include <sys/capability.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "boot/seccomp_loader.h"
#include "runsc/util/errno_status.h"

namespace runsc::boot {

using runsc::boot::v1::ProcessConfig;
using util::ErrnoError;
using util::SetupStage;

namespace {

constexpr char kDefaultPath[] =
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
constexpr char kListenPid[] = "LISTEN_PID=";

// ---- The child's half: system calls only, no allocation. ----

[[noreturn]] void Fail(int error_fd, SetupStage stage, int err, const char* what) {
  util::WriteSyncMessage(error_fd, util::SyncType::kError, stage, err, what);
  _exit(127);
}

// Writes `n` in decimal at `out`, NUL-terminated.
void FillDecimal(char* out, unsigned long n) {
  char digits[24];
  int d = 0;
  do {
    digits[d++] = static_cast<char>('0' + n % 10);
    n /= 10;
  } while (n != 0);
  while (d > 0) *out++ = digits[--d];
  *out = '\0';
}

// "what N", into `buf`.
const char* WithNumber(char (&buf)[96], const char* what, unsigned long n) {
  size_t i = 0;
  while (what[i] != '\0' && i < sizeof(buf) - 24) {
    buf[i] = what[i];
    ++i;
  }
  buf[i++] = ' ';
  FillDecimal(buf + i, n);
  return buf;
}

// Raw system calls for the id changes: glibc's wrappers would try to
// signal the other threads of the process the child borrows memory from.
long SetResUid(uid_t r, uid_t e, uid_t s) { return syscall(SYS_setresuid, r, e, s); }
long SetResGid(gid_t r, gid_t e, gid_t s) { return syscall(SYS_setresgid, r, e, s); }

// The kernel gives an oom_score_adj written here to every process that
// shares this memory: the launcher, and a held main process. So it is the
// last step before the exec's own (a held process's, once released), and
// the launcher puts its own back once this process has exec'd.
void ApplyOomScoreAdj(const WorkloadPlan& plan, int error_fd) {
  if (plan.oom_score_adj.empty()) return;
  const int fd = openat(plan.proc_fd, "self/oom_score_adj", O_WRONLY | O_CLOEXEC);
  if (fd < 0 || write(fd, plan.oom_score_adj.data(), plan.oom_score_adj.size()) < 0) {
    Fail(error_fd, SetupStage::kWorkloadLimits, errno, plan.oom_score_adj_what.c_str());
  }
  close(fd);
}

void ApplyLimits(const WorkloadPlan& plan, int error_fd) {
  for (const WorkloadPlan::Limit& r : plan.rlimits) {
    if (setrlimit(r.resource, &r.value) != 0) {
      Fail(error_fd, SetupStage::kWorkloadLimits, errno, r.what.c_str());
    }
  }
  if (plan.umask >= 0) umask(static_cast<mode_t>(plan.umask));
  if (plan.scheduler.has_value() && syscall(SYS_sched_setattr, 0, &*plan.scheduler, 0) != 0) {
    const int err = errno;
    Fail(error_fd, SetupStage::kWorkloadLimits, err,
         (err == EPERM ? plan.scheduler_eperm_what : plan.scheduler_what).c_str());
  }
  if (plan.io_priority.has_value()) {
    constexpr int kIoprioWhoProcess = 1;
    if (syscall(SYS_ioprio_set, kIoprioWhoProcess, 0, *plan.io_priority) != 0) {
      const int err = errno;
      Fail(error_fd, SetupStage::kWorkloadLimits, err,
           (err == EPERM ? plan.io_priority_eperm_what : plan.io_priority_what).c_str());
    }
  }
  if (plan.personality.has_value() && personality(*plan.personality) == -1) {
    Fail(error_fd, SetupStage::kWorkloadLimits, errno, plan.personality_what.c_str());
  }
}

void SetUser(const WorkloadPlan& plan, int error_fd) {
  if (syscall(SYS_setgroups, plan.groups.size(), plan.groups.data()) != 0) {
    Fail(error_fd, SetupStage::kWorkloadUser, errno, "setgroups(process.user.additionalGids)");
  }
  if (SetResGid(plan.gid, plan.gid, plan.gid) != 0) {
    Fail(error_fd, SetupStage::kWorkloadUser, errno, plan.setresgid_what.c_str());
  }
  // Keep the permitted set across the uid change; the capability step then
  // sets exactly the spec's sets.
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) {
    Fail(error_fd, SetupStage::kWorkloadUser, errno, "PR_SET_KEEPCAPS");
  }
  if (SetResUid(plan.uid, plan.uid, plan.uid) != 0) {
    Fail(error_fd, SetupStage::kWorkloadUser, errno, plan.setresuid_what.c_str());
  }
  // A change of effective ids makes the memory dumpable as fs.suid_dumpable
  // says (commit_creds), and this memory is the launcher's until the exec:
  // with the sysctl at 1, a workload with CAP_SYS_PTRACE could then attach
  // to a process that still runs on it (this one, or a held main process)
  // and write the launcher's memory. Not dumpable again, whatever the
  // sysctl. (A spec's seccomp program, already in without no_new_privs, may
  // refuse the prctl; the sysctl's default, 0, then holds as before.)
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0) {
    Fail(error_fd, SetupStage::kWorkloadUser, errno, "PR_SET_KEEPCAPS");
  }
}

// The five capability sets. Runs after the uid change (with KEEPCAPS).
void ApplyCapabilities(const WorkloadPlan& plan, int error_fd) {
  __user_cap_header_struct header = plan.cap_header;
  if (syscall(SYS_capset, &header, plan.cap_data) != 0) {
    Fail(error_fd, SetupStage::kWorkloadCapabilities, errno, "cap_set_proc(process.capabilities)");
  }
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0) {
    Fail(error_fd, SetupStage::kWorkloadCapabilities, errno, "cap_reset_ambient");
  }
  char buf[96];
  for (int c : plan.ambient_raises) {
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) != 0) {
      Fail(error_fd, SetupStage::kWorkloadCapabilities, errno,
           WithNumber(buf, "raise ambient capability", c));
    }
  }
}

void LoadSeccomp(const WorkloadPlan& plan, int error_fd) {
  if (plan.seccomp_bpf == nullptr) return;
  if (int err = InstallSeccompBpf(*plan.seccomp_bpf, plan.seccomp_flags); err != 0) {
    Fail(error_fd, SetupStage::kWorkloadSeccomp, err, "seccomp: load filter");
  }
}

// ---- The launcher's half. ----

// The launcher looks as the sandbox's root, which may read and search
// everything; whether the workload's user may run a file is the kernel's
// answer to the child's execve, which goes on to the next candidate.
// `path` opened as the launcher must open the container's files for
// itself: never through a magic link (a workload's /proc/PID/root, into a
// mount namespace of its own where a FUSE file could block us for good).
int OpenNoMagicLinks(const std::string& path, int flags) {
  struct open_how how = {};
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
  how.resolve = RESOLVE_NO_MAGICLINKS;
  return static_cast<int>(syscall(SYS_openat2, AT_FDCWD, path.c_str(), &how, sizeof(how)));
}

absl::StatusOr<std::vector<std::string>> FindExecutables(const std::string& name,
                                                         const std::string& cwd,
                                                         const std::vector<std::string>& env) {
  if (name.find('/') != std::string::npos) return std::vector<std::string>{name};
  const std::string path = FindEnv(env, "PATH").value_or(kDefaultPath);
  std::vector<std::string> found;
  for (absl::string_view dir : absl::StrSplit(path, ':')) {
    std::string candidate = absl::StrCat(dir.empty() ? "." : dir, "/", name);
    // A relative entry is relative to the process's cwd, where it will run.
    const std::string seen =
        candidate[0] == '/' ? candidate : absl::StrCat(cwd, "/", candidate);
    const int fd = OpenNoMagicLinks(seen, O_PATH);
    struct stat st;
    if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111) != 0) {
      found.push_back(std::move(candidate));
    }
    if (fd >= 0) close(fd);
  }
  if (found.empty()) {
    // runc's words, which podman and Docker read for the exit code (127).
    return absl::NotFoundError(
        absl::StrCat("process.args[0]: exec: \"", name, "\": executable file not found in $PATH"));
  }
  return found;
}

// The container's /etc/passwd (never the host's). The rootfs is untrusted:
// only a regular file, opened without blocking, and at most 1 MiB of it.
std::string ReadContainerPasswd() {
  int fd = OpenNoMagicLinks("/etc/passwd", O_RDONLY | O_NONBLOCK);
  if (fd < 0) return "";
  std::string text;
  struct stat st;
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
    char buf[4096];
    ssize_t n;
    while (text.size() < (1 << 20) && (n = read(fd, buf, sizeof(buf))) > 0) {
      text.append(buf, static_cast<size_t>(n));
    }
  }
  close(fd);
  return text;
}

void PlanLimits(const ProcessConfig& p, WorkloadPlan& plan) {
  for (const auto& r : p.rlimits()) {
    plan.rlimits.push_back({static_cast<int>(r.resource()),
                            {r.soft(), r.hard()},
                            absl::StrCat("setrlimit(", r.resource(), ", soft ", r.soft(),
                                         ", hard ", r.hard(), ")")});
  }
  if (p.has_oom_score_adj()) {
    plan.oom_score_adj = absl::StrCat(p.oom_score_adj());
    plan.oom_score_adj_what = absl::StrCat("write oom_score_adj ", plan.oom_score_adj);
  }
  // runc's default where the spec has none: never the caller's (a shell's, or
  // a service manager's UMask=), which may be 0.
  plan.umask = p.has_umask() ? static_cast<int>(p.umask()) : 022;
  if (p.scheduler().set()) {
    const auto& s = p.scheduler();
    SchedAttr attr = {};
    attr.size = sizeof(attr);
    attr.policy = s.policy();
    attr.flags = s.flags();
    attr.nice = s.nice();
    attr.priority = s.priority();
    attr.runtime = s.runtime();
    attr.deadline = s.deadline();
    attr.period = s.period();
    plan.scheduler = attr;
    plan.scheduler_what = absl::StrCat("process.scheduler: sched_setattr(policy ", s.policy(), ")");
    plan.scheduler_eperm_what = absl::StrCat(
        plan.scheduler_what,
        " (real-time and deadline policies need CAP_SYS_NICE on the host, which a sandbox never "
        "has)");
  }
  if (p.has_io_priority()) {
    plan.io_priority = static_cast<int>(p.io_priority());
    plan.io_priority_what = absl::StrCat("process.ioPriority: ioprio_set(", p.io_priority(), ")");
    plan.io_priority_eperm_what =
        absl::StrCat(plan.io_priority_what, " (the real-time class needs CAP_SYS_ADMIN on the host)");
  }
  if (p.has_personality()) {
    plan.personality = p.personality();
    plan.personality_what = absl::StrCat("linux.personality: personality(", p.personality(), ")");
  }
}

void PlanCapabilities(const ProcessConfig& p, WorkloadPlan& plan) {
  const auto& caps = p.capabilities();
  const int count = static_cast<int>(cap_max_bits());
  for (int c = 0; c < count; ++c) {
    if (c < 64 && (caps.bounding() & (uint64_t{1} << c))) continue;
    plan.bounding_drops.push_back(c);
  }
  plan.cap_header.version = _LINUX_CAPABILITY_VERSION_3;
  plan.cap_header.pid = 0;
  for (int half = 0; half < 2; ++half) {
    plan.cap_data[half].effective = static_cast<uint32_t>(caps.effective() >> (32 * half));
    plan.cap_data[half].permitted = static_cast<uint32_t>(caps.permitted() >> (32 * half));
    plan.cap_data[half].inheritable = static_cast<uint32_t>(caps.inheritable() >> (32 * half));
  }
  // The kernel raises an ambient capability only if it is both permitted and
  // inheritable; like runc, the others are left out rather than failing
  // (`runc spec` lists ambient capabilities without inheritable ones).
  const uint64_t raisable = caps.ambient() & caps.permitted() & caps.inheritable();
  for (int c = 0; c < count && c < 64; ++c) {
    if (raisable & (uint64_t{1} << c)) plan.ambient_raises.push_back(c);
  }
}

}  // namespace

std::optional<std::string> FindEnv(const std::vector<std::string>& env,
                                   const std::string& key) {
  for (const std::string& kv : env) {
    if (kv.size() > key.size() && kv.compare(0, key.size(), key) == 0 && kv[key.size()] == '=') {
      return kv.substr(key.size() + 1);
    }
  }
  return std::nullopt;
}

std::string HomeFromPasswd(const std::string& passwd, uint32_t uid) {
  for (absl::string_view line : absl::StrSplit(passwd, '\n')) {
    std::vector<absl::string_view> f = absl::StrSplit(line, ':');
    uint32_t id;
    if (f.size() >= 6 && absl::SimpleAtoi(f[2], &id) && id == uid && !f[5].empty()) {
      return std::string(f[5]);
    }
  }
  return "/";
}

std::string WorkloadFailureMessage(const util::SyncMessage& record) {
  const std::string what(record.text, strnlen(record.text, sizeof(record.text)));
  if (record.err == 0) return what;
  return std::string(ErrnoError(record.err, what).message());
}

absl::StatusOr<std::unique_ptr<WorkloadPlan>> PlanWorkload(const ProcessConfig& p,
                                                           SeccompCache& seccomp,
                                                           SetupStage* failed_stage) {
  auto plan = std::make_unique<WorkloadPlan>();
  plan->terminal = p.terminal();
  PlanLimits(p, *plan);
  plan->uid = p.uid();
  plan->gid = p.gid();
  plan->setresuid_what = absl::StrCat("setresuid(", p.uid(), ")");
  plan->setresgid_what = absl::StrCat("setresgid(", p.gid(), ")");
  plan->groups.assign(p.additional_gids().begin(), p.additional_gids().end());
  plan->keyring = p.session_keyring();
  plan->keyring_what = absl::StrCat("join a new session keyring",
                                    plan->keyring.empty() ? "" : " '" + plan->keyring + "'");
  plan->cwd = p.cwd();
  plan->cwd_what = absl::StrCat("process.cwd: chdir '", p.cwd(), "' in the container");
  PlanCapabilities(p, *plan);
  plan->no_new_privileges = p.no_new_privileges();
  absl::StatusOr<const std::string*> bpf = seccomp.Compiled(p.seccomp());
  if (!bpf.ok()) {
    *failed_stage = SetupStage::kWorkloadSeccomp;
    return bpf.status();
  }
  plan->seccomp_bpf = *bpf;
  plan->seccomp_flags = p.seccomp().filter_flags();

  std::vector<std::string>& env = plan->env;
  env.assign(p.env().begin(), p.env().end());
  if (p.listen_fds() > 0) {
    // Socket activation: the counts are ours to set, for this process.
    std::vector<std::string> kept;
    for (std::string& kv : env) {
      if (kv.rfind("LISTEN_FDS=", 0) != 0 && kv.rfind("LISTEN_PID=", 0) != 0) {
        kept.push_back(std::move(kv));
      }
    }
    env = std::move(kept);
    env.push_back(absl::StrCat("LISTEN_FDS=", p.listen_fds()));
    // Room for the child's pid, which only the child knows.
    env.push_back(absl::StrCat(kListenPid, std::string(20, '0')));
  }
  if (!FindEnv(env, "HOME").has_value()) {
    env.push_back("HOME=" + HomeFromPasswd(ReadContainerPasswd(), p.uid()));
  }
  absl::StatusOr<std::vector<std::string>> exes = FindExecutables(p.args(0), p.cwd(), env);
  if (!exes.ok()) {
    *failed_stage = SetupStage::kWorkloadExec;
    return exes.status();
  }
  for (std::string& exe : *exes) {
    std::string what = absl::StrCat("execve '", exe, "'");
    plan->exes.push_back({std::move(exe), std::move(what)});
  }
  plan->args.assign(p.args().begin(), p.args().end());
  for (std::string& s : plan->args) plan->argv.push_back(s.data());
  plan->argv.push_back(nullptr);
  for (std::string& s : env) {
    plan->envp.push_back(s.data());
    if (p.listen_fds() > 0 && s.rfind(kListenPid, 0) == 0) {
      plan->listen_pid = s.data() + sizeof(kListenPid) - 1;
    }
  }
  plan->envp.push_back(nullptr);
  return plan;
}

std::vector<int> SignalsNotDefault() {
  std::vector<int> signals;
  for (int sig = 1; sig < _NSIG; ++sig) {
    struct sigaction now;
    // glibc's own signals (32, 33) and SIGKILL/SIGSTOP fail here: nothing
    // can change those, so nothing needs resetting.
    if (sigaction(sig, nullptr, &now) == 0 && now.sa_handler != SIG_DFL) signals.push_back(sig);
  }
  return signals;
}

void ExecWorkload(const WorkloadPlan& plan, const std::vector<int>& reset_signals,
                  int nested_userns_fd, const int stdio[3], int* extra, size_t extra_count,
                  int error_fd, int hold_fd) {
  // Default dispositions and an empty mask, whatever the launcher had. A
  // handler must not run here: this child may be using the launcher's
  // memory. (The launcher blocks every signal around the clone, and execve
  // would reset a handler it installed later, but not an ignored signal.)
  struct sigaction dfl = {};
  dfl.sa_handler = SIG_DFL;
  for (int sig : reset_signals) sigaction(sig, &dfl, nullptr);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  if (setsid() < 0) Fail(error_fd, SetupStage::kWorkloadStdio, errno, "setsid");
  int high[3];
  char buf[96];
  for (int i = 0; i < 3; ++i) {
    high[i] = fcntl(stdio[i], F_DUPFD_CLOEXEC, 3);
    if (high[i] < 0) {
      Fail(error_fd, SetupStage::kWorkloadStdio, errno, WithNumber(buf, "dup stdio fd", i));
    }
  }
  for (int i = 0; i < 3; ++i) {
    if (dup3(high[i], i, 0) < 0) {
      Fail(error_fd, SetupStage::kWorkloadStdio, errno, WithNumber(buf, "install fd", i));
    }
  }
  if (plan.terminal && ioctl(0, TIOCSCTTY, 0) != 0) {
    Fail(error_fd, SetupStage::kWorkloadStdio, errno, "TIOCSCTTY");
  }

  if (setns(nested_userns_fd, CLONE_NEWUSER) != 0) {
    Fail(error_fd, SetupStage::kWorkloadUserns, errno,
         "setns into the workloads' user namespace");
  }
  ApplyLimits(plan, error_fd);
  // A new keyring belongs to its creator's real ids: for now, the
  // process's user's (the effective ids, and so the capabilities, stay),
  // because SetUser below comes after seccomp may already forbid keyctl.
  if (SetResGid(plan.gid, -1, -1) != 0 || SetResUid(plan.uid, -1, -1) != 0) {
    Fail(error_fd, SetupStage::kWorkloadUser, errno, "set the real ids for the keyring");
  }
  constexpr int kKeyctlJoinSessionKeyring = 1;  // KEYCTL_JOIN_SESSION_KEYRING
  if (syscall(SYS_keyctl, kKeyctlJoinSessionKeyring,
              plan.keyring.empty() ? nullptr : plan.keyring.c_str()) < 0 &&
      errno != ENOSYS) {
    Fail(error_fd, SetupStage::kKeyring, errno, plan.keyring_what.c_str());
  }
  if (SetResUid(0, -1, -1) != 0 || SetResGid(0, -1, -1) != 0) {
    Fail(error_fd, SetupStage::kWorkloadUser, errno, "restore the real ids");
  }
  // Never through a magic link: a workload could make the cwd one to a fd
  // this child still holds until its exec (the launcher's own procfs).
  // The root is the container's, so "/" and ".." stay in it.
  struct open_how how = {};
  how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
  how.resolve = RESOLVE_NO_MAGICLINKS;
  const int cwd =
      static_cast<int>(syscall(SYS_openat2, AT_FDCWD, plan.cwd.c_str(), &how, sizeof(how)));
  if (cwd < 0 || fchdir(cwd) != 0) {
    Fail(error_fd, SetupStage::kWorkloadCwd, errno, plan.cwd_what.c_str());
  }
  close(cwd);
  if (plan.listen_pid != nullptr) FillDecimal(plan.listen_pid, syscall(SYS_getpid));

  if (hold_fd >= 0) {
    // Created: the rest waits for start. Seccomp is not in yet, so a
    // profile cannot forbid the wait itself.
    if (!util::WriteSyncMessage(error_fd, util::SyncType::kReady, SetupStage::kWorkloadExec, 0,
                                "held")) {
      _exit(127);
    }
    char go = 0;
    ssize_t n;
    do {
      n = read(hold_fd, &go, 1);
    } while (n < 0 && errno == EINTR);
    if (n != 1 || go != 'g') _exit(127);
    close(hold_fd);
  }

  ApplyOomScoreAdj(plan, error_fd);
  for (int c : plan.bounding_drops) {
    if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) != 0) {
      Fail(error_fd, SetupStage::kWorkloadCapabilities, errno,
           WithNumber(buf, "drop bounding capability", c));
    }
  }
  // Every fd but stdio and the extra fds goes at the exec, before any
  // filter of the spec's is in: one that faked close_range's success
  // (SCMP_ACT_ERRNO(0)) would otherwise keep the launcher's socket and
  // fds open in the workload.
  // The extra fds go to 3, 4, ...: first all above that range (the error
  // fd too), then down into it. `extra` is the launcher's scratch copy,
  // overwritten in place: nothing is allocated here.
  const int first_free = 3 + static_cast<int>(extra_count);
  if (extra_count > 0) {
    const int moved_error = fcntl(error_fd, F_DUPFD_CLOEXEC, first_free);
    if (moved_error < 0) Fail(error_fd, SetupStage::kWorkloadExec, errno, "F_DUPFD");
    error_fd = moved_error;
    for (size_t i = 0; i < extra_count; ++i) {
      extra[i] = fcntl(extra[i], F_DUPFD_CLOEXEC, first_free);
      if (extra[i] < 0) Fail(error_fd, SetupStage::kWorkloadExec, errno, "F_DUPFD");
    }
    for (size_t i = 0; i < extra_count; ++i) {
      if (dup2(extra[i], 3 + static_cast<int>(i)) < 0) {  // clears close-on-exec
        Fail(error_fd, SetupStage::kWorkloadExec, errno,
             WithNumber(buf, "install extra fd", 3 + i));
      }
    }
  }
  if (syscall(SYS_close_range, first_free, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
    Fail(error_fd, SetupStage::kWorkloadExec, errno, "close_range");
  }
  // Without no_new_privs the filter must go in while CAP_SYS_ADMIN is held
  // (as runc does); with it, as late as possible.
  if (!plan.no_new_privileges) LoadSeccomp(plan, error_fd);
  SetUser(plan, error_fd);
  ApplyCapabilities(plan, error_fd);
  if (plan.no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    Fail(error_fd, SetupStage::kWorkloadSeccomp, errno, "PR_SET_NO_NEW_PRIVS");
  }
  if (plan.no_new_privileges) LoadSeccomp(plan, error_fd);
  // As execvp: a file this user may not run (or that went away) gives way
  // to the next. The first refusal is the answer if none runs; any other
  // error ends the search.
  const WorkloadPlan::ExecCandidate* failed = nullptr;
  int err = 0;
  for (const WorkloadPlan::ExecCandidate& exe : plan.exes) {
    execve(exe.path.c_str(), plan.argv.data(), plan.envp.data());
    const int e = errno;
    const bool next = e == EACCES || e == ENOENT || e == ENOTDIR;
    if (next && err == EACCES) continue;  // keep the first refusal
    failed = &exe;
    err = e;
    if (!next) break;
  }
  Fail(error_fd, SetupStage::kWorkloadExec, err, failed->what.c_str());
}

}  // namespace runsc::boot
