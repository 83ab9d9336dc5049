// Root tests: real workloads from OCI bundles inside sandboxes.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <initializer_list>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/match.h"
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

TEST_F(WorkloadTest, MissingCwdFailsNamingTheField) {
  auto spec = Spec({"true"});
  spec.mutable_process()->set_cwd("/does/not/exist");
  auto* box = Create(spec);
  ASSERT_NE(box, nullptr);
  auto r = RunInSandbox(*box);
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
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("'no-such-binary' not found"));
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

TEST_F(WorkloadTest, ExecSignalWaitAndList) {
  auto* box = Create(Spec({"sleep", "1000"}));
  ASSERT_NE(box, nullptr);
  auto main_pid = StartDetached(*box);
  ASSERT_TRUE(main_pid.ok()) << main_pid.status();
  sandbox::ControlClient client(box->control_socket_path());
  // A second process, with its own args, env, cwd and user.
  auto exec = ToConfig(Spec({"sh", "-c", "echo $X; pwd; id -u"}), bundle_);
  ASSERT_TRUE(exec.ok());
  runsc::boot::v1::ProcessConfig process = exec->process();
  process.add_env("X=exec'd");
  process.set_cwd("/tmp");
  process.set_uid(1000);
  auto r = RunInSandbox(*box, &process);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->out, "exec'd\n/tmp\n1000\n");
  auto list = client.ListProcesses();
  ASSERT_TRUE(list.ok()) << list.status();
  bool found_main = false;
  for (const auto& p : list->processes()) {
    if (p.pid() == *main_pid) {
      found_main = true;
      EXPECT_TRUE(p.main());
      EXPECT_EQ(p.args(0), "sleep");
    }
  }
  EXPECT_TRUE(found_main);
  ASSERT_TRUE(client.Signal(*main_pid, SIGTERM).ok());
  auto status = client.Wait(*main_pid);
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_TRUE(status->signaled());
  EXPECT_EQ(status->signal(), SIGTERM);
  // A stopped container takes no exec.
  auto late = StartDetached(*box, &process);
  EXPECT_EQ(late.status().code(), absl::StatusCode::kFailedPrecondition);
}

// A process's stdio whose output the test reads: stdin /dev/null, stdout
// and stderr the write end of one pipe.
struct CapturedStdio {
  UniqueFd in, out_r, out_w;
  std::vector<int> fds() const { return {in.get(), out_w.get(), out_w.get()}; }
};
CapturedStdio Capture() {
  CapturedStdio stdio;
  stdio.in.reset(open("/dev/null", O_RDONLY | O_CLOEXEC));
  int out[2];
  if (pipe2(out, O_CLOEXEC) == 0) {
    stdio.out_r.reset(out[0]);
    stdio.out_w.reset(out[1]);
  }
  return stdio;
}

// `process` with other arguments.
runsc::boot::v1::ProcessConfig WithArgs(const runsc::boot::v1::ProcessConfig& process,
                                        std::initializer_list<const char*> args) {
  runsc::boot::v1::ProcessConfig changed = process;
  changed.clear_args();
  for (const char* a : args) changed.add_args(a);
  return changed;
}

// What one read of `fd` gives (up to 255 bytes).
std::string ReadSome(int fd) {
  char buf[256];
  const ssize_t n = read(fd, buf, sizeof(buf));
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
}

// Whether the container `client` reaches comes to list a process whose
// second argument is `arg` (`listed`) or to list none (!`listed`), within
// about two seconds.
bool AwaitListed(sandbox::ControlClient& client, const std::string& arg, bool listed) {
  for (int i = 0; i < 100; ++i) {
    auto list = client.ListProcesses();
    EXPECT_TRUE(list.ok()) << list.status();
    bool there = false;
    if (list.ok()) {
      for (const auto& p : list->processes()) there |= p.args_size() > 1 && p.args(1) == arg;
    }
    if (list.ok() && there == listed) return true;
    usleep(20000);
  }
  return false;
}

