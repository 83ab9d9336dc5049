// Root tests of runc's command-line contract as podman's conmon and
// containerd's shim rely on it: the pid-file process and who waits on it,
// exec's pid file and process file, pause and resume, features, and runc's
// answers for stopped and unknown ids. The hooks' are in oci_hooks_test.cc,
// the limits' (update, the spec's resources) in oci_limits_test.cc.
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <regex>
#include <string>
#include <tuple>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "runsc/util/packet.h"
#include "runsc/util/unique_fd.h"
#include "sandbox/sandbox.h"
#include "test/cli_fixture.h"
#include "test/oci_runtime_fixture.h"
#include "test/sandbox_test_util.h"

namespace runsc::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST_F(OciRuntimeTest, PidFileProcessExitsWithTheContainersStatus) {
  SetArgs({"sh", "-c", "exit 7"});
  pid_t pid = Create("a");
  ASSERT_GT(pid, 0);
  ASSERT_EQ(Runsc("start a").first, 0);
  EXPECT_EQ(Reap(pid), 7);
  EXPECT_THAT(Runsc("state a").second, HasSubstr("\"status\": \"stopped\""));
  // The status outlives the process, for `wait`.
  EXPECT_EQ(Runsc("wait a").second, "{\"id\":\"a\",\"exitStatus\":7}\n");
  EXPECT_EQ(Runsc("delete a").first, 0);

  // Killed: 128+signal, as a shell (and conmon, and the shim) report it.
  SetArgs({"sleep", "1000"});
  pid = Create("b");
  ASSERT_EQ(Runsc("start b").first, 0);
  // Signal 0, as runc takes it: is it running?
  auto [zcode, zout] = Runsc("kill b 0");
  EXPECT_EQ(zcode, 0) << zout;
  EXPECT_EQ(Runsc("kill b KILL").first, 0);
  EXPECT_EQ(Reap(pid), 137);
  auto [kcode, kout] = Runsc("kill b KILL");
  EXPECT_NE(kcode, 0);
  EXPECT_THAT(kout, HasSubstr("container not running"));  // the shim's words for "finished"
  std::tie(zcode, zout) = Runsc("kill b 0");
  EXPECT_NE(zcode, 0);
  EXPECT_THAT(zout, HasSubstr("container not running"));
}

TEST_F(OciRuntimeTest, PidFileProcessIsInTheContainersCgroup) {
  SetArgs({"sleep", "1000"}, 64 << 20);
  pid_t pid = Create("a");
  ASSERT_EQ(Runsc("start a").first, 0);
  const std::string workload = WorkloadHostPid("a");
  ASSERT_FALSE(workload.empty());
  const std::string cgroup = MemoryCgroupOf(pid);
  if (cgroup.empty()) GTEST_SKIP() << "no v1 memory hierarchy on this host";
  EXPECT_EQ(cgroup, MemoryCgroupOf(atoi(workload.c_str())));
  EXPECT_EQ(ReadFile(cgroup + "/memory.limit_in_bytes"), absl::StrCat(64 << 20, "\n"));
  EXPECT_EQ(Runsc("kill a KILL").first, 0);
  EXPECT_EQ(Reap(pid), 137);
}

TEST_F(OciRuntimeTest, AForegroundRunForwardsSignalsToTheMainProcess) {
  // Nothing here dials the sandbox until the signal comes: the forwarding
  // makes its control connection then.
  SetArgs({"sh", "-c",
           "trap 'echo got-term; exit 3' TERM; echo up; while true; do usleep 20000; done"});
  const std::string out = root_.path() + "/fg.out";
  auto [code, said] = RunShell(absl::StrCat(
      "cd ", bundle_, " && { ", runsc_, " --root ", state_, " run a >", out, " 2>&1 & p=$!; ",
      "for i in $(seq 500); do grep -q up ", out, " 2>/dev/null && break; sleep 0.01; done; ",
      "kill -TERM $p; wait $p; echo rc=$?; }"));
  EXPECT_THAT(said, HasSubstr("rc=3")) << ReadFile(out);
  EXPECT_EQ(ReadFile(out), "up\ngot-term\n");
  EXPECT_EQ(Runsc("list -q").second, "") << "the run left its container";
}

