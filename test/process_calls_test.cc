// Root tests: a container's processes started, signalled and waited for,
// through the sandbox's Control service and in packets on its stdio socket
// (runs, starts, execs), as the daemon and the CLI do.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <initializer_list>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
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
using util::UniqueFd;

class ProcessCallsTest : public WorkloadFixture {
 protected:
  // A sandbox whose main process, `sleep 1000`, runs; nullptr (with the
  // failure recorded) if it could not be made.
  sandbox::Sandbox* RunningSleeper() {
    sandbox::Sandbox* box = Create(Spec({"sleep", "1000"}));
    if (box == nullptr) return nullptr;
    absl::StatusOr<int> started = StartDetached(*box);
    EXPECT_TRUE(started.ok()) << started.status();
    return started.ok() ? box : nullptr;
  }
};

TEST_F(ProcessCallsTest, ExecSignalWaitAndList) {
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

// The kernel gives an oom_score_adj to every process sharing the writer's
// memory, and an exec's child writes its own on the launcher's: the
// launcher (whose OOM kill ends the container) kept each exec's value, and
// the next exec without a setting inherited it.
TEST_F(ProcessCallsTest, AnExecsOomScoreAdjIsItsOwnAlone) {
  sandbox::Sandbox* box = RunningSleeper();
  ASSERT_NE(box, nullptr);
  auto launcher = box->LauncherPid();
  ASSERT_TRUE(launcher.ok()) << launcher.status();
  const std::string launchers = absl::StrCat("/proc/", *launcher, "/oom_score_adj");
  const std::string before = ReadFile(launchers);
  ASSERT_FALSE(before.empty());
  auto exec = ToConfig(Spec({"cat", "/proc/self/oom_score_adj"}), bundle_);
  ASSERT_TRUE(exec.ok());
  runsc::boot::v1::ProcessConfig process = exec->process();
  process.set_oom_score_adj(777);
  auto r = RunInSandbox(*box, &process);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->out, "777\n");
  EXPECT_EQ(ReadFile(launchers), before);
  process.clear_oom_score_adj();
  r = RunInSandbox(*box, &process);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->out, before);
}

// A spec whose /proc is no procfs (here a tmpfs the workloads may write):
// the launcher lists from, and its children write their oom_score_adj
// through, a procfs of its own, so a FIFO planted there hangs neither.
TEST_F(ProcessCallsTest, FilesPlantedInAFakeProcFoolNeitherTheListNorAnExec) {
  runsc::oci::v1::Spec spec = Spec({"sleep", "1000"});
  for (auto& mount : *spec.mutable_mounts()) {
    if (mount.destination() == "/proc") {
      mount.set_type("tmpfs");
      mount.set_source("tmpfs");
      mount.clear_options();
    }
  }
  sandbox::Sandbox* box = Create(spec);
  ASSERT_NE(box, nullptr);
  absl::StatusOr<int> main_pid = StartDetached(*box);
  ASSERT_TRUE(main_pid.ok()) << main_pid.status();
  auto plant = ToConfig(Spec({"sh", "-c",
                              "mkdir -p /proc/77 /proc/self && mkfifo /proc/77/cmdline "
                              "/proc/self/oom_score_adj && echo planted"}),
                        bundle_);
  ASSERT_TRUE(plant.ok());
  auto r = RunInSandbox(*box, &plant->process());
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->out, "planted\n") << r->err;

  sandbox::ControlClient client(box->control_socket_path());
  auto list = client.ListProcesses(absl::Seconds(5));
  ASSERT_TRUE(list.ok()) << list.status();
  std::vector<int> pids;
  for (const auto& p : list->processes()) pids.push_back(p.pid());
  EXPECT_THAT(pids, ::testing::Not(::testing::Contains(77)));
  EXPECT_THAT(pids, ::testing::Contains(*main_pid));

  runsc::boot::v1::ProcessConfig process = plant->process();
  process.clear_args();
  process.add_args("true");
  process.set_oom_score_adj(500);
  r = RunInSandbox(*box, &process);  // it waited 30 s for the FIFO's reader, then failed
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->status.signaled());
  EXPECT_EQ(r->status.code(), 0);
}