// Run: Exec and Wait in one call, with the kill at its timeout, and when
// the caller gives up on the call, in the sandbox.
TEST_F(WorkloadTest, RunEndsWithTheExitAndKillsAtTheTimeoutOrWhenCancelled) {
  auto* box = Create(Spec({"sleep", "1000"}));
  ASSERT_NE(box, nullptr);
  auto main_pid = StartDetached(*box);
  ASSERT_TRUE(main_pid.ok()) << main_pid.status();
  sandbox::ControlClient client(box->control_socket_path());
  auto config = ToConfig(Spec({"sh", "-c", "echo ran; exit 3"}), bundle_);
  ASSERT_TRUE(config.ok());
  const runsc::boot::v1::ProcessConfig process = config->process();
  CapturedStdio stdio = Capture();
  ASSERT_TRUE(stdio.out_r && stdio.out_w && stdio.in);
  auto run = [&](const runsc::boot::v1::ProcessConfig& p, absl::Duration run_timeout,
                 absl::Duration call_timeout) {
    auto token = util::HandOffStdio(box->stdio_socket_path(), stdio.fds());
    EXPECT_TRUE(token.ok()) << token.status();
    return client.Run(p, token.ok() ? *token : "", false, run_timeout, call_timeout);
  };
  // The stdio sent without waiting for its answer, under our own token,
  // and named at once.
  const std::string own = *util::NewStdioToken();
  auto sent = util::SendStdio(box->stdio_socket_path(), stdio.fds(), own);
  ASSERT_TRUE(sent.ok()) << sent.status();
  auto ran = client.Run(process, own, /*stdio_in_flight=*/true, absl::InfiniteDuration(),
                        absl::Seconds(30));
  ASSERT_TRUE(ran.ok()) << ran.status();
  auto answer = util::ReadStdioAnswer(sent->get());
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(*answer, own);
  EXPECT_FALSE(ran->status().signaled());
  EXPECT_EQ(ran->status().code(), 3);
  EXPECT_FALSE(ran->timed_out());
  EXPECT_GT(ran->pid(), 1);
  EXPECT_EQ(ReadSome(stdio.out_r.get()), "ran\n");

  const runsc::boot::v1::ProcessConfig sleeper = WithArgs(process, {"sleep", "77"});
  auto slow = run(sleeper, absl::Milliseconds(200), absl::Seconds(30));
  ASSERT_TRUE(slow.ok()) << slow.status();
  EXPECT_TRUE(slow->timed_out());
  EXPECT_TRUE(slow->status().signaled());
  EXPECT_EQ(slow->status().signal(), SIGKILL);

  // The caller gives up (its deadline) while the process runs: the sandbox
  // kills what it started.
  absl::StatusOr<runsc::control::v1::RunResponse> abandoned;
  std::thread caller(
      [&] { abandoned = run(sleeper, absl::InfiniteDuration(), absl::Milliseconds(1500)); });
  const bool seen = AwaitListed(client, "77", true);
  caller.join();
  EXPECT_TRUE(seen) << "the abandoned run's process never ran";
  EXPECT_EQ(abandoned.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_TRUE(AwaitListed(client, "77", false)) << "the abandoned run's process still runs";

  // What fails to start fails the call, as Exec does.
  runsc::boot::v1::ProcessConfig missing = process;
  missing.set_args(0, "no-such-binary");
  auto failed = run(missing, absl::InfiniteDuration(), absl::Seconds(30));
  ASSERT_FALSE(failed.ok());
  EXPECT_THAT(std::string(failed.status().message()), HasSubstr("'no-such-binary' not found"));
  auto bad = client.Run(process, "", false, absl::InfiniteDuration(), absl::Seconds(30));
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("stdio_token"));
}

// A start over the stdio socket (the daemon's StartSandbox): the main
// process runs with the packet's fds, the answer is its pid, and a second
// start is refused; no Control client is made for either.
TEST_F(WorkloadTest, AStartOverTheStdioSocketRunsTheMainProcessOnce) {
  auto* box = Create(Spec({"sh", "-c", "echo started; exec sleep 1000"}));
  ASSERT_NE(box, nullptr);
  bool made = false;
  sandbox::ControlGetter control =
      [&made]() -> absl::StatusOr<std::shared_ptr<sandbox::ControlClient>> {
    made = true;
    return absl::UnavailableError("not for a start over the stdio socket");
  };
  CapturedStdio stdio = Capture();
  ASSERT_TRUE(stdio.out_r && stdio.out_w && stdio.in);
  absl::StatusOr<int> pid =
      sandbox::StartOnStdioSocket(control, box->stdio_socket_path(), stdio.fds());
  ASSERT_TRUE(pid.ok()) << pid.status();
  EXPECT_GT(*pid, 0);
  EXPECT_EQ(ReadSome(stdio.out_r.get()), "started\n");
  absl::StatusOr<int> again =
      sandbox::StartOnStdioSocket(control, box->stdio_socket_path(), stdio.fds());
  EXPECT_EQ(again.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(again.status().message()), HasSubstr("already been started"));
  EXPECT_FALSE(made);
}