TEST_F(OciRuntimeTest, DetachedExecPidFileWaitsForwardsAndExitsWithTheProcess) {
  SetArgs({"sleep", "1000"});
  pid_t main = Create("a");
  ASSERT_EQ(Runsc("start a").first, 0);
  // The shim's form: a process file, --detach and a pid file.
  const std::string process = root_.path() + "/process.json";
  std::ofstream(process) << R"({"args":["sh","-c","echo exec-out; exit 5"],"env":["PATH=/bin"],)"
                            R"("cwd":"/","user":{"uid":0,"gid":0}})";
  const std::string pid_file = root_.path() + "/exec.pid";
  const std::string out = root_.path() + "/exec.out";
  auto [code, said] = RunShell(absl::StrCat(runsc_, " --root ", state_, " exec --process ",
                                            process, " --detach --pid-file ", pid_file,
                                            " a </dev/null >", out, " 2>&1; echo rc=$?"));
  EXPECT_THAT(said, HasSubstr("rc=0"));
  pid_t exec_pid = atoi(ReadFile(pid_file).c_str());
  ASSERT_GT(exec_pid, 0);
  EXPECT_EQ(Reap(exec_pid), 5);
  EXPECT_EQ(ReadFile(out), "exec-out\n");

  // Signals sent to the pid-file process reach the exec'd one.
  std::ofstream(process) << R"({"args":["sleep","1000"],"cwd":"/"})";
  auto [code2, said2] = RunShell(absl::StrCat(runsc_, " --root ", state_, " exec --process ",
                                              process, " -d --pid-file ", pid_file,
                                              " a </dev/null >/dev/null 2>&1; echo rc=$?"));
  EXPECT_THAT(said2, HasSubstr("rc=0"));
  exec_pid = atoi(ReadFile(pid_file).c_str());
  ASSERT_GT(exec_pid, 0);
  ASSERT_EQ(kill(exec_pid, SIGTERM), 0);
  EXPECT_EQ(Reap(exec_pid), 143);
  // A detached exec of `json` whose `ps` shows `running` once it runs;
  // the pid in its pid file.
  auto detached_exec = [&](const std::string& json, const std::string& running) {
    std::ofstream(process) << json;
    unlink(pid_file.c_str());
    EXPECT_THAT(RunShell(absl::StrCat(runsc_, " --root ", state_, " exec --process ", process,
                                      " -d --pid-file ", pid_file,
                                      " a </dev/null >/dev/null 2>&1; echo rc=$?"))
                    .second,
                HasSubstr("rc=0"));
    for (int i = 0; i < 200 && Runsc("ps a").second.find(running) == std::string::npos; ++i) {
      absl::SleepFor(absl::Milliseconds(25));
    }
    return static_cast<pid_t>(atoi(ReadFile(pid_file).c_str()));
  };
  // So does any other a process may send (runc forwards them all): this one
  // answers SIGALRM with its own status. Its trap is set once its sleep
  // runs: the row that ends with it, not the shell's, which names it too.
  exec_pid = detached_exec(
      R"({"args":["sh","-c","trap 'exit 7' ALRM; sleep 1002 & wait"],"cwd":"/"})", "sleep 1002\n");
  ASSERT_GT(exec_pid, 0);
  ASSERT_EQ(kill(exec_pid, SIGALRM), 0);
  EXPECT_EQ(Reap(exec_pid), 7);
  // SIGKILL cannot be passed on: the exec'd process goes with its waiter
  // (containerd kills an exec at its timeout this way), whether detached or
  // in the foreground with a pid file.
  std::ofstream(process) << R"({"args":["sleep","1001"],"cwd":"/"})";
  for (const char* detach : {"-d", ""}) {
    unlink(pid_file.c_str());
    RunShell(absl::StrCat(runsc_, " --root ", state_, " exec --process ", process, " ", detach,
                          " --pid-file ", pid_file, " a </dev/null >/dev/null 2>&1 &"));
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (ReadFile(pid_file).empty() && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(20));
    }
    exec_pid = atoi(ReadFile(pid_file).c_str());
    ASSERT_GT(exec_pid, 0) << detach;
    ASSERT_THAT(Runsc("ps a").second, HasSubstr("sleep 1001")) << detach;
    ASSERT_EQ(kill(exec_pid, SIGKILL), 0);
    EXPECT_EQ(Reap(exec_pid), 137) << detach;
    std::string ps;
    for (int i = 0; i < 100; ++i) {
      ps = Runsc("ps a").second;
      if (ps.find("sleep 1001") == std::string::npos) break;
      absl::SleepFor(absl::Milliseconds(50));
    }
    EXPECT_THAT(ps, Not(HasSubstr("sleep 1001"))) << detach;
  }
  // A bad process file: a clear error naming it, and no pid file.
  std::ofstream(process) << R"({"args": ["sh")";
  unlink(pid_file.c_str());
  ExpectError(absl::StrCat("exec --process ", process, " -d --pid-file ", pid_file, " a"), process);
  EXPECT_NE(access(pid_file.c_str(), F_OK), 0);
  // A device: refused, not read for ever. A pipe is read, as runc does.
  ExpectError("exec --process /dev/zero a", "'/dev/zero' is not a regular file");
  ExpectError("update -r /dev/zero a", "'/dev/zero' is not a regular file");
  auto [piped, piped_out] =
      RunShell(absl::StrCat("echo '{\"args\":[\"echo\",\"piped\"],\"cwd\":\"/\"}' | ", runsc_,
                            " --root ", state_, " exec --process /dev/stdin a 2>&1"));
  EXPECT_EQ(piped, 0) << piped_out;
  EXPECT_EQ(piped_out, "piped\n");
  // In the foreground the file names the command itself, as runc writes it
  // without --detach too.
  auto [code3, said3] = RunShell(
      absl::StrCat(runsc_, " --root ", state_, " exec --pid-file ", pid_file,
                   " a sh -c 'exit 3' </dev/null >/dev/null 2>&1 & echo started=$!; wait $!;"
                   " echo rc=$?"));
  EXPECT_THAT(said3, HasSubstr("rc=3"));
  EXPECT_THAT(said3, HasSubstr(absl::StrCat("started=", ReadFile(pid_file), "\n")));
  // The container ends under a running exec: the kernel kills the exec'd
  // process with the container's PID namespace, and its waiter says 137,
  // as runc's does (it said 255).
  exec_pid = detached_exec(R"({"args":["sleep","1003"],"cwd":"/"})", "sleep 1003");
  ASSERT_GT(exec_pid, 0);
  EXPECT_EQ(Runsc("kill a KILL").first, 0);
  EXPECT_EQ(Reap(main), 137);
  EXPECT_EQ(Reap(exec_pid), 137);
}