// A workload may stop a process before its exec (here the held main
// process, with the CAP_KILL of container root). Its start used to wait
// the launcher's whole 30 s exec timeout, the container's control plane
// with it; it now fails as soon as the launcher sees the stop.
TEST_F(ProcessCallsTest, AStartStoppedBeforeItsExecFailsAtOnce) {
  sandbox::Sandbox* box = Create(Spec({"sleep", "1000"}));
  ASSERT_NE(box, nullptr);
  UniqueFd null_r(open("/dev/null", O_RDONLY | O_CLOEXEC));
  UniqueFd null_w(open("/dev/null", O_WRONLY | O_CLOEXEC));
  auto token =
      util::HandOffStdio(box->stdio_socket_path(), {null_r.get(), null_w.get(), null_w.get()});
  ASSERT_TRUE(token.ok()) << token.status();
  sandbox::ControlClient client(box->control_socket_path());
  auto held = client.Create(*token);
  ASSERT_TRUE(held.ok()) << held.status();
  auto stop = ToConfig(Spec({"kill", "-STOP", absl::StrCat(*held)}), bundle_);
  ASSERT_TRUE(stop.ok());
  auto stopped = RunInSandbox(*box, &stop->process());
  ASSERT_TRUE(stopped.ok()) << stopped.status();
  ASSERT_EQ(stopped->status.code(), 0) << stopped->err;

  auto started = client.Start("", absl::Seconds(10));
  ASSERT_FALSE(started.ok());
  EXPECT_NE(started.status().code(), absl::StatusCode::kDeadlineExceeded) << started.status();
  EXPECT_THAT(std::string(started.status().message()), HasSubstr("stopped (signal 19)"));
  // The sandbox answers the next request (the container, whose main
  // process never ran, takes no exec).
  auto info = client.Info();
  EXPECT_TRUE(info.ok()) << info.status();
}

// Run: Exec and Wait in one call, with the kill at its timeout, and when
// the caller gives up on the call, in the sandbox.
TEST_F(ProcessCallsTest, RunEndsWithTheExitAndKillsAtTheTimeoutOrWhenCancelled) {
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
  EXPECT_THAT(std::string(failed.status().message()),
              HasSubstr("exec: \"no-such-binary\": executable file not found in $PATH"));
  auto bad = client.Run(process, "", false, absl::InfiniteDuration(), absl::Seconds(30));
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("stdio_token"));
}

// A getter for calls that must not need the Control client (which would
// dial the sandbox): sets `*made` if asked for one.
sandbox::ControlGetter NeverDialled(bool* made) {
  return [made]() -> absl::StatusOr<std::shared_ptr<sandbox::ControlClient>> {
    *made = true;
    return absl::UnavailableError("a call over the stdio socket asked for the Control client");
  };
}

