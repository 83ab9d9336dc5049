#include "boot/workload.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/close_range.h>
#include <sched.h>
#include <signal.h>
#include <sys/capability.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>


#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "boot/privileges.h"
#include "boot/seccomp_loader.h"
#include "runsc/util/errno_status.h"
#include "runsc/util/sync_message.h"

namespace runsc::boot {

using runsc::boot::v1::ProcessConfig;
using util::ErrnoError;
using util::SetupStage;

namespace {

constexpr char kDefaultPath[] =
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

[[noreturn]] void Fail(int error_fd, SetupStage stage, const absl::Status& status) {
  std::string text(status.message());
  util::WriteSyncMessage(error_fd, util::SyncType::kError, stage, util::ErrnoOf(status),
                         text.c_str());
  _exit(127);
}

absl::Status InstallStdio(const int stdio[3]) {
  int high[3];
  for (int i = 0; i < 3; ++i) {
    high[i] = fcntl(stdio[i], F_DUPFD_CLOEXEC, 3);
    if (high[i] < 0) return ErrnoError(errno, absl::StrCat("dup stdio fd ", i));
  }
  for (int i = 0; i < 3; ++i) {
    if (dup3(high[i], i, 0) < 0) return ErrnoError(errno, absl::StrCat("install fd ", i));
  }
  return absl::OkStatus();
}

absl::Status ApplyLimits(const ProcessConfig& p) {
  for (const auto& r : p.rlimits()) {
    struct rlimit limit = {r.soft(), r.hard()};
    if (setrlimit(r.resource(), &limit) != 0) {
      return ErrnoError(errno, absl::StrCat("setrlimit(", r.resource(), ", soft ",
                                            r.soft(), ", hard ", r.hard(), ")"));
    }
  }
  if (p.has_oom_score_adj()) {
    int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
    std::string value = absl::StrCat(p.oom_score_adj());
    if (fd < 0 || write(fd, value.data(), value.size()) < 0) {
      int err = errno;
      if (fd >= 0) close(fd);
      return ErrnoError(err, absl::StrCat("write oom_score_adj ", value));
    }
    close(fd);
  }
  if (p.has_umask()) umask(static_cast<mode_t>(p.umask()));
  if (p.scheduler().set()) {
    // struct sched_attr, as the kernel defines it (glibc 2.36 has none).
    struct {
      uint32_t size, policy;
      uint64_t flags;
      int32_t nice;
      uint32_t priority;
      uint64_t runtime, deadline, period;
    } attr = {};
    const auto& s = p.scheduler();
    attr.size = sizeof(attr);
    attr.policy = s.policy();
    attr.flags = s.flags();
    attr.nice = s.nice();
    attr.priority = s.priority();
    attr.runtime = s.runtime();
    attr.deadline = s.deadline();
    attr.period = s.period();
    if (syscall(SYS_sched_setattr, 0, &attr, 0) != 0) {
      const int err = errno;
      return ErrnoError(err, absl::StrCat("process.scheduler: sched_setattr(policy ", s.policy(),
                                          ")", err == EPERM ? " (real-time and deadline policies "
                                                              "need CAP_SYS_NICE on the host, "
                                                              "which a sandbox never has)"
                                                            : ""));
    }
  }
  if (p.has_io_priority()) {
    constexpr int kIoprioWhoProcess = 1;
    if (syscall(SYS_ioprio_set, kIoprioWhoProcess, 0, p.io_priority()) != 0) {
      const int err = errno;
      return ErrnoError(err, absl::StrCat("process.ioPriority: ioprio_set(", p.io_priority(), ")",
                                          err == EPERM ? " (the real-time class needs "
                                                         "CAP_SYS_ADMIN on the host)"
                                                       : ""));
    }
  }
  if (p.has_personality() && personality(p.personality()) == -1) {
    return ErrnoError(errno, absl::StrCat("linux.personality: personality(", p.personality(), ")"));
  }
  return absl::OkStatus();
}

// Sets the five capability sets. Runs after the uid change (with KEEPCAPS).
absl::Status ApplyCapabilities(const ProcessConfig& p) {
  const auto& caps = p.capabilities();
  cap_t state = cap_init();
  if (state == nullptr) return ErrnoError(errno, "cap_init");
  const int count = static_cast<int>(cap_max_bits());
  for (int c = 0; c < count && c < 64; ++c) {
    cap_value_t v = static_cast<cap_value_t>(c);
    const uint64_t bit = uint64_t{1} << c;
    if (caps.effective() & bit) cap_set_flag(state, CAP_EFFECTIVE, 1, &v, CAP_SET);
    if (caps.permitted() & bit) cap_set_flag(state, CAP_PERMITTED, 1, &v, CAP_SET);
    if (caps.inheritable() & bit) cap_set_flag(state, CAP_INHERITABLE, 1, &v, CAP_SET);
  }
  int rc = cap_set_proc(state);
  int err = errno;
  cap_free(state);
  if (rc != 0) return ErrnoError(err, "cap_set_proc(process.capabilities)");
  if (cap_reset_ambient() != 0) return ErrnoError(errno, "cap_reset_ambient");
  // The kernel raises an ambient capability only if it is both permitted and
  // inheritable; like runc, the others are left out rather than failing
  // (`runc spec` lists ambient capabilities without inheritable ones).
  const uint64_t raisable = caps.ambient() & caps.permitted() & caps.inheritable();
  for (int c = 0; c < count && c < 64; ++c) {
    if (raisable & (uint64_t{1} << c)) {
      if (cap_set_ambient(static_cast<cap_value_t>(c), CAP_SET) != 0) {
        return ErrnoError(errno, absl::StrCat("raise ambient capability ", c));
      }
    }
  }
  return absl::OkStatus();
}

absl::Status DropBoundingSet(const ProcessConfig& p) {
  const int count = static_cast<int>(cap_max_bits());
  for (int c = 0; c < count; ++c) {
    if (c < 64 && (p.capabilities().bounding() & (uint64_t{1} << c))) continue;
    if (cap_drop_bound(static_cast<cap_value_t>(c)) != 0) {
      return ErrnoError(errno, absl::StrCat("drop bounding capability ", c));
    }
  }
  return absl::OkStatus();
}

absl::Status SetUser(const ProcessConfig& p) {
  std::vector<gid_t> groups(p.additional_gids().begin(), p.additional_gids().end());
  if (setgroups(groups.size(), groups.data()) != 0) {
    return ErrnoError(errno, "setgroups(process.user.additionalGids)");
  }
  if (setresgid(p.gid(), p.gid(), p.gid()) != 0) {
    return ErrnoError(errno, absl::StrCat("setresgid(", p.gid(), ")"));
  }
  // Keep the permitted set across the uid change; ApplyCapabilities then
  // sets exactly the spec's sets.
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) return ErrnoError(errno, "PR_SET_KEEPCAPS");
  if (setresuid(p.uid(), p.uid(), p.uid()) != 0) {
    return ErrnoError(errno, absl::StrCat("setresuid(", p.uid(), ")"));
  }
  if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0) return ErrnoError(errno, "PR_SET_KEEPCAPS");
  return absl::OkStatus();
}