TEST_F(OciRuntimeTest, PauseFreezesAndResumeThaws) {
  SetArgs({"sh", "-c", "while true; do echo x; usleep 20000; done"});
  const std::string out = root_.path() + "/a.out";
  pid_t pid = Create("a");
  ASSERT_EQ(Runsc("start a").first, 0);
  absl::SleepFor(absl::Milliseconds(200));
  auto [pcode, pout] = Runsc("pause a");
  ASSERT_EQ(pcode, 0) << pout;
  EXPECT_THAT(Runsc("state a").second, HasSubstr("\"status\": \"paused\""));
  EXPECT_THAT(Runsc("list").second, HasSubstr("paused"));
  // A paused container answers ps (from /proc) but prints nothing more.
  EXPECT_EQ(Runsc("ps --format json a").first, 0);
  auto [ps_code, ps_out] = Runsc("ps a");  // the launcher's list, frozen too
  EXPECT_EQ(ps_code, 0) << ps_out;
  EXPECT_THAT(ps_out, HasSubstr("sh -c while true"));
  ExpectError("exec a true", "cannot exec in a paused container 'a'");
  const size_t frozen_at = ReadFile(out).size();
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_EQ(ReadFile(out).size(), frozen_at);
  ExpectError("pause a", "not running (paused)");
  ExpectError("delete a", "not stopped: paused");
  ASSERT_EQ(Runsc("resume a").first, 0);
  EXPECT_THAT(Runsc("state a").second, HasSubstr("\"status\": \"running\""));
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_GT(ReadFile(out).size(), frozen_at);
  EXPECT_THAT(Runsc("resume a").second, HasSubstr("not paused (running)"));
  // A paused container can still be deleted by force.
  ASSERT_EQ(Runsc("pause a").first, 0);
  EXPECT_EQ(Runsc("delete --force a").first, 0);
  EXPECT_EQ(Reap(pid), 137);
  EXPECT_EQ(Runsc("list -q").second, "");
}

// The launcher, which signals for `kill`, is frozen with its container: a
// kill used to wait for it and fail after 5 s. As runc, by host pid, and
// a SIGKILL thaws the container so that it lands.
TEST_F(OciRuntimeTest, KillReachesAPausedContainer) {
  SetArgs({"sleep", "1000"});
  pid_t pid = Create("a");
  ASSERT_EQ(Runsc("start a").first, 0);
  ASSERT_EQ(Runsc("pause a").first, 0);
  auto [code, out] = Runsc("kill a KILL");
  EXPECT_EQ(code, 0) << out;
  EXPECT_EQ(Reap(pid), 137);
  EXPECT_THAT(Runsc("state a").second, HasSubstr("\"status\": \"stopped\""));
}

TEST_F(OciRuntimeTest, PreservedAndSocketActivationFdsPassThrough) {
  SetArgs({"sh", "-c",
           "echo three >&3; echo four >&4; echo fds=$LISTEN_FDS pid-ok=$([ \"$LISTEN_PID\" = $$ ] "
           "&& echo yes); ls /proc/self/fd | wc -l"});
  const std::string three = root_.path() + "/three", four = root_.path() + "/four";
  // The first LISTEN_FDS fds are the sockets, then --preserve-fds more.
  // They are runsc's when LISTEN_PID says so (the shell's pid, which exec
  // hands to runsc).
  auto [code, out] = RunShell(absl::StrCat("cd ", bundle_, " && LISTEN_FDS=1 LISTEN_PID=$$ exec ",
                                           runsc_, " --root ", state_, " run --preserve-fds 1 a 3>",
                                           three, " 4>", four, " </dev/null 2>&1"));
  EXPECT_EQ(code, 0) << out;
  EXPECT_EQ(ReadFile(three), "three\n");
  EXPECT_EQ(ReadFile(four), "four\n");
  // LISTEN_PID is the process's own pid; nothing else leaked in: 0-4 and
  // the directory ls reads.
  EXPECT_EQ(out, "fds=1 pid-ok=yes\n6\n");
  // Meant for another process (a LISTEN_PID not runsc's): not passed on,
  // as runc's; fd 3 is then the one --preserve-fds passes.
  SetArgs({"sh", "-c", "echo three >&3; echo fds=$LISTEN_FDS; ls /proc/self/fd | wc -l"});
  std::tie(code, out) = RunShell(
      absl::StrCat("cd ", bundle_, " && LISTEN_FDS=1 LISTEN_PID=1 ", runsc_, " --root ", state_,
                   " run --preserve-fds 1 a 3>", three, " 4>", four, " </dev/null 2>&1"));
  EXPECT_EQ(code, 0) << out;
  EXPECT_EQ(out, "fds=\n5\n");
  SetArgs({"sh", "-c",
           "echo three >&3; echo four >&4; echo fds=$LISTEN_FDS pid-ok=$([ \"$LISTEN_PID\" = $$ ] "
           "&& echo yes); ls /proc/self/fd | wc -l"});
  // An fd that is not open is a clear error, before anything runs.
  auto [bad, bad_out] = RunShell(absl::StrCat("cd ", bundle_, " && ", runsc_, " --root ", state_,
                                              " run --preserve-fds 2 a 3>", three,
                                              " </dev/null 2>&1"));
  EXPECT_NE(bad, 0);
  EXPECT_THAT(bad_out, HasSubstr("--preserve-fds: fd 4 is not open"));
  // exec takes them too.
  SetArgs({"sleep", "1000"});
  pid_t pid = Create("b");
  ASSERT_EQ(Runsc("start b").first, 0);
  auto [ecode, eout] = RunShell(absl::StrCat(runsc_, " --root ", state_,
                                             " exec --preserve-fds 1 b sh -c 'echo from-exec >&3'"
                                             " 3>", three, " </dev/null 2>&1"));
  EXPECT_EQ(ecode, 0) << eout;
  EXPECT_EQ(ReadFile(three), "from-exec\n");
  auto [kcode, kout] = Runsc("kill b KILL");
  EXPECT_EQ(kcode, 0) << kout;
  EXPECT_EQ(Reap(pid), 137);
}

