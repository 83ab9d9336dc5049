// Root tests: real workloads from OCI bundles inside sandboxes. Their
// root, mounts, binds and devices are workload_fs_test.cc's.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "google/protobuf/wrappers.pb.h"
#include "gtest/gtest.h"
#include "runsc/util/file_util.h"
#include "runsc/util/packet.h"
#include "runsc/util/stdio_socket.h"
#include "runsc/util/unique_fd.h"
#include "sandbox/control_client.h"
#include "specutils/oci_spec.h"
#include "test/workload_fixture.h"

namespace runsc::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using util::UniqueFd;

using WorkloadTest = WorkloadFixture;

TEST_F(WorkloadTest, RunsTheMainProcessWithOutputAndExitCode) {
  ProcessResult r = RunMain({"sh", "-c", "echo hello; echo oops >&2; exit 3"});
  EXPECT_EQ(r.out, "hello\n");
  EXPECT_EQ(r.err, "oops\n");
  EXPECT_FALSE(r.status.signaled());
  EXPECT_EQ(r.status.code(), 3);
}

TEST_F(WorkloadTest, StdinReachesTheProcess) {
  auto spec = Spec({"sh", "-c", "read line; echo got:$line"});
  auto* box = Create(spec);
  ASSERT_NE(box, nullptr);
  auto r = RunInSandbox(*box, nullptr, "ping\n");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->out, "got:ping\n");
}

TEST_F(WorkloadTest, EnvUserCwdAndPathLookup) {
  auto spec = Spec({"sh", "-c", "echo $FOO $HOME; id -u; id -g; id -G; pwd; umask"});
  spec.mutable_process()->add_env("FOO=bar");
  spec.mutable_process()->mutable_user()->set_uid(1000);
  spec.mutable_process()->mutable_user()->set_gid(1000);
  spec.mutable_process()->mutable_user()->add_additional_gids(65534);
  spec.mutable_process()->mutable_user()->set_umask(027);
  spec.mutable_process()->set_cwd("/home/user");
  ProcessResult r = RunMain(spec);
  // HOME comes from the container's /etc/passwd.
  EXPECT_EQ(r.out, "bar /home/user\n1000\n1000\n1000 65534\n/home/user\n0027\n") << r.err;
}

// A shell script `dir`/tool in `rootfs` that prints `says`, with `mode`.
bool AddTool(const std::string& rootfs, const std::string& dir, const std::string& says,
             const std::string& mode) {
  const std::string tool = rootfs + dir + "/tool";
  return system(("mkdir -p " + rootfs + dir + " && printf '#!/bin/sh\\necho " + says +
                 "\\n' > " + tool + " && chmod " + mode + " " + tool)
                    .c_str()) == 0;
}

// The process runs "tool", looked up along `path`, as uid and gid `id`.
void RunToolAs(runsc::oci::v1::Spec* spec, const std::string& path, uint32_t id) {
  spec->mutable_process()->clear_env();
  spec->mutable_process()->add_env("PATH=" + path);
  spec->mutable_process()->mutable_user()->set_uid(id);
  spec->mutable_process()->mutable_user()->set_gid(id);
}

TEST_F(WorkloadTest, PathLookupPassesOverFilesTheUserMayNotRun) {
  // As execvp: the first "tool" on $PATH is root's alone (0700), so user
  // 1000 gets the second; root gets the first.
  const std::string root = bundle_ + "/rootfs";
  ASSERT_TRUE(AddTool(root, "/opt/first", "first", "0700"));
  ASSERT_TRUE(AddTool(root, "/opt/second", "second", "0755"));
  auto spec = Spec({"tool"});
  RunToolAs(&spec, "/opt/first:/opt/second:/bin", 1000);
  ProcessResult user = RunMain(spec);
  EXPECT_EQ(user.out, "second\n") << user.err;
  RunToolAs(&spec, "/opt/first:/opt/second:/bin", 0);
  ProcessResult root_run = RunMain(spec);
  EXPECT_EQ(root_run.out, "first\n") << root_run.err;
}