// runc's create and start over the stdio socket (`runsc create`, `runsc
// start`): the held process does not run until a start without stdio lets
// it; a start with nothing held is refused. No Control client is made.
TEST_F(WorkloadTest, AHeldStartOverTheStdioSocketRunsOnlyAtItsRelease) {
  auto* box = Create(Spec({"sh", "-c", "echo started; exec sleep 1000"}));
  ASSERT_NE(box, nullptr);
  bool made = false;
  sandbox::ControlGetter control =
      [&made]() -> absl::StatusOr<std::shared_ptr<sandbox::ControlClient>> {
    made = true;
    return absl::UnavailableError("not for a start over the stdio socket");
  };
  absl::StatusOr<int> nothing_held =
      sandbox::StartOnStdioSocket(control, box->stdio_socket_path(), {});
  EXPECT_EQ(nothing_held.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(nothing_held.status().message()), HasSubstr("no process"));
  CapturedStdio stdio = Capture();
  ASSERT_TRUE(stdio.out_r && stdio.out_w && stdio.in);
  absl::StatusOr<int> held =
      sandbox::StartOnStdioSocket(control, box->stdio_socket_path(), stdio.fds(), /*hold=*/true);
  ASSERT_TRUE(held.ok()) << held.status();
  stdio.out_w.reset();  // the process holds its copy
  struct pollfd p = {stdio.out_r.get(), POLLIN, 0};
  EXPECT_EQ(poll(&p, 1, 200), 0) << "the held process ran before its start";
  absl::StatusOr<int> released = sandbox::StartOnStdioSocket(control, box->stdio_socket_path(), {});
  ASSERT_TRUE(released.ok()) << released.status();
  EXPECT_EQ(*released, *held);
  EXPECT_EQ(ReadSome(stdio.out_r.get()), "started\n");
  absl::StatusOr<int> again = sandbox::StartOnStdioSocket(control, box->stdio_socket_path(), {});
  EXPECT_EQ(again.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(again.status().message()), HasSubstr("already been started"));
  EXPECT_FALSE(made);
}

// An exec over the stdio socket (`runsc exec`): the pid at once, the exit
// on the same connection; a caller that closes the connection after the
// start leaves the process running; what cannot start is refused. No
// Control client is made.
TEST_F(WorkloadTest, AnExecOverTheStdioSocketAnswersItsPidThenItsExit) {
  auto* box = Create(Spec({"sleep", "1000"}));
  ASSERT_NE(box, nullptr);
  bool made = false;
  sandbox::ControlGetter control =
      [&made]() -> absl::StatusOr<std::shared_ptr<sandbox::ControlClient>> {
    made = true;
    return absl::UnavailableError("not for an exec over the stdio socket");
  };
  auto config = ToConfig(Spec({"sh", "-c", "read x; echo got $x; exit 5"}), bundle_);
  ASSERT_TRUE(config.ok());
  CapturedStdio stdio = Capture();
  ASSERT_TRUE(stdio.out_r && stdio.out_w && stdio.in);
  absl::StatusOr<sandbox::StartedExec> refused =
      sandbox::ExecOnStdioSocket(control, box->stdio_socket_path(), config->process(), stdio.fds());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition)
      << "an exec before the container runs: " << refused.status();
  ASSERT_TRUE(StartDetached(*box).ok());

  int in[2];
  ASSERT_EQ(pipe2(in, O_CLOEXEC), 0);
  UniqueFd in_r(in[0]), in_w(in[1]);
  absl::StatusOr<sandbox::StartedExec> exec =
      sandbox::ExecOnStdioSocket(control, box->stdio_socket_path(), config->process(),
                                 {in_r.get(), stdio.out_w.get(), stdio.out_w.get()});
  ASSERT_TRUE(exec.ok()) << exec.status();
  EXPECT_GT(exec->pid, 1);
  ASSERT_TRUE(exec->exit_conn);
  in_r.reset();
  ASSERT_EQ(write(in_w.get(), "x\n", 2), 2);
  absl::StatusOr<runsc::control::v1::ExitStatus> exit = box->WaitExec(*exec, absl::Seconds(30));
  ASSERT_TRUE(exit.ok()) << exit.status();
  EXPECT_EQ(exit->code(), 5);
  EXPECT_EQ(ReadSome(stdio.out_r.get()), "got x\n");

  // Detached: the connection goes at once, the process stays.
  absl::StatusOr<sandbox::StartedExec> detached = sandbox::ExecOnStdioSocket(
      control, box->stdio_socket_path(),
      WithArgs(config->process(), {"sh", "-c", "sleep 0.3; echo still here"}), stdio.fds());
  ASSERT_TRUE(detached.ok()) << detached.status();
  detached->exit_conn.reset();
  EXPECT_EQ(ReadSome(stdio.out_r.get()), "still here\n");

  runsc::boot::v1::ProcessConfig missing = config->process();
  missing.set_args(0, "no-such-binary");
  absl::StatusOr<sandbox::StartedExec> failed =
      sandbox::ExecOnStdioSocket(control, box->stdio_socket_path(), missing, stdio.fds());
  ASSERT_FALSE(failed.ok());
  EXPECT_THAT(std::string(failed.status().message()), HasSubstr("'no-such-binary' not found"));
  EXPECT_FALSE(made);
}

