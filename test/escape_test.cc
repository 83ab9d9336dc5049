// Root escape tests: a workload attacks its sandbox from the inside with the
// probe (test/probe.cc). Each test asserts the attack fails with the
// expected error, then that the sandbox still answers and runs processes.
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runsc/util/stdio_socket.h"
#include "runsc/util/unique_fd.h"
#include "sandbox/control_client.h"
#include "test/workload_fixture.h"

namespace runsc::testing {
namespace {

using ::testing::AnyOf;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

class EscapeTest : public WorkloadFixture {
 protected:
  void SetUp() override {
    WorkloadFixture::SetUp();
    box_ = Create(Spec({"sleep", "1000"}), "target");
    ASSERT_NE(box_, nullptr);
    auto pid = StartDetached(*box_);
    ASSERT_TRUE(pid.ok()) << pid.status();
    main_pid_ = *pid;
  }

  // Execs `args` in the target sandbox as `uid` (root by default).
  ProcessResult Probe(const std::vector<std::string>& args, uint32_t uid = 0) {
    auto config = ToConfig(Spec(args), bundle_);
    EXPECT_TRUE(config.ok());
    runsc::boot::v1::ProcessConfig process = config->process();
    process.set_uid(uid);
    process.set_gid(uid);
    auto r = RunInSandbox(*box_, &process);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : ProcessResult{};
  }

  // Execs `args` in `box` as root with every capability in every set (as a
  // spec may grant them); its stdout, or "" if it could not run.
  std::string RunWithEveryCapability(sandbox::Sandbox& box, const std::vector<std::string>& args) {
    auto config = ToConfig(Spec(args), bundle_);
    EXPECT_TRUE(config.ok()) << config.status();
    if (!config.ok()) return "";
    runsc::boot::v1::ProcessConfig process = config->process();
    auto* caps = process.mutable_capabilities();
    const uint64_t all = (uint64_t{1} << 41) - 1;  // CAP_CHOWN .. CAP_CHECKPOINT_RESTORE
    caps->set_bounding(all);
    caps->set_effective(all);
    caps->set_permitted(all);
    caps->set_inheritable(all);
    auto r = RunInSandbox(box, &process);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? r->out : std::string();
  }

  // The sandbox is healthy: its control plane answers and it runs processes.
  void ExpectHealthy() {
    sandbox::ControlClient client(box_->control_socket_path());
    auto info = client.Info();
    EXPECT_TRUE(info.ok()) << info.status();
    ProcessResult r = Probe({"echo", "alive"});
    EXPECT_EQ(r.out, "alive\n");
  }