TEST_F(WorkloadTest, OnlyFilesTheUserMayNotRunFailWithEacces) {
  ASSERT_TRUE(AddTool(bundle_ + "/rootfs", "/opt/first", "x", "0700"));
  auto spec = Spec({"tool"});
  RunToolAs(&spec, "/opt/first:/bin", 1000);
  auto* box = Create(spec);
  ASSERT_NE(box, nullptr);
  auto r = RunInSandbox(*box);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("EACCES"));
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("execve '/opt/first/tool'"));
}

TEST_F(WorkloadTest, HostileEtcPasswdCannotHangTheLaunch) {
  // A FIFO where /etc/passwd should be: HOME falls back to "/", nothing hangs.
  ASSERT_EQ(system(("rm " + bundle_ + "/rootfs/etc/passwd && mkfifo " + bundle_ +
                    "/rootfs/etc/passwd").c_str()),
            0);
  ProcessResult r = RunMain({"sh", "-c", "echo $HOME"});
  EXPECT_EQ(r.out, "/\n") << r.err;
}

// A workload may point /etc/passwd through a magic link (/proc/PID/root)
// into a mount namespace of its own, where a FUSE file could block the
// launcher's read for good. The launcher never follows one: HOME is "/"
// then, as for no passwd at all.
TEST_F(WorkloadTest, TheLauncherNeverReadsThroughAWorkloadsMagicLink) {
  auto spec = Spec({"sleep", "1000"});
  spec.mutable_root()->set_readonly(false);
  auto* box = Create(spec);
  ASSERT_NE(box, nullptr);
  ASSERT_TRUE(StartDetached(*box).ok());
  runsc::boot::v1::ProcessConfig exec = box->Record().container().process();
  auto run = [&](const std::string& script) {
    exec.clear_args();
    for (const char* arg : {"sh", "-c"}) exec.add_args(arg);
    exec.add_args(script);
    return RunInSandbox(*box, &exec);
  };
  auto home = run("echo $HOME");
  ASSERT_TRUE(home.ok()) << home.status();
  EXPECT_EQ(home->out, "/root\n");
  auto linked =
      run("cp /etc/passwd /etc/passwd.real && "
          "ln -sf /proc/self/root/etc/passwd.real /etc/passwd && cat /etc/passwd | head -1");
  ASSERT_TRUE(linked.ok()) << linked.status();
  ASSERT_THAT(linked->out, HasSubstr("root:")) << linked->err;
  home = run("echo $HOME");
  ASSERT_TRUE(home.ok()) << home.status();
  EXPECT_EQ(home->out, "/\n");
}

// The main process's missing working directory is made, as runc makes it
// (oci_runtime_test); an exec's is not, as runc's exec does not.
TEST_F(WorkloadTest, AnExecsMissingCwdFailsNamingTheField) {
  auto spec = Spec({"sleep", "1000"});
  spec.mutable_process()->set_cwd("/made/for/main");
  auto* box = Create(spec);
  ASSERT_NE(box, nullptr);
  ASSERT_TRUE(StartDetached(*box).ok());
  runsc::boot::v1::ProcessConfig exec = box->Record().container().process();
  exec.clear_args();
  exec.add_args("pwd");
  auto there = RunInSandbox(*box, &exec);
  ASSERT_TRUE(there.ok()) << there.status();
  EXPECT_EQ(there->out, "/made/for/main\n");
  exec.set_cwd("/does/not/exist");
  auto r = RunInSandbox(*box, &exec);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("process.cwd"));
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("/does/not/exist"));
}