// A run over the stdio socket (the daemon's Run): the process and its fds
// in one packet, the exit answered on the same connection, no gRPC call.
// A packet from the caller kills the process, as does the caller's going;
// what cannot start is answered with why.
TEST_F(WorkloadTest, ARunOverTheStdioSocketEndsWithTheExitAndDiesWithItsCaller) {
  auto* box = Create(Spec({"sleep", "1000"}));
  ASSERT_NE(box, nullptr);
  ASSERT_TRUE(StartDetached(*box).ok());
  auto config = ToConfig(Spec({"sh", "-c", "echo ran; exit 3"}), bundle_);
  ASSERT_TRUE(config.ok());
  const runsc::boot::v1::ProcessConfig process = config->process();
  CapturedStdio stdio = Capture();
  ASSERT_TRUE(stdio.out_r && stdio.out_w && stdio.in);
  auto send_run = [&](const runsc::boot::v1::ProcessConfig& p) {
    runsc::control::v1::StdioRequest request;
    *request.mutable_run()->mutable_process() = p;
    return util::SendOnStdioSocket(box->stdio_socket_path(), request, stdio.fds());
  };
  auto answer_of = [](int conn) {
    runsc::control::v1::StdioAnswer answer;
    EXPECT_TRUE(util::RecvPacket(conn, &answer).ok());
    return answer;
  };

  auto conn = send_run(process);
  ASSERT_TRUE(conn.ok()) << conn.status();
  runsc::control::v1::StdioAnswer ran = answer_of(conn->get());
  ASSERT_TRUE(ran.has_run());
  EXPECT_EQ(ran.run().code(), 0) << ran.run().message();
  EXPECT_GT(ran.run().response().pid(), 1);
  EXPECT_FALSE(ran.run().response().status().signaled());
  EXPECT_EQ(ran.run().response().status().code(), 3);
  EXPECT_EQ(ReadSome(stdio.out_r.get()), "ran\n");

  // Any packet from the caller: the kill, and then the answer.
  const runsc::boot::v1::ProcessConfig sleeper = WithArgs(process, {"sleep", "77"});
  auto killed = send_run(sleeper);
  ASSERT_TRUE(killed.ok()) << killed.status();
  ASSERT_TRUE(util::SendPacket(killed->get(), runsc::control::v1::StdioRequest()).ok());
  runsc::control::v1::StdioAnswer after_kill = answer_of(killed->get());
  EXPECT_TRUE(after_kill.run().response().status().signaled());
  EXPECT_EQ(after_kill.run().response().status().signal(), SIGKILL);

  // The caller goes while the process runs: the sandbox kills it.
  sandbox::ControlClient client(box->control_socket_path());
  auto abandoned = send_run(sleeper);
  ASSERT_TRUE(abandoned.ok()) << abandoned.status();
  EXPECT_TRUE(AwaitListed(client, "77", true)) << "the abandoned run's process never ran";
  abandoned->reset();
  EXPECT_TRUE(AwaitListed(client, "77", false)) << "the abandoned run's process still runs";

  // What cannot start is answered at once, with why.
  runsc::boot::v1::ProcessConfig missing = process;
  missing.set_args(0, "no-such-binary");
  auto refused = send_run(missing);
  ASSERT_TRUE(refused.ok()) << refused.status();
  runsc::control::v1::StdioAnswer why = answer_of(refused->get());
  EXPECT_NE(why.run().code(), 0);
  EXPECT_THAT(why.run().message(), HasSubstr("'no-such-binary' not found"));
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

TEST_F(WorkloadTest, WritesStayPrivateAndReadonlyRootIsHonoured) {
  // Writable root (an overlay): the write succeeds, the bundle is untouched.
  auto spec = Spec({"sh", "-c", "echo x > /etc/new && cat /etc/new && echo y >> /etc/passwd"});
  spec.mutable_root()->set_readonly(false);
  ProcessResult r = RunMain(spec);
  EXPECT_EQ(r.out, "x\n") << r.err;
  EXPECT_EQ(r.status.code(), 0);
  struct stat st;
  EXPECT_NE(stat((bundle_ + "/rootfs/etc/new").c_str(), &st), 0);
  std::ifstream passwd(bundle_ + "/rootfs/etc/passwd");
  std::stringstream text;
  text << passwd.rdbuf();
  EXPECT_THAT(text.str(), ::testing::Not(HasSubstr("y\n")));
  // Read-only root (runc spec's default): EROFS, but /dev/shm stays writable.
  ProcessResult ro = RunMain(Spec({"sh", "-c", "touch /x; echo rc=$?; touch /dev/shm/y && echo shm-ok"}));
  EXPECT_THAT(ro.err, HasSubstr("Read-only file system"));
  EXPECT_THAT(ro.out, HasSubstr("rc=1"));
  EXPECT_THAT(ro.out, HasSubstr("shm-ok"));
}

// A read-only root that already has the spec's mount points is the rootfs
// itself (idmapped, read-only), with no overlay to build or tear down; one
// that lacks one gets the overlay, whose writable layer holds the mount
// point. The bundle is never written either way.
TEST_F(WorkloadTest, AReadOnlyRootThatHasItsMountPointsNeedsNoOverlay) {
  const std::string probe =
      "awk '$5 == \"/\" { for (i = 7; i <= NF; i++) if ($i == \"-\") print $6, $(i + 1) }' "
      "/proc/self/mountinfo; touch /x; echo rc=$?; touch /dev/shm/y && echo shm-ok";
  // The fixture's rootfs has no /proc, /dev or /sys.
  ProcessResult layered = RunMain(Spec({"sh", "-c", probe}));
  EXPECT_THAT(layered.out, HasSubstr(" overlay\n")) << layered.err;
  EXPECT_THAT(layered.out, HasSubstr("rc=1\nshm-ok\n"));
  struct stat st;
  for (const char* dir : {"proc", "dev", "sys"}) {
    EXPECT_NE(stat((bundle_ + "/rootfs/" + dir).c_str(), &st), 0)
        << dir << ": the bundle was written";
    ASSERT_EQ(mkdir((bundle_ + "/rootfs/" + dir).c_str(), 0755), 0);
  }
  ProcessResult direct = RunMain(Spec({"sh", "-c", probe}));
  EXPECT_THAT(direct.out, ::testing::StartsWith("ro,")) << direct.out << direct.err;
  EXPECT_THAT(direct.out, HasSubstr("idmapped"));
  EXPECT_THAT(direct.out, ::testing::Not(HasSubstr("overlay")));
  EXPECT_THAT(direct.err, HasSubstr("Read-only file system"));
  EXPECT_THAT(direct.out, HasSubstr("rc=1\nshm-ok\n"));
  EXPECT_EQ(direct.status.code(), 0);
}

// The container's trees are private clones. On a host whose mounts are
// shared (systemd makes / shared; this VM's is private), a clone would join
// the host mount's peer group: what the launcher mounts on the root (proc,
// /dev) or under a bind mount would appear on the host, and the pivot into
// the root would fail.
TEST_F(WorkloadTest, NothingMountedInTheContainerAppearsOnASharedHostMount) {
  const std::string shared = root_.path() + "/propagation";
  ASSERT_EQ(mkdir(shared.c_str(), 0755), 0);
  ASSERT_EQ(mount("tmpfs", shared.c_str(), "tmpfs", 0, "mode=755"), 0);
  absl::Cleanup unmount = [&shared] {
    // Whatever leaked, then the tmpfs.
    EXPECT_EQ(system(absl::StrCat("umount -R ", shared).c_str()), 0);
    rmdir(shared.c_str());
  };
  ASSERT_EQ(mount(nullptr, shared.c_str(), nullptr, MS_SHARED, nullptr), 0);
  ASSERT_TRUE(MakeBusyboxRootfs(shared + "/bundle", {"test/probe"}).ok());
  ASSERT_EQ(mkdir((shared + "/data").c_str(), 0777), 0);
  ASSERT_EQ(mkdir((shared + "/data/sub").c_str(), 0777), 0);
  // Every mount point of runc's spec is there: the root is the rootfs's
  // own clone, with no overlay of ours on top.
  for (const char* dir : {"proc", "dev", "sys", "data"}) {
    ASSERT_EQ(mkdir((shared + "/bundle/rootfs/" + dir).c_str(), 0755), 0);
  }
  auto spec =
      RuncSpec(shared + "/bundle", {"sh", "-c", "grep -c ' /data/sub ' /proc/self/mountinfo"});
  ASSERT_TRUE(spec.ok()) << spec.status();
  spec->mutable_root()->set_path(shared + "/bundle/rootfs");
  auto* data = spec->add_mounts();
  data->set_destination("/data");
  data->set_source(shared + "/data");
  data->add_options("bind");
  data->add_options("rw");
  auto* sub = spec->add_mounts();
  sub->set_destination("/data/sub");
  sub->set_type("tmpfs");
  sub->set_source("tmpfs");
  auto* box = Create(*spec, "shared");
  ASSERT_NE(box, nullptr);
  auto r = RunInSandbox(*box);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->out, "1\n") << r->err;
  std::vector<std::string> leaked;
  std::ifstream mountinfo("/proc/self/mountinfo");
  for (std::string line; std::getline(mountinfo, line);) {
    std::vector<std::string> f = absl::StrSplit(line, ' ');
    if (f.size() > 4 && absl::StartsWith(f[4], shared + "/")) leaked.push_back(f[4]);
  }
  EXPECT_THAT(leaked, ::testing::IsEmpty());
}