  sandbox::Sandbox* box_ = nullptr;
  int main_pid_ = 0;
};

TEST_F(EscapeTest, HostFilesystemIsInvisible) {
  ProcessResult r = Probe({"probe", "ls", "/"});
  std::vector<std::string> entries = absl::StrSplit(r.out, '\n', absl::SkipEmpty());
  // Exactly the bundle's rootfs plus the spec's mount points.
  EXPECT_THAT(entries, UnorderedElementsAre("bin", "etc", "tmp", "root", "home", "proc",
                                            "dev", "sys"));
  EXPECT_EQ(Probe({"probe", "open", "/runsc", "r"}).out, "ENOENT\n");
  EXPECT_EQ(Probe({"probe", "ls", "/run/runsc"}).out, "ENOENT\n");
  ExpectHealthy();
}

TEST_F(EscapeTest, LauncherAndSupervisorAreOutOfReachEvenForRoot) {
  // The launcher is pid 1 of the container's PID namespace; the supervisor is
  // in the parent namespace and has no pid here at all.
  ProcessResult ps = Probe({"probe", "ls", "/proc"});
  EXPECT_THAT(ps.out, HasSubstr("1\n"));
  EXPECT_EQ(Probe({"probe", "ptrace", "1"}).out, "EPERM\n");
  EXPECT_EQ(Probe({"probe", "open", "/proc/1/mem", "r"}).out, "EACCES\n");
  EXPECT_EQ(Probe({"probe", "open", "/proc/1/environ", "r"}).out, "EACCES\n");
  // kill(1) from inside: refused by permission (different user namespace).
  EXPECT_EQ(Probe({"probe", "kill", "1", "9"}).out, "EPERM\n");
  ExpectHealthy();
}

TEST_F(EscapeTest, EveryCapabilityInTheContainerStillCannotTraceTheLauncher) {
  // A spec may grant CAP_SYS_PTRACE and CAP_KILL; they are the workloads'
  // namespace's, and the launcher's credentials and memory belong to the
  // sandbox's. (A spawned child joins the workloads' namespace while it
  // still runs on the launcher's memory; that memory is not dumpable, which
  // refuses it too, but the window is too short to aim at from a test.)
  auto run = [&](const std::vector<std::string>& args) {
    return RunWithEveryCapability(*box_, args);
  };
  EXPECT_THAT(run({"grep", "CapEff", "/proc/self/status"}), HasSubstr("000001ffffffffff"));
  EXPECT_EQ(run({"probe", "ptrace", "1"}), "EPERM\n");
  EXPECT_EQ(run({"probe", "open", "/proc/1/mem", "r"}), "EACCES\n");
  EXPECT_EQ(run({"probe", "open", "/proc/1/mem", "w"}), "EACCES\n");
  ExpectHealthy();
}

// fs.suid_dumpable, set to `value` for the life of this object.
class ScopedSuidDumpable {
 public:
  explicit ScopedSuidDumpable(const std::string& value) : saved_(ReadFile(kPath)) {
    ok_ = WriteTo(value);
  }
  ~ScopedSuidDumpable() {
    if (ok_) WriteTo(saved_);
  }
  bool ok() const { return ok_; }