TEST_F(WorkloadTest, ContainerBuildFailureFailsTheCreateNamingTheMount) {
  // The launcher builds the container while the supervisor starts; what it
  // could not build must still fail the create, with the mount named, and
  // leave nothing running.
  auto spec = Spec({"true"});
  auto* m = spec.add_mounts();
  m->set_destination("/etc/passwd/inside-a-file");
  m->set_type("tmpfs");
  m->set_source("tmpfs");
  const int index = spec.mounts_size() - 1;
  absl::StatusOr<sandbox::Sandbox*> box = TryCreate(spec);
  ASSERT_FALSE(box.ok());
  const std::string message(box.status().message());
  EXPECT_THAT(message, HasSubstr("stage 'launcher'"));
  EXPECT_THAT(message, HasSubstr(absl::StrCat("container mounts: mounts[", index, "]")));
  EXPECT_THAT(message, HasSubstr("'/etc/passwd'"));
  EXPECT_THAT(message, HasSubstr("ENOTDIR"));
  EXPECT_NE(access((root_.path() + "/state/w").c_str(), F_OK), 0) << "state left behind";
}

TEST_F(WorkloadTest, UnknownExecutableFailsClearly) {
  auto* box = Create(Spec({"no-such-binary"}));
  ASSERT_NE(box, nullptr);
  auto r = RunInSandbox(*box);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()),
              HasSubstr("exec: \"no-such-binary\": executable file not found in $PATH"));
}

// The launcher resets only the dispositions it found set (SignalsNotDefault):
// whatever it ignores or handles must still reach no workload, the main
// process or an exec'd one, and none starts with a signal blocked.
TEST_F(WorkloadTest, WorkloadsStartWithDefaultSignalsAndAnEmptyMask) {
  const std::vector<std::string> args = {"grep", "-E", "^Sig(Blk|Ign|Cgt)", "/proc/self/status"};
  const std::string clean =
      "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\nSigCgt:\t0000000000000000\n";
  EXPECT_EQ(RunMain(args).out, clean);
  auto* box = Create(Spec({"sleep", "1000"}));
  ASSERT_NE(box, nullptr);
  auto main_pid = StartDetached(*box);
  ASSERT_TRUE(main_pid.ok()) << main_pid.status();
  auto exec = ToConfig(Spec(args), bundle_);
  ASSERT_TRUE(exec.ok());
  for (int i = 0; i < 2; ++i) {  // the second from the same launcher state
    auto r = RunInSandbox(*box, &exec->process());
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->out, clean);
  }
}

// The sandbox process is cloned from its creator's threads: nothing the
// creator ignores may stay ignored across its exec (the child resets what
// the creator's /proc/self/status said was ignored), in the supervisor or
// the launcher. (Handled signals the exec resets anyway; that none of the
// creator's handlers reaches the child before it, CLONE_CLEAR_SIGHAND's
// part, cannot be seen from here.)

TEST_F(WorkloadTest, TheSandboxProcessesIgnoreNothingTheirCreatorIgnores) {
  struct sigaction ignore = {}, old_usr1 = {}, old_hup = {};
  ignore.sa_handler = SIG_IGN;
  ASSERT_EQ(sigaction(SIGUSR1, &ignore, &old_usr1), 0);
  ASSERT_EQ(sigaction(SIGHUP, &ignore, &old_hup), 0);
  absl::Cleanup restore = [&] {
    sigaction(SIGUSR1, &old_usr1, nullptr);
    sigaction(SIGHUP, &old_hup, nullptr);
  };
  auto* box = Create(Spec({"sleep", "1000"}));
  ASSERT_NE(box, nullptr);
  const pid_t supervisor = box->pid();
  std::vector<std::string> pids = {std::to_string(supervisor)};
  for (absl::string_view child : absl::StrSplit(
           ReadFile(absl::StrCat("/proc/", supervisor, "/task/", supervisor, "/children")), ' ',
           absl::SkipEmpty())) {
    pids.emplace_back(child);
  }
  ASSERT_EQ(pids.size(), 2u) << "the supervisor and the launcher";
  const uint64_t usr1 = uint64_t{1} << (SIGUSR1 - 1), hup = uint64_t{1} << (SIGHUP - 1);
  for (const std::string& pid : pids) {
    uint64_t ignored = ~uint64_t{0};
    ASSERT_TRUE(absl::SimpleHexAtoi(util::ProcStatusField(std::stoi(pid), "SigIgn"), &ignored))
        << "pid " << pid;
    EXPECT_EQ(ignored & (usr1 | hup), 0u) << "pid " << pid << " SigIgn " << std::hex << ignored;
  }
}