// A start over the stdio socket (the daemon's StartSandbox): the main
// process runs with the packet's fds, the answer is its pid, and a second
// start is refused; no Control client is made for either.
TEST_F(ProcessCallsTest, AStartOverTheStdioSocketRunsTheMainProcessOnce) {
  auto* box = Create(Spec({"sh", "-c", "echo started; exec sleep 1000"}));
  ASSERT_NE(box, nullptr);
  bool made = false;
  sandbox::ControlGetter control = NeverDialled(&made);
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
TEST_F(ProcessCallsTest, AHeldStartOverTheStdioSocketRunsOnlyAtItsRelease) {
  auto* box = Create(Spec({"sh", "-c", "echo started; exec sleep 1000"}));
  ASSERT_NE(box, nullptr);
  bool made = false;
  sandbox::ControlGetter control = NeverDialled(&made);
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
TEST_F(ProcessCallsTest, AnExecOverTheStdioSocketAnswersItsPidThenItsExit) {
  auto* box = Create(Spec({"sleep", "1000"}));
  ASSERT_NE(box, nullptr);
  bool made = false;
  sandbox::ControlGetter control = NeverDialled(&made);
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

  // Detached: the connection goes at once, the process stays, and the
  // supervisor lets go of the connection (a process that outlives its
  // caller holds no fd of the supervisor's).
  const std::string supervisor_fds = absl::StrCat("/proc/", box->pid(), "/fd");
  // The exec's above go once their ends are read: the count settles first.
  size_t fds_before = ListDir(supervisor_fds).size();
  for (int i = 0; i < 10; ++i) {
    absl::SleepFor(absl::Milliseconds(20));
    fds_before = std::min(fds_before, ListDir(supervisor_fds).size());
  }
  absl::StatusOr<sandbox::StartedExec> detached = sandbox::ExecOnStdioSocket(
      control, box->stdio_socket_path(),
      WithArgs(config->process(), {"sh", "-c", "echo up; sleep 1000"}), stdio.fds());
  ASSERT_TRUE(detached.ok()) << detached.status();
  EXPECT_EQ(ReadSome(stdio.out_r.get()), "up\n");
  detached->exit_conn.reset();
  size_t fds_after = 0;
  for (int i = 0; i < 100 && (fds_after = ListDir(supervisor_fds).size()) > fds_before; ++i) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_LE(fds_after, fds_before) << "the supervisor kept the connection of a caller that went";
  absl::StatusOr<std::map<int, pid_t>> pids = box->HostPids();
  ASSERT_TRUE(pids.ok()) << pids.status();
  EXPECT_EQ(pids->count(detached->pid), 1u) << "the detached process went with its caller";
  EXPECT_TRUE(
      sandbox::SignalOnStdioSocket(control, box->stdio_socket_path(), detached->pid, SIGKILL).ok());

  runsc::boot::v1::ProcessConfig missing = config->process();
  missing.set_args(0, "no-such-binary");
  absl::StatusOr<sandbox::StartedExec> failed =
      sandbox::ExecOnStdioSocket(control, box->stdio_socket_path(), missing, stdio.fds());
  ASSERT_FALSE(failed.ok());
  EXPECT_THAT(std::string(failed.status().message()),
              HasSubstr("exec: \"no-such-binary\": executable file not found in $PATH"));
  EXPECT_FALSE(made);
}

// A list over the stdio socket names the main process and what was exec'd,
// without a dial, and fits a packet whatever the command lines.
TEST_F(ProcessCallsTest, AListOverTheStdioSocketNamesTheMainProcessAndTheExecs) {
  auto* box = RunningSleeper();
  ASSERT_NE(box, nullptr);
  bool made = false;
  sandbox::ControlGetter control = NeverDialled(&made);
  auto config = ToConfig(Spec({"sleep", "1000"}), bundle_);
  ASSERT_TRUE(config.ok());
  CapturedStdio stdio = Capture();
  ASSERT_TRUE(stdio.out_r && stdio.out_w && stdio.in);
  absl::StatusOr<sandbox::StartedExec> exec =
      sandbox::ExecOnStdioSocket(control, box->stdio_socket_path(),
                                 WithArgs(config->process(), {"sleep", "999"}), stdio.fds());
  ASSERT_TRUE(exec.ok()) << exec.status();
  absl::StatusOr<runsc::control::v1::ListProcessesResponse> list =
      sandbox::ListOnStdioSocket(control, box->stdio_socket_path());
  ASSERT_TRUE(list.ok()) << list.status();
  std::map<int, std::string> seen;
  for (const auto& p : list->processes()) {
    seen[p.pid()] = absl::StrCat(p.main() ? "main: " : "", absl::StrJoin(p.args(), " "));
  }
  EXPECT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[exec->pid], "sleep 999");
  EXPECT_EQ(seen.begin()->second, "main: sleep 1000");  // the lowest pid
  EXPECT_FALSE(made) << "the list dialled the sandbox";

  // A process with a command line longer than a packet (128 KiB; a Java
  // class path can be that long), made by the workload, and an exec with
  // 40 KB of arguments: the list still comes in one packet, those two cut
  // short, and the container lives on. (The launcher used to send the
  // whole list, fail to, and exit: the container ended.)
  absl::StatusOr<sandbox::StartedExec> big = sandbox::ExecOnStdioSocket(
      control, box->stdio_socket_path(),
      WithArgs(config->process(), {"sh", "-c",
                                   "p=x; i=0; while [ $i -lt 16 ]; do p=$p$p; i=$((i+1)); done; "
                                   "sh -c 'echo up; sleep 1000; echo done' \"$p\" \"$p\" & wait"}),
      stdio.fds());
  ASSERT_TRUE(big.ok()) << big.status();
  EXPECT_EQ(ReadSome(stdio.out_r.get()), "up\n");
  // And one whose arguments are not UTF-8 (Latin-1 here), which a list's
  // protobuf strings must be: mended, not a packet the supervisor cannot
  // parse (it took one for the launcher's end, and so the sandbox's).
  absl::StatusOr<sandbox::StartedExec> latin1 = sandbox::ExecOnStdioSocket(
      control, box->stdio_socket_path(),
      WithArgs(
          config->process(),
          {"sh", "-c", "sh -c 'echo up; sleep 1000; echo done' \"$(printf 'caf\\351')\" & wait"}),
      stdio.fds());
  ASSERT_TRUE(latin1.ok()) << latin1.status();
  EXPECT_EQ(ReadSome(stdio.out_r.get()), "up\n");
  const std::string pad(40 * 1024, 'y');
  absl::StatusOr<sandbox::StartedExec> wide = sandbox::ExecOnStdioSocket(
      control, box->stdio_socket_path(),
      WithArgs(config->process(), {"sh", "-c", "sleep 1000; true", pad.c_str()}), stdio.fds());
  ASSERT_TRUE(wide.ok()) << wide.status();
  // The inner shells fork their sleeps after their "up": the list is asked
  // again until all of it is there (main, sleep 999, two outer shells, two
  // inner ones and their sleeps, the wide shell and its sleep), every time
  // in one packet. (The wide shell must stay a shell: the list shows what a
  // process runs now, and one that exec'd sleep would be "sleep 1000".)
  absl::StatusOr<runsc::control::v1::ListProcessesResponse> large;
  int cut = 0, mended = 0;
  for (int i = 0; i < 200; ++i) {
    large = sandbox::ListOnStdioSocket(control, box->stdio_socket_path());
    ASSERT_TRUE(large.ok()) << large.status();
    cut = 0;
    mended = 0;
    for (const auto& p : large->processes()) {
      size_t bytes = 0;
      for (const std::string& a : p.args()) bytes += a.size();
      ASSERT_LE(bytes, 4096u) << "process " << p.pid();
      if (p.args_size() > 0 && absl::EndsWith(p.args(p.args_size() - 1), "...")) ++cut;
      if (absl::StrJoin(p.args(), " ") == "sh -c echo up; sleep 1000; echo done caf?") ++mended;
    }
    if (large->processes_size() == 10 && cut == 2 && mended == 1) break;
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_FALSE(made) << "the list dialled the sandbox";
  std::string listed;
  for (const auto& p : large->processes()) {
    absl::StrAppend(&listed, p.pid(), ": ", absl::StrJoin(p.args(), " ").substr(0, 80), "\n");
  }
  EXPECT_EQ(cut, 2) << listed;
  EXPECT_EQ(mended, 1) << listed;
  EXPECT_EQ(large->processes_size(), 10) << listed;
  // The container lives on: the main process still runs and execs work.
  absl::StatusOr<sandbox::StartedExec> after = sandbox::ExecOnStdioSocket(
      control, box->stdio_socket_path(), WithArgs(config->process(), {"true"}), stdio.fds());
  ASSERT_TRUE(after.ok()) << after.status();
  absl::StatusOr<runsc::control::v1::ExitStatus> exit = box->WaitExec(*after, absl::Seconds(30));
  ASSERT_TRUE(exit.ok()) << exit.status();
  EXPECT_EQ(exit->code(), 0);
}

// A wait over the stdio socket, for a process that runs and for one that
// has exited, without a dial; a pid the launcher never started is refused.
TEST_F(ProcessCallsTest, AWaitOverTheStdioSocketAnswersThePidThenTheExit) {
  auto* box = RunningSleeper();
  ASSERT_NE(box, nullptr);
  bool made = false;
  sandbox::ControlGetter control = NeverDialled(&made);
  auto config = ToConfig(Spec({"sh", "-c", "read x; exit 9"}), bundle_);
  ASSERT_TRUE(config.ok());
  CapturedStdio stdio = Capture();
  ASSERT_TRUE(stdio.out_r && stdio.out_w && stdio.in);
  int in[2];
  ASSERT_EQ(pipe2(in, O_CLOEXEC), 0);
  UniqueFd in_r(in[0]), in_w(in[1]);
  absl::StatusOr<sandbox::StartedExec> exec =
      sandbox::ExecOnStdioSocket(control, box->stdio_socket_path(), config->process(),
                                 {in_r.get(), stdio.out_w.get(), stdio.out_w.get()});
  ASSERT_TRUE(exec.ok()) << exec.status();
  in_r.reset();
  exec->exit_conn.reset();  // as a detached exec's caller does

  // Two waits for the running process; the first caller gives up.
  absl::StatusOr<sandbox::StartedExec> given_up =
      sandbox::WaitOnStdioSocket(box->stdio_socket_path(), exec->pid);
  ASSERT_TRUE(given_up.ok()) << given_up.status();
  ASSERT_TRUE(given_up->exit_conn);
  given_up->exit_conn.reset();
  absl::StatusOr<sandbox::StartedExec> waiting =
      sandbox::WaitOnStdioSocket(box->stdio_socket_path(), exec->pid);
  ASSERT_TRUE(waiting.ok()) << waiting.status();
  EXPECT_EQ(waiting->pid, exec->pid);
  ASSERT_TRUE(waiting->exit_conn);
  ASSERT_EQ(write(in_w.get(), "x\n", 2), 2);
  absl::StatusOr<runsc::control::v1::ExitStatus> exit =
      sandbox::AwaitExecExit(*waiting, absl::Seconds(30));
  ASSERT_TRUE(exit.ok()) << exit.status();
  EXPECT_EQ(exit->code(), 9);

  // Once it has exited, a wait is answered at once.
  absl::StatusOr<sandbox::StartedExec> late =
      sandbox::WaitOnStdioSocket(box->stdio_socket_path(), exec->pid);
  ASSERT_TRUE(late.ok()) << late.status();
  exit = sandbox::AwaitExecExit(*late, absl::Seconds(5));
  ASSERT_TRUE(exit.ok()) << exit.status();
  EXPECT_EQ(exit->code(), 9);

  absl::StatusOr<sandbox::StartedExec> unknown =
      sandbox::WaitOnStdioSocket(box->stdio_socket_path(), 4242);
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kNotFound) << unknown.status();
  EXPECT_FALSE(made);
}

// A caller that connects to the stdio socket and sends nothing (stopped
// between its connect and its send, say) holds up no one else: the
// supervisor serves a connection once its packet is there, and closes one
// that stays silent for 5 s. (It used to read each one in turn on its only
// loop, up to 5 s each.)
TEST_F(ProcessCallsTest, SilentStdioCallersHoldNoOneElseUp) {
  auto* box = RunningSleeper();
  ASSERT_NE(box, nullptr);
  bool made = false;
  sandbox::ControlGetter control = NeverDialled(&made);
  auto config = ToConfig(Spec({"true"}), bundle_);
  ASSERT_TRUE(config.ok());
  CapturedStdio stdio = Capture();
  ASSERT_TRUE(stdio.out_r && stdio.out_w && stdio.in);

  std::vector<UniqueFd> silent;
  for (int i = 0; i < 3; ++i) {
    UniqueFd fd(socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
    ASSERT_TRUE(fd);
    struct sockaddr_un addr = {};
    addr.sun_family = AF_UNIX;
    strncpy(addr.sun_path, box->stdio_socket_path().c_str(), sizeof(addr.sun_path) - 1);
    ASSERT_EQ(connect(fd.get(), reinterpret_cast<struct sockaddr*>(&addr), sizeof(addr)), 0)
        << strerror(errno);
    silent.push_back(std::move(fd));
  }
  const absl::Time connected = absl::Now();
  absl::StatusOr<sandbox::StartedExec> exec =
      sandbox::ExecOnStdioSocket(control, box->stdio_socket_path(), config->process(), stdio.fds());
  ASSERT_TRUE(exec.ok()) << exec.status();
  absl::StatusOr<runsc::control::v1::ExitStatus> exit = box->WaitExec(*exec, absl::Seconds(30));
  ASSERT_TRUE(exit.ok()) << exit.status();
  EXPECT_EQ(exit->code(), 0);
  // Answered while every silent caller was still connected and within the
  // time it is given.
  EXPECT_LT(absl::Now() - connected, absl::Seconds(4))
      << "the exec waited behind callers that sent nothing";
  for (const UniqueFd& fd : silent) {
    struct pollfd p = {fd.get(), POLLIN, 0};
    ASSERT_EQ(poll(&p, 1, 0), 0) << "a silent caller was closed before its time";
  }
  // Then each is closed.
  for (const UniqueFd& fd : silent) {
    struct pollfd p = {fd.get(), POLLIN, 0};
    ASSERT_EQ(poll(&p, 1, 15000), 1) << "a silent caller's connection stayed open";
    char byte;
    EXPECT_EQ(recv(fd.get(), &byte, 1, MSG_DONTWAIT), 0);
  }
  EXPECT_GE(absl::Now() - connected, absl::Seconds(5));
  EXPECT_FALSE(made);
}

// Out of fds, the supervisor's control plane waits rather than ends: with
// every fd it may open taken by the connections of execs and dials under
// way, a further dial gets no answer, it lives on, and once it may open
// fds again, the dial is served. (Its loop used to end at the first accept
// that failed.)
TEST_F(ProcessCallsTest, ASupervisorOutOfFdsWaitsAndServesAgain) {
  auto* box = RunningSleeper();
  ASSERT_NE(box, nullptr);
  const pid_t supervisor = box->pid();
  std::vector<std::unique_ptr<sandbox::ControlClient>> clients;
  clients.push_back(std::make_unique<sandbox::ControlClient>(box->control_socket_path()));
  ASSERT_TRUE(clients.back()->Info().ok());  // gRPC's server is up

  // Its soft limit, cut to just above the fds it holds.
  struct rlimit before;
  ASSERT_EQ(prlimit(supervisor, RLIMIT_NOFILE, nullptr, &before), 0) << strerror(errno);
  rlim_t highest = 0;
  for (const std::string& fd : ListDir(absl::StrCat("/proc/", supervisor, "/fd"))) {
    highest = std::max<rlim_t>(highest, std::stoul(fd));
  }
  const struct rlimit cut = {highest + 4, before.rlim_max};
  ASSERT_EQ(prlimit(supervisor, RLIMIT_NOFILE, &cut, nullptr), 0) << strerror(errno);
  // Execs under way fill what is left, until one cannot get its 3 fds...
  bool made = false;
  sandbox::ControlGetter control = NeverDialled(&made);
  auto config = ToConfig(Spec({"sleep", "1000"}), bundle_);
  ASSERT_TRUE(config.ok());
  UniqueFd null(open("/dev/null", O_RDWR | O_CLOEXEC));
  const std::vector<int> stdio = {null.get(), null.get(), null.get()};
  std::vector<sandbox::StartedExec> held;
  for (int i = 0; i < 40; ++i) {
    absl::StatusOr<sandbox::StartedExec> exec = sandbox::ExecOnStdioSocket(
        control, box->stdio_socket_path(), config->process(), stdio, absl::Seconds(2));
    if (!exec.ok()) break;
    held.push_back(std::move(*exec));
  }
  ASSERT_LT(held.size(), 40u) << "the execs never ran out of fds";
  // ... and dials the last ones, until one gets no answer.
  bool unanswered = false;
  for (int i = 0; i < 8 && !unanswered; ++i) {
    clients.push_back(std::make_unique<sandbox::ControlClient>(box->control_socket_path()));
    unanswered = !clients.back()->Info(absl::Milliseconds(300)).ok();
  }
  ASSERT_TRUE(unanswered) << "the dials never ran out of fds";
  absl::SleepFor(absl::Milliseconds(200));
  const std::string state = util::ProcStatusField(supervisor, "State");
  ASSERT_TRUE(!state.empty() && state[0] != 'Z') << "the supervisor ended: " << state << "\n"
                                                 << ReadFile(box->log_path());

  ASSERT_EQ(prlimit(supervisor, RLIMIT_NOFILE, &before, nullptr), 0) << strerror(errno);
  absl::Status info;
  for (int i = 0; i < 20; ++i) {
    if ((info = clients.back()->Info(absl::Milliseconds(500)).status()).ok()) break;
  }
  EXPECT_TRUE(info.ok()) << info;
  absl::StatusOr<sandbox::StartedExec> again =
      sandbox::ExecOnStdioSocket(control, box->stdio_socket_path(), config->process(), stdio);
  EXPECT_TRUE(again.ok()) << again.status();
  EXPECT_FALSE(made);
}

// A run over the stdio socket (the daemon's Run): the process and its fds
// in one packet, the exit answered on the same connection, no gRPC call.
// A packet from the caller kills the process, as does the caller's going;
// what cannot start is answered with why.
TEST_F(ProcessCallsTest, ARunOverTheStdioSocketEndsWithTheExitAndDiesWithItsCaller) {
  auto* box = RunningSleeper();
  ASSERT_NE(box, nullptr);
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
  EXPECT_THAT(why.run().message(),
              HasSubstr("exec: \"no-such-binary\": executable file not found in $PATH"));
}

}  // namespace
}  // namespace runsc::testing