 private:
  static constexpr char kPath[] = "/proc/sys/fs/suid_dumpable";
  static bool WriteTo(const std::string& value) {
    std::ofstream out(kPath);
    out << value;
    out.close();
    return !out.fail();
  }
  std::string saved_;
  bool ok_ = false;
};

// With fs.suid_dumpable at 1 every change of effective ids leaves the memory
// dumpable. A workload child changes its uid while it still runs on the
// launcher's memory, which then stayed dumpable: a held main process (on
// that memory until its start) was open to any workload with
// CAP_SYS_PTRACE, and with it the launcher. The same holds for stage 1,
// which runs on its spawner's memory: here, this process's.
TEST_F(EscapeTest, SuidDumpableOneLeavesNoSharedMemoryDumpable) {
  ScopedSuidDumpable sysctl("1");
  ASSERT_TRUE(sysctl.ok()) << "cannot write /proc/sys/fs/suid_dumpable";
  auto* held = Create(Spec({"sleep", "1000"}), "held");
  ASSERT_NE(held, nullptr);
  EXPECT_EQ(prctl(PR_GET_DUMPABLE), 0) << "stage 1 left this process's memory dumpable";
  util::UniqueFd null_r(open("/dev/null", O_RDONLY | O_CLOEXEC));
  util::UniqueFd null_w(open("/dev/null", O_WRONLY | O_CLOEXEC));
  auto token =
      util::HandOffStdio(held->stdio_socket_path(), {null_r.get(), null_w.get(), null_w.get()});
  ASSERT_TRUE(token.ok()) << token.status();
  // The container's pid of the held main process.
  auto created = sandbox::ControlClient(held->control_socket_path()).Create(*token);
  ASSERT_TRUE(created.ok()) << created.status();
  const int held_pid = *created;
  auto pids = held->HostPids();
  ASSERT_TRUE(pids.ok()) << pids.status();
  ASSERT_EQ(pids->count(held_pid), 1u);
  ASSERT_GT(held_pid, 1);

  // A process that changes its uid (to 1000) on the way to its exec.
  auto config = ToConfig(Spec({"true"}), bundle_);
  ASSERT_TRUE(config.ok());
  runsc::boot::v1::ProcessConfig process = config->process();
  process.set_uid(1000);
  process.set_gid(1000);
  auto r = RunInSandbox(*held, &process);
  ASSERT_TRUE(r.ok()) << r.status();

  const std::string mem = absl::StrCat("/proc/", held_pid, "/mem");
  EXPECT_EQ(RunWithEveryCapability(*held, {"probe", "open", mem, "r"}), "EACCES\n");
  EXPECT_EQ(RunWithEveryCapability(*held, {"probe", "ptrace", absl::StrCat(held_pid)}), "EPERM\n");
}

// Whether host processes `a` and `b` share their memory (kcmp KCMP_VM).
bool ShareMemory(pid_t a, pid_t b) {
  constexpr int kKcmpVm = 1;  // KCMP_VM
  return syscall(SYS_kcmp, a, b, kKcmpVm, 0, 0) == 0;
}

// The window that remains with fs.suid_dumpable at 1: between a child's id
// change and its PR_SET_DUMPABLE, the memory it runs on is dumpable, and a
// workload with CAP_SYS_PTRACE that stopped it there could open its
// /proc/PID/mem. On the launcher's memory that is the launcher. So with
// the sysctl at 1 the launcher's children get memory of their own; at 0
// (the kernel's default) or 2 (root only, Ubuntu's) they borrow the
// launcher's, which costs no copy.
TEST_F(EscapeTest, WithSuidDumpableChildrenDoNotBorrowTheLaunchersMemory) {
  auto held_main = [&](const std::string& id) -> std::pair<pid_t, pid_t> {
    auto* box = Create(Spec({"sleep", "1000"}), id);
    if (box == nullptr) return {0, 0};
    util::UniqueFd null_r(open("/dev/null", O_RDONLY | O_CLOEXEC));
    util::UniqueFd null_w(open("/dev/null", O_WRONLY | O_CLOEXEC));
    auto token =
        util::HandOffStdio(box->stdio_socket_path(), {null_r.get(), null_w.get(), null_w.get()});
    if (!token.ok()) return {0, 0};
    auto created = sandbox::ControlClient(box->control_socket_path()).Create(*token);
    auto pids = box->HostPids();
    auto launcher = box->LauncherPid();
    if (!created.ok() || !pids.ok() || !launcher.ok() || pids->count(*created) == 0) return {0, 0};
    return {*launcher, pids->at(*created)};
  };
  for (const char* value : {"0", "2"}) {
    ScopedSuidDumpable sysctl(value);
    ASSERT_TRUE(sysctl.ok()) << "cannot write /proc/sys/fs/suid_dumpable";
    auto [launcher, held] = held_main(absl::StrCat("borrowing", value));
    ASSERT_GT(held, 0);
    EXPECT_TRUE(ShareMemory(launcher, held)) << "at " << value << " the child borrows";
  }
  ScopedSuidDumpable sysctl("1");
  ASSERT_TRUE(sysctl.ok()) << "cannot write /proc/sys/fs/suid_dumpable";
  auto [launcher, held] = held_main("copying");
  ASSERT_GT(held, 0);
  EXPECT_FALSE(ShareMemory(launcher, held));
}

// An exec's cwd never resolves through a magic link: a workload that made
// it one to a fd its start still holds (the launcher's own procfs, whose
// files the container's masked /proc hides) would have the next exec begin
// there.
TEST_F(EscapeTest, AnExecsCwdNeverFollowsAMagicLink) {
  for (const std::string target :
       {"/proc/self/root", "/proc/self/fd/3", "/proc/self/fd/4", "/proc/self/fd/5"}) {
    const std::string link = absl::StrCat("/dev/shm/cwd", target.substr(target.size() - 1));
    ASSERT_EQ(Probe({"ln", "-sfn", target, link}).status.code(), 0) << link;
    auto config = ToConfig(Spec({"pwd"}), bundle_);
    ASSERT_TRUE(config.ok()) << config.status();
    runsc::boot::v1::ProcessConfig process = config->process();
    process.set_cwd(link);
    auto r = RunInSandbox(*box_, &process);
    EXPECT_FALSE(r.ok()) << target << ": ran in " << r->out;
  }
  // A plain symlink to a directory is still a cwd.
  ASSERT_EQ(Probe({"ln", "-sfn", "/etc", "/dev/shm/etc"}).status.code(), 0);
  auto config = ToConfig(Spec({"pwd"}), bundle_);
  ASSERT_TRUE(config.ok()) << config.status();
  runsc::boot::v1::ProcessConfig process = config->process();
  process.set_cwd("/dev/shm/etc");
  auto r = RunInSandbox(*box_, &process);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->out, "/etc\n");
  ExpectHealthy();
}

TEST_F(EscapeTest, CannotKillAnotherSandboxsProcess) {
  auto* other = Create(Spec({"sleep", "1000"}), "other");
  ASSERT_NE(other, nullptr);
  auto other_pid = StartDetached(*other);
  ASSERT_TRUE(other_pid.ok());
  // The other sandbox's host pid names nothing in this container's PID
  // namespace.
  ProcessResult r = Probe({"probe", "kill", absl::StrCat(other->pid()), "9"});
  EXPECT_EQ(r.out, "ESRCH\n");
  sandbox::ControlClient client(other->control_socket_path());
  auto list = client.ListProcesses();
  ASSERT_TRUE(list.ok());
  EXPECT_FALSE(list->processes().empty()) << "the other sandbox lost its process";
  ExpectHealthy();
}

TEST_F(EscapeTest, ProcAndSysAreNotWritable) {
  // Read-only where it exists (linux.readonlyPaths); a kernel built without
  // magic SysRq, like this machine's, has no such file (ENOENT).
  EXPECT_THAT(Probe({"probe", "write", "/proc/sysrq-trigger", "h"}).out,
              AnyOf("EACCES\n", "EROFS\n", "EPERM\n", "ENOENT\n"));
  EXPECT_THAT(Probe({"probe", "write", "/proc/sys/kernel/hostname", "pwned"}).out,
              AnyOf("EROFS\n", "EACCES\n", "EPERM\n"));
  EXPECT_THAT(Probe({"probe", "write", "/proc/sys/vm/drop_caches", "3"}).out,
              AnyOf("EROFS\n", "EACCES\n", "EPERM\n"));
  EXPECT_THAT(Probe({"probe", "touch", "/sys/pwned"}).out, AnyOf("EROFS\n", "EACCES\n"));
  ExpectHealthy();
}

TEST_F(EscapeTest, MknodAndMountFail) {
  EXPECT_EQ(Probe({"probe", "mknod", "/dev/shm/null"}).out, "EPERM\n");
  EXPECT_EQ(Probe({"probe", "mount", "/tmp"}).out, "EPERM\n");
  ExpectHealthy();
}

// A read-only root that has its mount points is the bundle's rootfs itself
// (idmapped), with no overlay between: only the mount's read-only flag
// keeps the container from the host's files. Root in the container, with
// every capability and no seccomp filter, cannot clear it (its user
// namespace does not own the mount namespace), nor write.
TEST_F(EscapeTest, EveryCapabilityCannotMakeAReadOnlyRootWritable) {
  for (const char* dir : {"proc", "dev", "sys"}) {
    ASSERT_EQ(mkdir((bundle_ + "/rootfs/" + dir).c_str(), 0755), 0);
  }
  auto* direct = Create(Spec({"sleep", "1000"}), "direct");
  ASSERT_NE(direct, nullptr);
  ASSERT_TRUE(StartDetached(*direct).ok());
  auto run = [&](const std::vector<std::string>& args) {
    return RunWithEveryCapability(*direct, args);
  };
  // It is the direct root: no overlay.
  EXPECT_THAT(run({"awk", "$5 == \"/\"", "/proc/self/mountinfo"}),
              ::testing::AllOf(HasSubstr("idmapped"), ::testing::Not(HasSubstr("overlay"))));
  EXPECT_EQ(run({"probe", "remount-rw", "/"}), "EPERM\n");
  EXPECT_EQ(run({"probe", "touch", "/pwned"}), "EROFS\n");
  EXPECT_EQ(run({"probe", "write", "/etc/passwd", "pwned"}), "EROFS\n");
  struct stat st;
  EXPECT_NE(stat((bundle_ + "/rootfs/pwned").c_str(), &st), 0);
  EXPECT_THAT(ReadFile(bundle_ + "/rootfs/etc/passwd"), ::testing::Not(HasSubstr("pwned")));
}

TEST_F(EscapeTest, DefaultSeccompProfileDeniesKernelAttackSurface) {
  for (const char* call : {"keyctl", "bpf", "perf", "unshare"}) {
    EXPECT_EQ(Probe({"probe", "syscall", call}).out, "EPERM\n") << call;
  }
  ExpectHealthy();
}

TEST_F(EscapeTest, SetuidRootBinaryGainsNothing) {
  ASSERT_EQ(system(absl::StrCat("cp ", bundle_, "/rootfs/bin/probe ", bundle_,
                                "/rootfs/bin/suid-probe && chmod 4755 ", bundle_,
                                "/rootfs/bin/suid-probe").c_str()),
            0);
  ProcessResult r = Probe({"suid-probe", "ids"}, 1000);
  EXPECT_THAT(r.out, HasSubstr("uid=1000 euid=1000"));
  EXPECT_THAT(r.out, HasSubstr("CapEff:\t0000000000000000"));
  ExpectHealthy();
}

TEST_F(EscapeTest, OnlyStdioFdsAreOpen) {
  ProcessResult r = Probe({"probe", "fds"});
  std::vector<std::string> fds = absl::StrSplit(r.out, '\n', absl::SkipEmpty());
  EXPECT_THAT(fds, UnorderedElementsAre("0", "1", "2"));
}

// A spec's seccomp profile goes in before the privileges drop when it
// comes without no_new_privs (as runc does). One that answers close_range
// with success without running it (SCMP_ACT_ERRNO(0), which the spec's
// "errnoRet": 0 gives) must still leave the workload nothing of the
// launcher's: the fds are dealt with before any filter of the spec's.
TEST_F(EscapeTest, AFilterThatFakesCloseRangeStillLeavesOnlyStdio) {
  auto config = ToConfig(Spec({"probe", "fds"}), bundle_);
  ASSERT_TRUE(config.ok()) << config.status();
  runsc::boot::v1::ProcessConfig process = config->process();
  process.set_no_new_privileges(false);
  runsc::boot::v1::SeccompProgram* filter = process.mutable_seccomp();
  filter->set_default_action(0x7fff0000U);  // SCMP_ACT_ALLOW
  runsc::boot::v1::SeccompRule* rule = filter->add_rules();
  rule->set_syscall(SYS_close_range);
  rule->set_action(0x00050000U);  // SCMP_ACT_ERRNO(0)
  absl::StatusOr<ProcessResult> r = RunInSandbox(*box_, &process);
  ASSERT_TRUE(r.ok()) << r.status();
  std::vector<std::string> fds = absl::StrSplit(r->out, '\n', absl::SkipEmpty());
  EXPECT_THAT(fds, UnorderedElementsAre("0", "1", "2")) << r->err;
  ExpectHealthy();
}

TEST_F(EscapeTest, RootInTheContainerHasOnlyTheSpecsCapabilities) {
  ProcessResult r = Probe({"probe", "ids"});
  // runc spec: AUDIT_WRITE, KILL, NET_BIND_SERVICE = bits 29, 5, 10.
  EXPECT_THAT(r.out, HasSubstr("CapBnd:\t0000000020000420"));
  EXPECT_THAT(r.out, HasSubstr("CapEff:\t0000000020000420"));
  EXPECT_THAT(r.out, HasSubstr("NoNewPrivs:\t1"));
  EXPECT_THAT(r.out, HasSubstr("Seccomp:\t2"));
}

}  // namespace
}  // namespace runsc::testing