TEST_F(WorkloadTest, MainExitKillsTheRest) {
  auto* box = Create(Spec({"sleep", "1000"}));
  ASSERT_NE(box, nullptr);
  auto main_pid = StartDetached(*box);
  ASSERT_TRUE(main_pid.ok());
  auto extra = ToConfig(Spec({"sleep", "1000"}), bundle_);
  runsc::boot::v1::ProcessConfig process = extra->process();
  auto extra_pid = StartDetached(*box, &process);
  ASSERT_TRUE(extra_pid.ok()) << extra_pid.status();
  sandbox::ControlClient client(box->control_socket_path());
  ASSERT_TRUE(client.Signal(*main_pid, SIGKILL).ok());
  auto extra_status = client.Wait(*extra_pid, absl::Seconds(10));
  ASSERT_TRUE(extra_status.ok()) << extra_status.status();
  EXPECT_TRUE(extra_status->signaled());
  EXPECT_EQ(extra_status->signal(), SIGKILL);
}

// When the main process exits, the launcher kills every other process of
// the container before it reports the exit: whoever hears of it (a Wait, the
// daemon's exit report) knows none of them runs user code again, and a
// delete after it kills nothing but the sandbox's own processes.
TEST_F(WorkloadTest, TheRestIsKilledBeforeTheMainExitIsReported) {
  auto* box = Create(Spec({"sh", "-c", "for i in 1 2 3 4 5 6 7 8; do sleep 1000 & done; exit 3"}));
  ASSERT_NE(box, nullptr);
  auto main_pid = StartDetached(*box);
  ASSERT_TRUE(main_pid.ok()) << main_pid.status();
  sandbox::ControlClient client(box->control_socket_path());
  auto status = client.Wait(*main_pid);
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(status->code(), 3);
  // Those already reaped are gone, as they should be; the launcher stays.
  for (const std::string& cg : box->CgroupPaths()) {
    std::ifstream procs(cg + "/container/cgroup.procs");
    for (pid_t pid; procs >> pid;) {
      const std::vector<std::string> ns_pids =
          absl::StrSplit(util::ProcStatusField(pid, "NSpid"), '\t');
      if (ns_pids.back() == "1") continue;  // the launcher, which stays
      const std::string state = util::ProcStatusField(pid, "State");
      const std::string shared = util::ProcStatusField(pid, "ShdPnd");
      const std::string own = util::ProcStatusField(pid, "SigPnd");
      if (state.empty() || shared.empty() || own.empty()) continue;  // gone since
      const bool dying = state[0] == 'Z' || state[0] == 'X';
      const uint64_t pending = std::stoull(shared, nullptr, 16) | std::stoull(own, nullptr, 16);
      EXPECT_TRUE(dying || (pending & (uint64_t{1} << (SIGKILL - 1))) != 0)
          << "pid " << pid << " (" << util::ProcStatusField(pid, "Name") << ", " << state
          << ") runs on with no SIGKILL pending after the main exit was reported";
    }
  }
}

TEST_F(WorkloadTest, SignalAllReachesEveryProcess) {
  auto* box = Create(Spec({"sleep", "1000"}));
  ASSERT_NE(box, nullptr);
  auto main_pid = StartDetached(*box);
  ASSERT_TRUE(main_pid.ok());
  sandbox::ControlClient client(box->control_socket_path());
  ASSERT_TRUE(client.Signal(0, SIGKILL, /*all=*/true).ok());
  auto status = client.Wait(*main_pid, absl::Seconds(10));
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->signal(), SIGKILL);
}