// A created container's main process waits for its start on the launcher's
// memory, while the launcher goes on: execs start and end beside it, each
// on the launcher's memory too. Released, it still runs what it was given
// at create (arguments, environment, working directory, preserved fd), and
// the execs' arguments never reach it.
TEST_F(OciRuntimeTest, AHeldMainProcessStartsAsCreatedAfterExecsBesideIt) {
  runsc::oci::v1::Spec spec = LoadSpec();
  spec.mutable_process()->set_terminal(false);
  spec.mutable_process()->clear_args();
  for (const char* a : {"sh", "-c", "echo \"main $0 $1 env=$HELD cwd=$(pwd)\" >&3; exec sleep 1000",
                        "one", "two"}) {
    spec.mutable_process()->add_args(a);
  }
  spec.mutable_process()->add_env("HELD=kept");
  spec.mutable_process()->set_cwd("/tmp");
  SaveSpec(spec);
  const std::string three = root_.path() + "/three";
  pid_t pid = Create("b", "--preserve-fds 1 3>" + three);
  for (int i = 0; i < 3; ++i) {
    auto [code, out] =
        Runsc(absl::StrCat("exec --cwd / --env HELD=exec", i, " b sh -c 'echo exec $HELD $(pwd)'"));
    EXPECT_EQ(code, 0) << out;
    EXPECT_EQ(out, absl::StrCat("exec exec", i, " /\n"));
  }
  EXPECT_EQ(ReadFile(three), "") << "the main process ran before its start";
  auto [code, out] = Runsc("start b");
  ASSERT_EQ(code, 0) << out;
  for (int i = 0; i < 100 && ReadFile(three).empty(); ++i) absl::SleepFor(absl::Milliseconds(20));
  EXPECT_EQ(ReadFile(three), "main one two env=kept cwd=/tmp\n");
  // Still running (it execs sleep): the kill ends it, and the sandbox with it.
  auto [kcode, kout] = Runsc("kill b KILL");
  EXPECT_EQ(kcode, 0) << kout;
  EXPECT_EQ(Reap(pid), 137);
}

// As runc gives them: the spec's domainname was read and dropped, and a
// working directory the image lacks (a Kubernetes workingDir) failed the
// create with ENOENT, where runc makes it.
TEST_F(OciRuntimeTest, TheDomainnameIsSetAndAMissingWorkingDirectoryMade) {
  runsc::oci::v1::Spec spec = LoadSpec();
  SetProcess(&spec, {"sh", "-c", "cat /proc/sys/kernel/domainname; pwd; stat -c %u:%g:%a ."});
  spec.set_domainname("example.org");
  spec.mutable_process()->set_cwd("/work/dir");
  SaveSpec(spec);
  auto [code, out] = Runsc("run a");
  EXPECT_EQ(code, 0) << out;
  EXPECT_EQ(out, "example.org\n/work/dir\n0:0:755\n");
  // Under a directory only its owner may enter (useradd -m's home, 0700),
  // for that owner: made as the container's root, which may enter it.
  ASSERT_EQ(RunShell(absl::StrCat("chown 1000:1000 ", bundle_, "/rootfs/home/user && chmod 700 ",
                                  bundle_, "/rootfs/home/user"))
                .first,
            0);
  SetProcess(&spec, {"sh", "-c", "pwd; stat -c %u:%a ."});
  spec.mutable_process()->set_cwd("/home/user/src");
  spec.mutable_process()->mutable_user()->set_uid(1000);
  spec.mutable_process()->mutable_user()->set_gid(1000);
  SaveSpec(spec);
  auto [ucode, uout] = Runsc("run u");
  EXPECT_EQ(ucode, 0) << uout;
  EXPECT_EQ(uout, "/home/user/src\n0:755\n");
  spec.set_domainname("not a name");
  SaveSpec(spec);
  auto [bad, said] = Runsc("run b");
  EXPECT_EQ(bad, 1);
  EXPECT_THAT(said, HasSubstr("domainname: 'not a name' has a character"));
}