absl::StatusOr<std::string> FindExecutable(const std::string& name,
                                           const std::vector<std::string>& env) {
  if (name.find('/') != std::string::npos) return name;
  const std::string path = FindEnv(env, "PATH").value_or(kDefaultPath);
  for (absl::string_view dir : absl::StrSplit(path, ':')) {
    std::string candidate = absl::StrCat(dir.empty() ? "." : dir, "/", name);
    struct stat st;
    if (stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
  }
  return absl::NotFoundError(absl::StrCat("process.args[0]: executable '", name,
                                          "' not found in $PATH inside the container"));
}

// The container's /etc/passwd (never the host's). The rootfs is untrusted:
// only a regular file, opened without blocking, and at most 1 MiB of it.
std::string ReadContainerPasswd() {
  int fd = open("/etc/passwd", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
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

std::vector<char*> CStrings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (std::string& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
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

void ExecWorkload(const ProcessConfig& p, int nested_userns_fd, const int stdio[3],
                  const std::vector<int>& extra, int error_fd, int hold_fd) {
  // Default dispositions and an empty mask, whatever the launcher had.
  struct sigaction dfl = {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < _NSIG; ++sig) sigaction(sig, &dfl, nullptr);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  if (setsid() < 0) Fail(error_fd, SetupStage::kWorkloadStdio, ErrnoError(errno, "setsid"));
  absl::Status status = InstallStdio(stdio);
  if (!status.ok()) Fail(error_fd, SetupStage::kWorkloadStdio, status);
  if (p.terminal() && ioctl(0, TIOCSCTTY, 0) != 0) {
    Fail(error_fd, SetupStage::kWorkloadStdio, ErrnoError(errno, "TIOCSCTTY"));
  }

  if (setns(nested_userns_fd, CLONE_NEWUSER) != 0) {
    Fail(error_fd, SetupStage::kWorkloadUserns,
         ErrnoError(errno, "setns into the workloads' user namespace"));
  }
  status = ApplyLimits(p);
  if (!status.ok()) Fail(error_fd, SetupStage::kWorkloadLimits, status);
  // A new keyring belongs to its creator's real ids: for now, the
  // process's user's (the effective ids, and so the capabilities, stay),
  // because SetUser below comes after seccomp may already forbid keyctl.
  if (setresgid(p.gid(), -1, -1) != 0 || setresuid(p.uid(), -1, -1) != 0) {
    Fail(error_fd, SetupStage::kWorkloadUser, ErrnoError(errno, "set the real ids for the keyring"));
  }
  status = JoinNewSessionKeyring(p.session_keyring());
  if (!status.ok()) Fail(error_fd, SetupStage::kKeyring, status);
  if (setresuid(0, -1, -1) != 0 || setresgid(0, -1, -1) != 0) {
    Fail(error_fd, SetupStage::kWorkloadUser, ErrnoError(errno, "restore the real ids"));
  }
  if (chdir(p.cwd().c_str()) != 0) {
    Fail(error_fd, SetupStage::kWorkloadCwd,
         ErrnoError(errno, absl::StrCat("process.cwd: chdir '", p.cwd(),
                                        "' in the container")));
  }

  std::vector<std::string> env(p.env().begin(), p.env().end());
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
    env.push_back(absl::StrCat("LISTEN_PID=", getpid()));
  }
  if (!FindEnv(env, "HOME").has_value()) {
    env.push_back("HOME=" + HomeFromPasswd(ReadContainerPasswd(), p.uid()));
  }
  absl::StatusOr<std::string> exe = FindExecutable(p.args(0), env);
  if (!exe.ok()) Fail(error_fd, SetupStage::kWorkloadExec, exe.status());

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

  status = DropBoundingSet(p);
  if (!status.ok()) Fail(error_fd, SetupStage::kWorkloadCapabilities, status);
  // Without no_new_privs the filter must go in while CAP_SYS_ADMIN is held
  // (as runc does); with it, as late as possible.
  if (!p.no_new_privileges()) {
    status = LoadSeccompProgram(p.seccomp());
    if (!status.ok()) Fail(error_fd, SetupStage::kWorkloadSeccomp, status);
  }
  status = SetUser(p);
  if (!status.ok()) Fail(error_fd, SetupStage::kWorkloadUser, status);
  status = ApplyCapabilities(p);
  if (!status.ok()) Fail(error_fd, SetupStage::kWorkloadCapabilities, status);
  if (p.no_new_privileges()) {
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
      Fail(error_fd, SetupStage::kWorkloadSeccomp, ErrnoError(errno, "PR_SET_NO_NEW_PRIVS"));
    }
  }
  // The extra fds go to 3, 4, ...: first all above that range (the error
  // fd too), then down into it.
  const int first_free = 3 + static_cast<int>(extra.size());
  if (!extra.empty()) {
    const int moved_error = fcntl(error_fd, F_DUPFD_CLOEXEC, first_free);
    if (moved_error < 0) Fail(error_fd, SetupStage::kWorkloadExec, ErrnoError(errno, "F_DUPFD"));
    error_fd = moved_error;
    std::vector<int> high;
    for (int fd : extra) {
      const int h = fcntl(fd, F_DUPFD_CLOEXEC, first_free);
      if (h < 0) Fail(error_fd, SetupStage::kWorkloadExec, ErrnoError(errno, "F_DUPFD"));
      high.push_back(h);
    }
    for (size_t i = 0; i < high.size(); ++i) {
      if (dup2(high[i], 3 + static_cast<int>(i)) < 0) {  // clears close-on-exec
        Fail(error_fd, SetupStage::kWorkloadExec,
             ErrnoError(errno, absl::StrCat("install extra fd ", 3 + i)));
      }
    }
  }
  // Every other fd closes at exec (the error fd too, which is the
  // launcher's signal that exec happened).
  if (syscall(SYS_close_range, first_free, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
    Fail(error_fd, SetupStage::kWorkloadExec, ErrnoError(errno, "close_range"));
  }
  std::vector<std::string> args(p.args().begin(), p.args().end());
  std::vector<char*> argv = CStrings(args);
  std::vector<char*> envp = CStrings(env);
  if (p.no_new_privileges()) {
    status = LoadSeccompProgram(p.seccomp());
    if (!status.ok()) Fail(error_fd, SetupStage::kWorkloadSeccomp, status);
  }
  execve(exe->c_str(), argv.data(), envp.data());
  Fail(error_fd, SetupStage::kWorkloadExec,
       ErrnoError(errno, absl::StrCat("execve '", *exe, "'")));
}

}  // namespace runsc::boot