// The spec's seccomp flags reach seccomp(2): they were checked and
// dropped. A filter with LOG still denies what it denies, and a flag the
// kernel does not know fails the load (it loaded before, flags unseen).
TEST_F(WorkloadTest, SeccompFlagsGoToTheKernel) {
  auto spec = Spec({"sleep", "1000"});
  auto* seccomp = spec.mutable_linux()->mutable_seccomp();
  seccomp->set_default_action("SCMP_ACT_ALLOW");
  seccomp->add_flags("SECCOMP_FILTER_FLAG_LOG");
  seccomp->add_flags("SECCOMP_FILTER_FLAG_SPEC_ALLOW");
  auto* deny = seccomp->add_syscalls();
  for (const char* name : {"mkdir", "mkdirat"}) deny->add_names(name);
  deny->set_action("SCMP_ACT_ERRNO");
  deny->set_errno_ret(EACCES);
  auto* box = Create(spec);
  ASSERT_NE(box, nullptr);
  ASSERT_TRUE(StartDetached(*box).ok());
  auto config = specutils::ToContainerConfig(spec, bundle_);
  ASSERT_TRUE(config.ok()) << config.status();
  runsc::boot::v1::ProcessConfig process = config->process();
  process.clear_args();
  for (const char* a : {"sh", "-c", "mkdir /dev/shm/x"}) process.add_args(a);
  auto r = RunInSandbox(*box, &process);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(r->err, HasSubstr("Permission denied"));
  EXPECT_NE(r->status.code(), 0);
  process.mutable_seccomp()->set_filter_flags(1u << 30);
  auto bad = RunInSandbox(*box, &process);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("seccomp: load filter"));
}

TEST_F(WorkloadTest, TerminalIsAPtyAndTheControllingTerminal) {
  // Its terminal is /dev/console too, as runc binds it (init systems
  // write there): the same device.
  auto spec = Spec({"sh", "-c",
                    "tty; [ -t 0 ] && echo is-a-tty; stty size; "
                    "[ \"$(stat -Lc %t:%T /dev/console)\" = \"$(stat -Lc %t:%T $(tty))\" ] && "
                    "echo console-is-it; read x; echo got:$x"});
  spec.mutable_process()->set_terminal(true);
  spec.mutable_process()->mutable_console_size()->set_height(30);
  spec.mutable_process()->mutable_console_size()->set_width(100);
  auto* box = Create(spec);
  ASSERT_NE(box, nullptr);
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  util::UniqueFd ours(sv[0]), theirs(sv[1]);
  // A terminal process takes one fd: the console socket.
  auto token = util::HandOffStdio(box->stdio_socket_path(), {theirs.get()});
  ASSERT_TRUE(token.ok()) << token.status();
  theirs.reset();
  sandbox::ControlClient client(box->control_socket_path());
  auto pid = client.Start(*token);
  ASSERT_TRUE(pid.ok()) << pid.status();
  google::protobuf::StringValue name;
  std::vector<util::UniqueFd> fds;
  ASSERT_TRUE(util::RecvPacket(ours.get(), &name, &fds).ok());
  ASSERT_EQ(fds.size(), 1u);
  const int master = fds[0].get();
  ASSERT_EQ(write(master, "hello\n", 6), 6);
  std::string out;
  char buf[256];
  for (;;) {
    struct pollfd pfd = {master, POLLIN, 0};
    if (poll(&pfd, 1, 10000) <= 0) break;
    ssize_t n = read(master, buf, sizeof(buf));
    if (n <= 0) break;  // EIO once the process is gone
    out.append(buf, static_cast<size_t>(n));
    if (out.find("got:hello") != std::string::npos) break;
  }
  EXPECT_THAT(out, HasSubstr("/dev/pts/0"));
  EXPECT_THAT(out, HasSubstr("is-a-tty"));
  EXPECT_THAT(out, HasSubstr("30 100"));  // process.consoleSize
  EXPECT_THAT(out, HasSubstr("console-is-it"));
  EXPECT_THAT(out, HasSubstr("got:hello"));
  auto status = client.Wait(*pid);
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->code(), 0);
}

TEST_F(WorkloadTest, TerminalWithThreeFdsIsRejectedNamingTheToken) {
  auto spec = Spec({"true"});
  spec.mutable_process()->set_terminal(true);
  auto* box = Create(spec);
  ASSERT_NE(box, nullptr);
  auto pid = StartDetached(*box);
  ASSERT_FALSE(pid.ok());
  EXPECT_EQ(pid.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(pid.status().message()), HasSubstr("stdio_token"));
}