TEST_F(OciRuntimeTest, PidfdSocketReceivesAPidfdOfTheMainProcess) {
  SetArgs({"sleep", "1000"});
  const std::string path = root_.path() + "/pidfd.sock";
  util::UniqueFd listener = ListenAt(path);
  pid_t pid = Create("a", "--pidfd-socket " + path);
  util::UniqueFd pidfd = ReceiveOneFd(listener.get());
  ASSERT_TRUE(pidfd);
  // It is a pidfd of the held main process, which then runs as `sleep`.
  ASSERT_EQ(Runsc("start a").first, 0);
  const std::string fdinfo = ReadFile(absl::StrCat("/proc/self/fdinfo/", pidfd.get()));
  EXPECT_THAT(fdinfo, HasSubstr(absl::StrCat("Pid:\t", WorkloadHostPid("a"), "\n")));
  struct pollfd p = {pidfd.get(), POLLIN, 0};
  EXPECT_EQ(poll(&p, 1, 0), 0);  // alive
  // An exec whose pidfd has nowhere to go fails (255, as runc's), and its
  // process, which
  // nothing would wait for or name, does not run on.
  // (Its stdio a file's: a detached process keeps what it is given.)
  const std::string said = root_.path() + "/exec.out";
  EXPECT_THAT(
      RunShell(absl::StrCat("cd ", bundle_, " && ", runsc_, " --root ", state_,
                            " exec -d --pidfd-socket ", root_.path(),
                            "/nobody.sock a sleep 1234 </dev/null >", said, " 2>&1; echo rc=$?"))
          .second,
      HasSubstr("rc=255"));
  EXPECT_THAT(ReadFile(said), HasSubstr("nobody.sock"));
  std::string ps;
  for (int i = 0; i < 100; ++i) {
    ps = Runsc("ps a").second;
    if (ps.find("sleep 1234") == std::string::npos) break;
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_THAT(ps, Not(HasSubstr("sleep 1234"))) << "the failed exec's process runs on";
  EXPECT_EQ(Runsc("kill a KILL").first, 0);
  EXPECT_EQ(poll(&p, 1, 5000), 1);  // readable once it exits
  EXPECT_EQ(Reap(pid), 137);
}

// A start whose record cannot be saved (a full state root) fails, and the
// container it let go is stopped: each later command reads the record,
// which would have called a running container created.
TEST_F(OciRuntimeTest, AStartWhoseRecordCannotBeSavedStopsTheContainer) {
  SetArgs({"sleep", "1000"});
  ASSERT_EQ(mkdir(state_.c_str(), 0700) == 0 || errno == EEXIST, true) << strerror(errno);
  ASSERT_EQ(mount("runsc-test", state_.c_str(), "tmpfs", 0, "size=16m"), 0) << strerror(errno);
  absl::Cleanup unmount = [this] {
    Runsc("delete --force a");
    EXPECT_EQ(umount2(state_.c_str(), MNT_DETACH), 0) << strerror(errno);
  };
  const pid_t pid = Create("a");
  ASSERT_GT(pid, 0);
  const std::string fill = state_ + "/fill";
  ASSERT_TRUE(FillFileSystem(fill));
  auto [code, said] = Runsc("start a");
  EXPECT_NE(code, 0) << said;
  int status = 0;
  pid_t reaped = 0;
  for (int i = 0; i < 500 && reaped == 0; ++i) {
    reaped = waitpid(pid, &status, WNOHANG);
    if (reaped == 0) absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_EQ(reaped, pid) << "the container was not stopped";
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 137) << status;
  ASSERT_EQ(unlink(fill.c_str()), 0);
  EXPECT_THAT(Runsc("state a").second, HasSubstr("\"status\": \"stopped\""));
}

TEST_F(OciRuntimeTest, SessionKeyringIsTheContainersNeverTheCallers) {
  // A secret in our session keyring, which the shell, runsc and (unless
  // the sandbox leaves it) everything runsc starts inherit. Possession
  // grants a keyring's possessor rights whatever the uid.
  constexpr int kSessionKeyring = -3;  // KEY_SPEC_SESSION_KEYRING
  const long key = syscall(SYS_add_key, "user", "runsc-test-host-secret", "s3cret", 6,
                           kSessionKeyring);
  ASSERT_GT(key, 0) << strerror(errno);
  runsc::oci::v1::Spec spec = LoadSpec();
  SetProcess(&spec, {"sh", "-c", "cat /proc/keys"});
  // Unmasked here only so that the test can look.
  auto* masked = spec.mutable_linux()->mutable_masked_paths();
  masked->erase(std::remove(masked->begin(), masked->end(), "/proc/keys"), masked->end());
  SaveSpec(spec);
  auto [code, keys] = Runsc("run a");
  EXPECT_EQ(code, 0) << keys;
  EXPECT_THAT(keys, HasSubstr("keyring   _ses.a"));  // runc's name, the container's own
  EXPECT_THAT(keys, ::testing::Not(HasSubstr("runsc-test-host-secret")));
  auto [ncode, nkeys] = Runsc("run --no-new-keyring a");
  EXPECT_EQ(ncode, 0) << nkeys;
  EXPECT_THAT(nkeys, ::testing::Not(HasSubstr("_ses.a")));
  EXPECT_THAT(nkeys, ::testing::Not(HasSubstr("runsc-test-host-secret")));
  // Nor does an exec'd process see it.
  SetArgs({"sleep", "1000"});
  spec = LoadSpec();
  masked = spec.mutable_linux()->mutable_masked_paths();
  masked->erase(std::remove(masked->begin(), masked->end(), "/proc/keys"), masked->end());
  SaveSpec(spec);
  pid_t pid = Create("b");
  ASSERT_EQ(Runsc("start b").first, 0);
  auto [ecode, ekeys] = Runsc("exec b cat /proc/keys");
  EXPECT_EQ(ecode, 0) << ekeys;
  EXPECT_THAT(ekeys, ::testing::Not(HasSubstr("runsc-test-host-secret")));
  EXPECT_EQ(Runsc("kill b KILL").first, 0);
  EXPECT_EQ(Reap(pid), 137);
  syscall(SYS_keyctl, 3 /* KEYCTL_REVOKE */, key);
}

TEST_F(OciRuntimeTest, NotifySocketRelaysReadyWithMainpid) {
  ASSERT_EQ(RunShell("cp test/probe " + bundle_ + "/rootfs/bin/probe").first, 0);
  // The caller's socket, as systemd's or conmon's.
  const std::string path = root_.path() + "/host-notify.sock";
  util::UniqueFd host(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  struct sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  ASSERT_EQ(bind(host.get(), reinterpret_cast<struct sockaddr*>(&addr), sizeof(addr)), 0);
  SetArgs({"sh", "-c", "sleep 0.3; echo $NOTIFY_SOCKET; probe notify STATUS=warming; "
                       "probe notify READY=1; sleep 1000"});
  setenv("NOTIFY_SOCKET", path.c_str(), 1);
  pid_t pid = Create("a");
  unsetenv("NOTIFY_SOCKET");
  char buf[256];
  EXPECT_LT(recv(host.get(), buf, sizeof(buf), MSG_DONTWAIT), 0) << "ready before start";
  // start returns once the container said READY=1, and relays just that.
  const absl::Time before = absl::Now();
  auto [code, out] = Runsc("start a");
  EXPECT_EQ(code, 0) << out;
  EXPECT_GE(absl::Now() - before, absl::Milliseconds(250));
  const ssize_t n = recv(host.get(), buf, sizeof(buf), MSG_DONTWAIT);
  ASSERT_GT(n, 0);
  EXPECT_EQ(std::string(buf, static_cast<size_t>(n)), absl::StrCat("READY=1\nMAINPID=", pid, "\n"));
  EXPECT_LT(recv(host.get(), buf, sizeof(buf), MSG_DONTWAIT), 0) << "relayed more than READY";
  // The container saw its own socket, never the host's path, and both of
  // its sends went through (the probe prints "ok" for each, the last one
  // just after the send that let start return).
  const std::string want = "/run/notify/notify.sock\nok\nok\n";
  for (int i = 0; i < 50 && ReadFile(root_.path() + "/a.out") != want; ++i) {
    absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_EQ(ReadFile(root_.path() + "/a.out"), want);
  EXPECT_EQ(Runsc("kill a KILL").first, 0);
  EXPECT_EQ(Reap(pid), 137);
  EXPECT_EQ(Runsc("delete a").first, 0);
  EXPECT_TRUE(ListDir(state_).empty());
}

TEST(SecurityLabelsTest, RefusedWhereTheHostEnforcesThemIgnoredWhereItHasNone) {
  ScratchDir sys;  // a stand-in for /sys
  runsc::boot::v1::ProcessConfig process;
  process.set_apparmor_profile("containers-default-0.50.1");
  process.set_selinux_label("system_u:system_r:container_t:s0");
  // Neither LSM (this host): ignored, as runc does.
  EXPECT_TRUE(sandbox::CheckSecurityLabels(process, sys.path()).ok());
  // AppArmor enforcing: refused, naming the field.
  ASSERT_EQ(RunShell("mkdir -p " + sys.path() + "/module/apparmor/parameters && echo Y > " +
                     sys.path() + "/module/apparmor/parameters/enabled")
                .first,
            0);
  absl::Status status = sandbox::CheckSecurityLabels(process, sys.path());
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(status.message()), HasSubstr("process.apparmorProfile"));
  process.clear_apparmor_profile();
  EXPECT_TRUE(sandbox::CheckSecurityLabels(process, sys.path()).ok()) << "SELinux is absent";
  ASSERT_EQ(RunShell("mkdir -p " + sys.path() + "/fs/selinux && touch " + sys.path() +
                     "/fs/selinux/enforce")
                .first,
            0);
  status = sandbox::CheckSecurityLabels(process, sys.path());
  EXPECT_THAT(std::string(status.message()), HasSubstr("process.selinuxLabel"));
  process.clear_selinux_label();
  EXPECT_TRUE(sandbox::CheckSecurityLabels(process, sys.path()).ok()) << "nothing asked";
}

// The JSON keys of `text`, in order of appearance.
std::vector<std::string> JsonKeys(const std::string& text) {
  std::vector<std::string> keys;
  static const std::regex kKey("\"([A-Za-z]+)\":");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), kKey); it != std::sregex_iterator();
       ++it) {
    keys.push_back((*it)[1]);
  }
  return keys;
}