TEST_F(WorkloadTest, RootfsFilesOwnedByHostRootAreContainerRoots) {
  ProcessResult r = RunMain({"sh", "-c", "stat -c %u:%g /bin/busybox /etc/passwd"});
  EXPECT_EQ(r.out, "0:0\n0:0\n") << r.err;
}

TEST_F(WorkloadTest, HostUidIsInThePrivateRangeAndRangesDiffer) {
  // A writable host directory bound into two sandboxes: each workload's
  // file shows its host owner, which must be its sandbox's private range
  // (never host root's or another sandbox's).
  const std::string shared = root_.path() + "/shared";
  ASSERT_EQ(system(("mkdir -p " + shared + " && chmod 777 " + shared).c_str()), 0);
  std::vector<uint32_t> bases;
  for (const char* name : {"a", "b"}) {
    auto spec = Spec({"probe", "touch", absl::StrCat("/shared/", name)});
    spec.mutable_process()->mutable_user()->set_uid(1000);
    auto* m = spec.add_mounts();
    m->set_destination("/shared");
    m->set_source(shared);
    m->add_options("bind");
    m->add_options("rw");
    auto* box = Create(spec, name);
    ASSERT_NE(box, nullptr);
    auto r = RunInSandbox(*box);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->out, "ok\n") << r->err;
    struct stat st;
    ASSERT_EQ(stat(absl::StrCat(shared, "/", name).c_str(), &st), 0);
    const uint32_t base = box->uid_range().host_base;
    EXPECT_GE(base, 1u << 30);
    EXPECT_EQ(st.st_uid, base + 1000) << "file of sandbox " << name;
    bases.push_back(base);
  }
  EXPECT_NE(bases[0], bases[1]);
}

TEST_F(WorkloadTest, ContainerRootWritesToAWritableBindAsItsPrivateHostUid) {
  const std::string shared = root_.path() + "/shared";
  ASSERT_EQ(system(("mkdir -p " + shared + " && chmod 777 " + shared).c_str()), 0);
  auto spec = Spec({"sh", "-c", "touch /shared/f && chmod 4755 /shared/f"});
  auto* m = spec.add_mounts();
  m->set_destination("/shared");
  m->set_source(shared);
  m->add_options("bind");
  auto* box = Create(spec);
  ASSERT_NE(box, nullptr);
  auto r = RunInSandbox(*box);
  ASSERT_TRUE(r.ok()) << r.status();
  struct stat st;
  ASSERT_EQ(stat((shared + "/f").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, box->uid_range().host_base);  // container root
  EXPECT_NE(st.st_uid, 0u) << "container root wrote as host root";
}

TEST_F(WorkloadTest, TerminalIsAPtyAndTheControllingTerminal) {
  auto spec = Spec({"sh", "-c", "tty; [ -t 0 ] && echo is-a-tty; stty size; read x; echo got:$x"});
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
  EXPECT_THAT(std::string(box.status().message()), HasSubstr("'no-such-binary' not found"));
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