// The sandbox's network namespace is made after the launcher is cloned,
// and handed to it (BootConfig.network_on_socket): the supervisor, the
// launcher and every workload end up in that one namespace, never the
// host's, with lo, its only interface, up before the main process runs;
// sysfs, which needs a namespace the sandbox owns, mounts.
TEST_F(WorkloadTest, SupervisorLauncherAndWorkloadsShareOneNewNetworkWithLoUp) {
  ProcessResult r = RunMain({"sh", "-c", "cat /sys/class/net/lo/flags; ls /sys/class/net"});
  EXPECT_EQ(r.out, "0x9\nlo\n") << r.err;  // IFF_UP | IFF_LOOPBACK
  EXPECT_EQ(r.status.code(), 0);

  auto* box = Create(Spec({"sleep", "1000"}));
  ASSERT_NE(box, nullptr);
  ASSERT_TRUE(StartDetached(*box).ok());
  absl::StatusOr<pid_t> launcher = box->LauncherPid();
  ASSERT_TRUE(launcher.ok()) << launcher.status();
  absl::StatusOr<std::map<int, pid_t>> pids = box->HostPids();
  ASSERT_TRUE(pids.ok()) << pids.status();
  ASSERT_EQ(pids->size(), 2u);  // the launcher (1) and sleep
  const std::string sandbox_net = Readlink(absl::StrCat("/proc/", box->pid(), "/ns/net"));
  ASSERT_FALSE(sandbox_net.empty());
  EXPECT_NE(sandbox_net, Readlink("/proc/self/ns/net"));
  for (const auto& [inner, host] : *pids) {
    EXPECT_EQ(Readlink(absl::StrCat("/proc/", host, "/ns/net")), sandbox_net) << "pid " << inner;
  }
  EXPECT_EQ(Readlink(absl::StrCat("/proc/", *launcher, "/ns/net")), sandbox_net);
}

TEST_F(WorkloadTest, DestroyReleasesTheRangeAndLeavesNothing) {
  auto* box = Create(Spec({"sleep", "1000"}));
  ASSERT_NE(box, nullptr);
  ASSERT_TRUE(StartDetached(*box).ok());
  const std::string slot_file =
      absl::StrCat("/run/runsc/ranges/", box->uid_range().slot);
  struct stat st;
  EXPECT_EQ(stat(slot_file.c_str(), &st), 0);
  const std::vector<std::string> mounts_before = HostMountPoints();
  boxes_.clear();
  EXPECT_NE(stat(slot_file.c_str(), &st), 0) << "range not released";
  EXPECT_EQ(HostMountPoints(), mounts_before);
  EXPECT_TRUE(ListDir(root_.path() + "/state").empty());
}