// linux.readonlyPaths are read-only mounts of their own; and a procfs is
// never mounted where a symlink of the image's leads, whose target a later
// mount could cover, so that the masked and read-only paths, looked up
// under /proc, would find nothing (runc's CVE-2019-19921).
TEST_F(OciRuntimeTest, ProcIsNeverMountedThroughAnImagesSymlink) {
  SetArgs({"sh", "-c", "grep -E ' /proc/(sys|bus) ' /proc/self/mountinfo | cut -d' ' -f5,6"});
  auto [code, out] = Runsc("run a");
  EXPECT_EQ(code, 0) << out;
  EXPECT_THAT(out, HasSubstr("/proc/sys ro,nosuid,nodev"));
  EXPECT_THAT(out, HasSubstr("/proc/bus ro,nosuid,nodev"));
  ASSERT_EQ(RunShell(absl::StrCat("cd ", bundle_, "/rootfs && rm -rf proc && mkdir -p dev/x && ",
                                  "ln -s dev/x proc"))
                .first,
            0);
  ExpectError("run b",
              "mounts[0]: a proc mount's destination '/proc' is or passes through a symlink");
  // A sysfs too, also where it comes from the host as a tree (that of a
  // joined network namespace, as every pod's containers join one).
  const std::string netns = absl::StrCat("runsc-test-", getpid());
  ASSERT_EQ(RunShell("ip netns add " + netns).first, 0);
  absl::Cleanup gone = [&] { RunShell("ip netns del " + netns); };
  ASSERT_EQ(RunShell(absl::StrCat("cd ", bundle_, "/rootfs && rm proc && mkdir proc && ",
                                  "rm -rf sys && mkdir -p dev/y && ln -s dev/y sys"))
                .first,
            0);
  runsc::oci::v1::Spec spec = LoadSpec();
  for (auto& ns : *spec.mutable_linux()->mutable_namespaces()) {
    if (ns.type() == "network") ns.set_path("/run/netns/" + netns);
  }
  SaveSpec(spec);
  ExpectError("run c", "a sysfs mount's destination '/sys' is or passes through a symlink");
}