// `runsc run`'s start: the main process starts with the sandbox, on the
// fds the creator gave (SandboxOptions::main_fds), with no Start call.
TEST_F(WorkloadTest, MainStartedWithTheSandboxRunsOnTheGivenFds) {
  int out_pipe[2], err_pipe[2];
  ASSERT_EQ(pipe2(out_pipe, O_CLOEXEC), 0);
  ASSERT_EQ(pipe2(err_pipe, O_CLOEXEC), 0);
  UniqueFd out_r(out_pipe[0]), out_w(out_pipe[1]), err_r(err_pipe[0]), err_w(err_pipe[1]);
  UniqueFd null_r(open("/dev/null", O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(null_r);
  // `ls` sees its stdio and its own directory fd, nothing of the
  // launcher's (its mount trees and boot fds are 8+ there).
  auto box = TryCreate(
      Spec({"sh", "-c", "echo to-out; echo to-err >&2; ls /proc/self/fd | wc -l; exit 5"}), "w",
      [&](sandbox::SandboxOptions& o) {
        o.start_main = true;
        o.main_fds = {null_r.get(), out_w.get(), err_w.get()};
      });
  ASSERT_TRUE(box.ok()) << box.status();
  out_w.reset();
  err_w.reset();
  const int pid = (*box)->Record().main_pid();
  ASSERT_GT(pid, 0) << "the record names no main process";
  // Only the process holds the write ends now (neither the supervisor nor,
  // once it has started it, the launcher): EOF means it has ended.
  EXPECT_EQ(ReadAll(out_r.get()), "to-out\n4\n");
  EXPECT_EQ(ReadAll(err_r.get()), "to-err\n");
  sandbox::ControlClient client((*box)->control_socket_path());
  auto status = client.Wait(pid);
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(status->code(), 5);
  // It has been started: a Start call may not start it again.
  auto again = StartDetached(**box);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(again.status().message()), HasSubstr("already been started"));
}

TEST_F(WorkloadTest, MainStartedWithTheSandboxThatCannotStartFailsTheCreate) {
  UniqueFd null_rw(open("/dev/null", O_RDWR | O_CLOEXEC));
  ASSERT_TRUE(null_rw);
  auto box = TryCreate(Spec({"no-such-binary"}), "w", [&](sandbox::SandboxOptions& o) {
    o.start_main = true;
    o.main_fds = {null_rw.get(), null_rw.get(), null_rw.get()};
  });
  ASSERT_FALSE(box.ok());
  // As a Start call would have said it, not as a setup stage of the sandbox.
  EXPECT_EQ(box.status().code(), absl::StatusCode::kFailedPrecondition) << box.status();
  EXPECT_THAT(std::string(box.status().message()),
              HasSubstr("exec: \"no-such-binary\": executable file not found in $PATH"));
  EXPECT_THAT(std::string(box.status().message()), Not(HasSubstr("sandbox setup failed")));
  EXPECT_TRUE(ListDir(root_.path() + "/state").empty()) << "state left behind";
  // The fds' count is the process's: two for a process with three stdio
  // fds is refused, naming what was expected.
  auto short_fds = TryCreate(Spec({"true"}), "w", [&](sandbox::SandboxOptions& o) {
    o.start_main = true;
    o.main_fds = {null_rw.get(), null_rw.get()};
  });
  ASSERT_FALSE(short_fds.ok());
  EXPECT_THAT(std::string(short_fds.status().message()), HasSubstr("expected 3 stdio"));
  // A sandbox with no container has no main process to start.
  sandbox::SandboxOptions bare;
  bare.id = "bare";
  bare.state_root = root_.path() + "/state";
  bare.runsc_path = RunscPath();
  bare.start_main = true;
  auto no_container = sandbox::Sandbox::Create(bare);
  ASSERT_FALSE(no_container.ok());
  EXPECT_EQ(no_container.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(no_container.status().message()), HasSubstr("start_main"));
}

// In runtime mode the sandbox ends with its main process, which may be
// before the creator has read "ready" (or before the launcher, which
// started it with its ready, waits for children): the create must still
// succeed, and the exit status come from the sandbox process.
TEST_F(WorkloadTest, MainStartedWithTheSandboxMayEndBeforeTheCreateReturns) {
  UniqueFd null_rw(open("/dev/null", O_RDWR | O_CLOEXEC));
  ASSERT_TRUE(null_rw);
  for (int i = 0; i < 30; ++i) {
    auto box = TryCreate(Spec({"sh", "-c", absl::StrCat("exit ", i)}), absl::StrCat("r", i),
                         [&](sandbox::SandboxOptions& o) {
                           o.exit_with_main = true;
                           o.start_main = true;
                           o.main_fds = {null_rw.get(), null_rw.get(), null_rw.get()};
                         });
    ASSERT_TRUE(box.ok()) << "run " << i << ": " << box.status();
    auto exit = (*box)->Wait(absl::Seconds(30));
    ASSERT_TRUE(exit.ok()) << exit.status();
    EXPECT_EQ(exit->ShellCode(), i);
  }
}

}  // namespace
}  // namespace runsc::testing