TEST_F(OciRuntimeTest, StateListAndPsJsonAreRuncs) {
  if (RunShell("command -v runc").first != 0) GTEST_SKIP() << "runc is not installed";
  SetArgs({"sleep", "1000"});
  // With annotations, which both show (and hand to every hook).
  runsc::oci::v1::Spec spec = LoadSpec();
  (*spec.mutable_annotations())["org.example.b"] = "two";
  (*spec.mutable_annotations())["org.example.a"] = "one \"quoted\"";
  SaveSpec(spec);
  // The same bundle under runc and under runsc, each on its own root.
  const std::string runc_root = root_.path() + "/runc-root";
  auto runc = [&](const std::string& args) {
    return RunShell(absl::StrCat("cd ", bundle_, " && runc --root ", runc_root, " ", args,
                                 " 2>&1"));
  };
  const std::string runc_err = root_.path() + "/runc.err";
  ASSERT_EQ(RunShell(absl::StrCat("cd ", bundle_, " && runc --root ", runc_root,
                                  " run -d r </dev/null >/dev/null 2>", runc_err))
                .first,
            0)
      << ReadFile(runc_err);
  pid_t pid = Create("a");
  ASSERT_EQ(Runsc("start a").first, 0);
  auto [rcode, rstate] = runc("state r");
  ASSERT_EQ(rcode, 0) << rstate;
  auto [scode, sstate] = Runsc("state a");
  ASSERT_EQ(scode, 0) << sstate;
  EXPECT_EQ(JsonKeys(sstate), JsonKeys(rstate)) << sstate << rstate;
  const std::string annotations =
      "  \"annotations\": {\n    \"org.example.a\": \"one \\\"quoted\\\"\",\n"
      "    \"org.example.b\": \"two\"\n  },\n  \"owner\"";
  EXPECT_THAT(rstate, HasSubstr(annotations));
  EXPECT_THAT(sstate, HasSubstr(annotations));
  EXPECT_THAT(rstate, HasSubstr("\"status\": \"running\""));
  EXPECT_THAT(sstate, HasSubstr("\"status\": \"running\""));
  EXPECT_EQ(JsonKeys(Runsc("list --format json").second), JsonKeys(runc("list --format json").second));
  EXPECT_THAT(Runsc("list --format json").second,
              HasSubstr("\"annotations\":{\"org.example.a\":\"one \\\"quoted\\\"\","
                        "\"org.example.b\":\"two\"}"));
  EXPECT_EQ(JsonKeys(Runsc("features").second), JsonKeys(runc("features").second));
  // events: runc reports more controllers (cpuset, blkio, ...); each key
  // ours has comes in runc's order.
  const std::string ours = Runsc("events --stats a").second, theirs = runc("events --stats r").second;
  const std::vector<std::string> runc_keys = JsonKeys(theirs);
  auto next = runc_keys.begin();
  for (const std::string& key : JsonKeys(ours)) {
    next = std::find(next, runc_keys.end(), key);
    ASSERT_NE(next, runc_keys.end()) << "'" << key << "' out of runc's order: " << ours << theirs;
  }
  EXPECT_THAT(ours, ::testing::ContainsRegex("\"limit\":[1-9]"));
  // ps: a JSON array of host pids, one here for each.
  const std::regex kPids("\\[[0-9]+(,[0-9]+)*\\]\n");
  EXPECT_TRUE(std::regex_match(runc("ps --format json r").second, kPids));
  EXPECT_TRUE(std::regex_match(Runsc("ps --format json a").second, kPids));
  // Both answer a kill of a stopped container with "container not running".
  runc("kill r KILL");
  EXPECT_EQ(Runsc("kill a KILL").first, 0);
  EXPECT_EQ(Reap(pid), 137);
  for (int i = 0; i < 100 && runc("state r").second.find("stopped") == std::string::npos; ++i) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_THAT(runc("kill r KILL").second, HasSubstr("container not running"));
  ExpectError("kill a KILL", "container not running: a");
  // --all of a stopped container: nobody to signal, and no error.
  EXPECT_EQ(runc("kill --all r KILL").first, 0);
  EXPECT_EQ(Runsc("kill --all a KILL").first, 0);
  // ps of a stopped container: nothing, and no error (runc prints Go's nil
  // slice, null; an empty array reads the same to containerd's decoder).
  EXPECT_EQ(runc("ps --format json r"), std::make_pair(0, std::string("null\n")));
  EXPECT_EQ(Runsc("ps --format json a"), std::make_pair(0, std::string("[]\n")));
  ExpectError("ps --format json ghost", "ghost");
  runc("delete --force r");
}

TEST_F(OciRuntimeTest, StateAndListEscapeTheBundlePath) {
  // A bundle path is the caller's: any character but NUL may be in it, and
  // state and list must still print JSON that reads back to it.
  const std::string odd = root_.path() + "/a \"quoted\" \\ bundle";
  ASSERT_EQ(RunShell(absl::StrCat("cp -a ", bundle_, " '", odd, "'")).first, 0);
  char resolved[PATH_MAX];
  ASSERT_NE(realpath(odd.c_str(), resolved), nullptr);
  SetArgs({"sleep", "1000"});
  ASSERT_EQ(RunShell(absl::StrCat("cp ", bundle_, "/config.json '", odd, "/config.json'")).first,
            0);
  Create("a", absl::StrCat("--bundle '", odd, "'"));
  auto [code, state] = Runsc("state a");
  ASSERT_EQ(code, 0) << state;
  google::protobuf::Struct parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(state, &parsed).ok()) << state;
  EXPECT_EQ(parsed.fields().at("bundle").string_value(), resolved) << state;
  EXPECT_EQ(parsed.fields().at("id").string_value(), "a");
  auto [lcode, list] = Runsc("list --format json");
  ASSERT_EQ(lcode, 0) << list;
  google::protobuf::Value listed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(list, &listed).ok()) << list;
  ASSERT_EQ(listed.list_value().values_size(), 1) << list;
  EXPECT_EQ(listed.list_value().values(0).struct_value().fields().at("bundle").string_value(),
            resolved)
      << list;
}

TEST_F(OciRuntimeTest, FeaturesListWhatIsSupported) {
  auto [code, out] = Runsc("features");
  EXPECT_EQ(code, 0);
  EXPECT_THAT(out, HasSubstr("\"ociVersionMax\": \"1.1.0\""));
  EXPECT_THAT(out, HasSubstr("\"hooks\": [\"prestart\",\"createRuntime\",\"createContainer\","
                             "\"startContainer\",\"poststart\",\"poststop\"]"));
  EXPECT_THAT(out, HasSubstr("\"CAP_SYS_ADMIN\""));
  EXPECT_THAT(out, HasSubstr("\"namespaces\": [\"cgroup\",\"ipc\",\"mount\",\"network\",\"pid\","
                             "\"user\",\"uts\"]"));
  EXPECT_THAT(out, HasSubstr("\"SCMP_ACT_ERRNO\""));
}

TEST_F(OciRuntimeTest, RuncAnswersForUnknownAndStoppedContainers) {
  EXPECT_EQ(Runsc("delete --force ghost").first, 0);  // nothing to force away
  ExpectError("delete ghost", "'ghost'");
  SetArgs({"true"});
  pid_t pid = Create("a");
  ASSERT_EQ(Runsc("start a").first, 0);
  EXPECT_EQ(Reap(pid), 0);
  EXPECT_THAT(Runsc("start a").second, HasSubstr("cannot start container a in the stopped state"));
  EXPECT_THAT(Runsc("pause a").second, HasSubstr("container not running"));
  EXPECT_EQ(Runsc("delete a").first, 0);
  EXPECT_EQ(Runsc("list -q").second, "");
}

}  // namespace
}  // namespace runsc::testing
