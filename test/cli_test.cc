// Root end-to-end tests of the runc-style CLI, driven as a user would: the
// runsc binary with a busybox bundle, no daemon needed.
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/wrappers.pb.h"
#include "gtest/gtest.h"
#include "proto/oci.pb.h"
#include "runsc/util/file_util.h"
#include "runsc/util/packet.h"
#include "runsc/util/unique_fd.h"
#include "sandbox/control_client.h"
#include "test/bundle_util.h"
#include "test/cli_fixture.h"
#include "test/sandbox_test_util.h"

namespace runsc::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

TEST_F(CliTest, SpecWritesARuncStyleConfigAndRefusesToOverwrite) {
  std::ifstream in(bundle_ + "/config.json");
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_THAT(text.str(), HasSubstr("\"ociVersion\": \"1.0.2\""));
  EXPECT_THAT(text.str(), HasSubstr("CAP_NET_BIND_SERVICE"));
  auto [code, out] = Runsc("spec --bundle " + bundle_);
  EXPECT_NE(code, 0);
  EXPECT_THAT(out, HasSubstr("exists. Remove it first"));
}

TEST_F(CliTest, RunInTheForegroundPassesStdioAndTheExitCode) {
  SetArgs({"sh", "-c", "read x; echo got:$x; echo to-err >&2; exit 9"});
  auto [code, out] = Runsc("run a", "hello\n");
  EXPECT_EQ(code, 9);
  EXPECT_THAT(out, HasSubstr("got:hello\n"));
  EXPECT_THAT(out, HasSubstr("to-err"));
  // The foreground run deleted its sandbox.
  EXPECT_EQ(Runsc("list -q").second, "");
}

// `exec -t` without a console socket proxies the terminal itself. A
// process left behind holding it (here, in the background) must not keep
// the command from ending once the exec'd process has exited, as runc's
// ends; what the terminal had is still copied. (It ignores SIGHUP, which
// the terminal's hang-up would otherwise end it with.)
TEST_F(CliTest, AnExecWithATerminalEndsWithItsProcess) {
  SetArgs({"sleep", "1000"});
  ASSERT_EQ(RunDetached("a"), 0);
  const absl::Time start = absl::Now();
  auto [code, out] = RunShell(absl::StrCat(
      "cd ", bundle_, " && timeout 30 ", runsc_, " --root ", state_,
      " exec -t a sh -c 'trap \"\" HUP; sleep 100 & echo left-behind; exit 4' </dev/null 2>&1"));
  EXPECT_EQ(code, 4) << out;
  EXPECT_THAT(out, HasSubstr("left-behind"));
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
  // With input the terminal no longer takes (nothing reads it): still ends.
  std::tie(code, out) = RunShell(
      absl::StrCat("cd ", bundle_, " && yes | timeout 30 ", runsc_, " --root ", state_,
                   " exec -t a sh -c 'trap \"\" HUP; sleep 100 & echo left-behind; exit 4' 2>&1"));
  EXPECT_EQ(code, 4) << out.substr(0, 200);
  EXPECT_LT(absl::Now() - start, absl::Seconds(20));
  EXPECT_EQ(Runsc("delete --force a").first, 0);
}

// The container's root owns /dev, and may make /dev/ptmx a link to a
// multiplexer of its own (a devpts it mounted), to read the terminal an
// exec -t gets. The launcher opens the container's devpts instance by the
// fd it took before any workload ran, so the link is never followed.
TEST_F(CliTest, AnExecsTerminalIsNeverOpenedThroughTheContainersDevPtmx) {
  SetArgs({"sleep", "1000"});
  ASSERT_EQ(RunDetached("a"), 0);
  auto [code, out] = Runsc(
      "exec a sh -c 'mkfifo /dev/lure && ln -sf /dev/lure /dev/ptmx && "
      "readlink /dev/ptmx'");
  ASSERT_EQ(code, 0) << out;
  ASSERT_EQ(out, "/dev/lure\n");
  std::tie(code, out) = RunShell(absl::StrCat("cd ", bundle_, " && timeout 30 ", runsc_, " --root ",
                                              state_, " exec -t a tty </dev/null 2>&1"));
  EXPECT_EQ(code, 0) << out;
  EXPECT_THAT(out, ::testing::MatchesRegex("/dev/pts/[0-9]+\r?\n")) << out;
  EXPECT_EQ(Runsc("delete --force a").first, 0);
}

// containerd's shim gives each namespace a root of its own
// (/run/containerd/runc/NAMESPACE) and Kubernetes' ids are 64 characters:
// a sandbox's sockets there can be longer than a unix socket path may be.
// They are reached through their directory instead, whatever the length.
TEST_F(CliTest, AStateRootDeeperThanAUnixSocketPathServesAllCommands) {
  std::string root = root_.path() + "/state-of-a-namespace-with-a-long-name";
  const std::string id(64, 'c');
  while (root.size() + id.size() + sizeof("/control.sock") < 140) root += "/deeper";
  ASSERT_EQ(RunShell("mkdir -p " + root).first, 0);
  auto runsc = [&](const std::string& args) {
    return RunShell(absl::StrCat("cd ", bundle_, " && ", runsc_, " --root ", root, " ", args,
                                 " </dev/null 2>&1"));
  };
  SetArgs({"sleep", "1000"});
  auto [code, out] = runsc("run -d " + id + " >/dev/null");
  ASSERT_EQ(code, 0) << out;
  std::tie(code, out) = runsc("exec " + id + " echo reached");
  EXPECT_EQ(code, 0) << out;
  EXPECT_EQ(out, "reached\n");
  EXPECT_THAT(runsc("ps " + id).second, HasSubstr("sleep 1000"));
  EXPECT_EQ(runsc("kill " + id + " KILL").first, 0);
  EXPECT_EQ(runsc("wait " + id).second, absl::StrCat("{\"id\":\"", id, "\",\"exitStatus\":137}\n"));
  EXPECT_EQ(runsc("delete " + id).first, 0);
  EXPECT_TRUE(ListDir(root).empty());
}

TEST_F(CliTest, KilledForegroundRunExitsWith128PlusSignal) {
  SetArgs({"sh", "-c", "kill -9 $$"});
  EXPECT_EQ(Runsc("run a").first, 137);
}

TEST_F(CliTest, DetachedLifecycle) {
  SetArgs({"sleep", "1000"});
  ASSERT_EQ(RunDetached("a"), 0);
  auto [lcode, list] = Runsc("list");
  EXPECT_EQ(lcode, 0);
  EXPECT_THAT(list, HasSubstr("running"));
  auto [scode, state] = Runsc("state a");
  EXPECT_EQ(scode, 0);
  EXPECT_THAT(state, HasSubstr("\"id\": \"a\""));
  EXPECT_THAT(state, HasSubstr("\"status\": \"running\""));
  EXPECT_THAT(state, HasSubstr("\"bundle\": \"" + bundle_ + "\""));
  auto [ecode, eout] =
      Runsc("exec --cwd /tmp --env X=42 --user 1000 a sh -c 'echo $X $(pwd) $(id -u); exit 3'");
  EXPECT_EQ(ecode, 3);
  EXPECT_EQ(eout, "42 /tmp 1000\n");
  // runc's ps json: host pids, here the one of `sleep 1000`.
  auto [pcode, ps] = Runsc("ps --format json a");
  EXPECT_EQ(pcode, 0) << ps;
  ASSERT_THAT(ps, ::testing::MatchesRegex("\\[[0-9]+\\]\n"));
  const std::string host_pid = ps.substr(1, ps.size() - 3);
  EXPECT_EQ(ReadFile("/proc/" + host_pid + "/cmdline"), std::string("sleep\0" "1000\0", 11));
  EXPECT_THAT(Runsc("ps a").second, HasSubstr(" " + host_pid + " "));
  // runc's ps ID ARGS: the host's ps run with them, its header and the
  // container's rows alone (not the launcher's, nor this test's).
  auto [xcode, xps] = Runsc("ps a -e -o pid,args");
  EXPECT_EQ(xcode, 0) << xps;
  std::vector<std::string> rows = absl::StrSplit(xps, '\n', absl::SkipEmpty());
  ASSERT_EQ(rows.size(), 2u) << xps;
  EXPECT_THAT(rows[0], ::testing::MatchesRegex(" *PID COMMAND"));
  EXPECT_THAT(rows[1], ::testing::MatchesRegex(" *" + host_pid + " sleep 1000"));
  auto [bcode, bad] = Runsc("ps a --no-such-ps-option");
  EXPECT_NE(bcode, 0);
  EXPECT_THAT(bad, HasSubstr("runsc ps: ps --no-such-ps-option: "));
  auto [dcode, dout] = Runsc("delete a");
  EXPECT_NE(dcode, 0);
  EXPECT_THAT(dout, HasSubstr("that is not stopped: running"));
  // Flags may follow the id, as runc's take them.
  EXPECT_EQ(Runsc("kill a SIGKILL --all").first, 0);
  auto [wcode, wout] = Runsc("wait a");
  EXPECT_EQ(wcode, 0);
  EXPECT_EQ(wout, "{\"id\":\"a\",\"exitStatus\":137}\n");
  EXPECT_THAT(Runsc("list --format json").second, HasSubstr("\"status\":\"stopped\""));
  EXPECT_THAT(Runsc("ps a -e -o pid").second, ::testing::MatchesRegex(" *PID\n"));
  EXPECT_EQ(Runsc("delete a --force").first, 0);
  EXPECT_EQ(Runsc("list -q").second, "");
  EXPECT_TRUE(ListDir(state_).empty());
}

TEST_F(CliTest, EventsPrintRuncStatsAndOomJson) {
  SetArgs({"sleep", "1000"});
  ASSERT_EQ(RunDetached("a"), 0);
  auto [code, out] = Runsc("events --stats a");
  EXPECT_EQ(code, 0) << out;
  EXPECT_THAT(out, StartsWith("{\"type\":\"stats\",\"id\":\"a\",\"data\":{\"cpu\":{\"usage\":"));
  // The launcher and sleep: the sandbox process, though in the container's
  // memory cgroup in runtime mode, is not in its pids one.
  EXPECT_THAT(out, HasSubstr("\"pids\":{\"current\":2}"));
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1);
  EXPECT_THAT(Runsc("events --interval soon a").second, HasSubstr("--interval"));

  // A shell that doubles a string until the OOM killer ends it: the stream
  // reports the kill, then ends with the container. It begins on SIGUSR1,
  // once the stream has printed its first stats.
  SetArgs({"sh", "-c",
           "trap 'go=1' USR1; while [ -z \"$go\" ]; do sleep 0.01; done; "
           "x=a; while true; do x=$x$x; done"},
          32 << 20);
  ASSERT_EQ(RunDetached("b"), 0);
  const std::string stream = root_.path() + "/events";
  const std::string cli = absl::StrCat(runsc_, " --root ", state_, " ");
  auto [bcode, said] = RunShell(absl::StrCat(
      cli, "events --interval 100ms b >", stream, " 2>&1 & ev=$!; i=0; while [ ! -s ", stream,
      " ] && [ $i -lt 1000 ]; do sleep 0.01; i=$((i+1)); done; ", cli, "kill b USR1; wait $ev"));
  const std::string bout = ReadFile(stream);
  EXPECT_EQ(bcode, 0) << said << bout;
  EXPECT_THAT(bout, HasSubstr("{\"type\":\"oom\",\"id\":\"b\"}\n"));
  EXPECT_GE(std::count(bout.begin(), bout.end(), '\n'), 3) << bout;  // stats, ..., oom
}

TEST_F(CliTest, CreateThenStartRunsTheProcessOnlyAtStart) {
  const std::string out = root_.path() + "/out";
  const std::string pid_file = root_.path() + "/pid";
  // The process would leave a trace in its stdout: none before start.
  SetArgs({"sh", "-c", "echo ran as $(id -u); exit 7"});
  int status = system(absl::StrCat("cd ", bundle_, " && ", runsc_, " --root ", state_,
                                   " create --pid-file ", pid_file, " a </dev/null >", out,
                                   " 2>&1")
                          .c_str());
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << ReadFile(out);
  auto [scode, state] = Runsc("state a");
  EXPECT_EQ(scode, 0);
  EXPECT_THAT(state, HasSubstr("\"status\": \"created\""));
  // The pid file holds the sandbox process, as state reports it.
  const std::string pid = ReadFile(pid_file);
  EXPECT_THAT(state, HasSubstr("\"pid\": " + pid + ","));
  EXPECT_EQ(kill(std::stoi(pid), 0), 0);
  absl::SleepFor(absl::Milliseconds(200));
  EXPECT_EQ(ReadFile(out), "") << "the process ran before start";
  // It exists, held: ps lists it.
  EXPECT_THAT(Runsc("ps a").second, HasSubstr("sh -c echo ran"));

  auto [code, start_out] = Runsc("start a");
  EXPECT_EQ(code, 0) << start_out;
  EXPECT_EQ(Runsc("wait a").second, "{\"id\":\"a\",\"exitStatus\":7}\n");
  EXPECT_EQ(ReadFile(out), "ran as 0\n");  // the stdio create was given
  auto [again, again_out] = Runsc("start a");
  EXPECT_NE(again, 0);
  EXPECT_THAT(again_out, HasSubstr("cannot start container a in the stopped state"));
  EXPECT_EQ(Runsc("delete a").first, 0);
}

// runc's create, start, kill and exec, the status queries and ps never dial
// the sandbox: its supervisor starts gRPC's threads at the first call on its
// control socket only, which the test makes at the end to show that it
// would count.
TEST_F(CliTest, CreateStartKillExecStateListAndPsDoNotDialTheSandbox) {
  const std::string pid_file = root_.path() + "/pid";
  SetArgs({"sleep", "1000"});
  ASSERT_EQ(system(absl::StrCat("cd ", bundle_, " && ", runsc_, " --root ", state_,
                                " create --pid-file ", pid_file, " a </dev/null >/dev/null 2>&1")
                       .c_str()),
            0);
  const pid_t sandbox = std::stoi(ReadFile(pid_file));
  auto threads = [sandbox] { return util::ProcStatusField(sandbox, "Threads"); };
  const std::string before = threads();
  ASSERT_FALSE(before.empty());
  EXPECT_THAT(Runsc("state a").second, HasSubstr("\"status\": \"created\""));
  EXPECT_EQ(Runsc("start a").first, 0);
  EXPECT_THAT(Runsc("state a").second, HasSubstr("\"status\": \"running\""));
  EXPECT_THAT(Runsc("list").second, HasSubstr("running"));
  EXPECT_EQ(Runsc("kill a CONT").first, 0);
  auto [ecode, eout] = Runsc("exec a sh -c 'echo in; exit 4'");
  EXPECT_EQ(ecode, 4);
  EXPECT_EQ(eout, "in\n");
  // A process whose arguments hold escape sequences (ESC [2J clears a
  // terminal, and so does CSI 2J, CSI being U+009B): ps shows them as ps(1)
  // would, the ESC and the CSI as '?'.
  // (Detached, it keeps the stdio it is given: not the capture pipe.)
  ASSERT_EQ(RunShell(absl::StrCat(
                         "cd ", bundle_, " && ", runsc_, " --root ", state_,
                         " exec -d a sh -c 'sleep 1000; true' \"$(printf '\\033[2J\\302\\2332J')\"",
                         " </dev/null >/dev/null 2>&1"))
                .first,
            0);
  auto [pcode, table] = Runsc("ps a");
  EXPECT_EQ(pcode, 0) << table;
  EXPECT_THAT(table, HasSubstr("sleep 1000"));
  EXPECT_THAT(table, HasSubstr("sh -c sleep 1000; true ?[2J?2J"));
  EXPECT_EQ(table.find('\033'), std::string::npos) << table;
  EXPECT_EQ(table.find("\302\233"), std::string::npos) << table;
  EXPECT_THAT(Runsc("ps --format json a").second, HasSubstr("["));
  // An argument that is not UTF-8 cannot go in a packet: refused, named.
  auto [bcode, bout] = Runsc("exec a echo ok \"$(printf 'caf\\351')\"");
  EXPECT_NE(bcode, 0);
  EXPECT_THAT(bout, HasSubstr("argument 3 is not UTF-8 text"));
  EXPECT_THAT(bout, Not(HasSubstr("libprotobuf")));
  EXPECT_EQ(threads(), before) << "a command dialled the sandbox";
  sandbox::ControlClient dial(state_ + "/a/control.sock");
  ASSERT_TRUE(dial.Info().ok());
  EXPECT_NE(threads(), before) << "a dial would not have shown";
}

// `runsc wait` of a running container waits for the sandbox process,
// which ends with the main process and logs its status: no dial.
TEST_F(CliTest, WaitForARunningContainerDoesNotDialIt) {
  const std::string pid_file = root_.path() + "/pid";
  SetArgs({"sleep", "1000"});
  ASSERT_EQ(system(absl::StrCat("cd ", bundle_, " && ", runsc_, " --root ", state_,
                                " run -d --pid-file ", pid_file, " a </dev/null >/dev/null 2>&1")
                       .c_str()),
            0);
  const pid_t sandbox = std::stoi(ReadFile(pid_file));
  const std::string before = util::ProcStatusField(sandbox, "Threads");
  ASSERT_FALSE(before.empty());
  FILE* wait = popen(absl::StrCat(runsc_, " --root ", state_, " wait a 2>&1").c_str(), "r");
  ASSERT_NE(wait, nullptr);
  absl::SleepFor(absl::Milliseconds(300));  // the wait is under way
  EXPECT_EQ(util::ProcStatusField(sandbox, "Threads"), before) << "the wait dialled the sandbox";
  EXPECT_EQ(Runsc("kill a KILL").first, 0);
  std::string out;
  char buf[256];
  while (fgets(buf, sizeof(buf), wait) != nullptr) out += buf;
  EXPECT_EQ(pclose(wait), 0);
  EXPECT_EQ(out, "{\"id\":\"a\",\"exitStatus\":137}\n");
}

TEST_F(CliTest, CreatedContainerCanBeKilledBeforeItStarts) {
  SetArgs({"sh", "-c", "echo never"});
  ASSERT_EQ(system(absl::StrCat("cd ", bundle_, " && ", runsc_, " --root ", state_,
                                " create a </dev/null >/dev/null 2>&1")
                       .c_str()),
            0);
  EXPECT_EQ(Runsc("kill a KILL").first, 0);
  EXPECT_EQ(Runsc("wait a").second, "{\"id\":\"a\",\"exitStatus\":137}\n");
  EXPECT_THAT(Runsc("state a").second, HasSubstr("\"status\": \"stopped\""));
  EXPECT_NE(Runsc("start a").first, 0);
}

TEST_F(CliTest, CreateWithATerminalSendsThePtyMasterToTheConsoleSocket) {
  SetArgs({"sh", "-c", "tty; echo typed:$(head -n1)"}, 0, /*terminal=*/true);
  // runc's rules first: a terminal needs a console socket, and a socket
  // needs a terminal.
  auto [c1, o1] = Runsc("create a");
  EXPECT_NE(c1, 0);
  EXPECT_THAT(o1, HasSubstr("cannot allocate tty"));
  const std::string path = root_.path() + "/console.sock";
  util::UniqueFd listener = ListenAt(path);
  auto [c2, o2] = Runsc("create --console-socket " + path + " a");
  ASSERT_EQ(c2, 0) << o2;
  // The master arrived during create, as runc sends it.
  util::UniqueFd master = ReceiveOneFd(listener.get());
  ASSERT_TRUE(master);
  ASSERT_EQ(Runsc("start a").first, 0);
  ASSERT_EQ(write(master.get(), "hi\n", 3), 3);
  std::string seen;
  char buf[256];
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (absl::Now() < deadline && seen.find("typed:hi") == std::string::npos) {
    ssize_t n = read(master.get(), buf, sizeof(buf));
    if (n <= 0) break;
    seen.append(buf, static_cast<size_t>(n));
  }
  EXPECT_THAT(seen, HasSubstr("/dev/pts/"));
  EXPECT_THAT(seen, HasSubstr("typed:hi"));
  EXPECT_EQ(Runsc("wait a").second, "{\"id\":\"a\",\"exitStatus\":0}\n");

  SetArgs({"true"});
  auto [c3, o3] = Runsc("create --console-socket " + path + " b");
  EXPECT_NE(c3, 0);
  EXPECT_THAT(o3, HasSubstr("cannot use console socket"));
}

TEST_F(CliTest, GlobalLogFlagsAsContainerdPassesThem) {
  // containerd's shim runs `runc --log FILE --log-format json ...` and reads
  // the last error from FILE.
  const std::string log = root_.path() + "/log.json";
  auto [code, out] = Runsc("--log " + log + " --log-format json state ghost");
  EXPECT_NE(code, 0);
  EXPECT_THAT(out, HasSubstr("\"ghost\" does not exist"));  // stderr too
  EXPECT_THAT(ReadFile(log),
              ::testing::MatchesRegex("\\{\"level\":\"error\",\"msg\":\"runsc state: container "
                                      "\\\\\"ghost\\\\\" does not exist\",\"time\":\"[-0-9T:.Z]+\"\\}\n"));
  // --flag=value too, text format, --debug; a bad format is refused.
  const std::string text = root_.path() + "/log.txt";
  EXPECT_EQ(Runsc("--debug --log=" + text + " --log-format=text list -q").first, 0);
  EXPECT_NE(Runsc("--log=" + text + " --log-format=text state ghost").first, 0);
  EXPECT_THAT(ReadFile(text), HasSubstr(" E runsc state: container \"ghost\" does not exist\n"));
  auto [bad, bad_out] = Runsc("--log-format xml list");
  EXPECT_EQ(bad, 2);
  EXPECT_THAT(bad_out, HasSubstr("--log-format: want text or json"));
  // runc's other global flags as go-runc passes them: --criu (containerd's
  // CriuPath), --rootless=false or auto, --systemd-cgroup with a value.
  for (const char* flags :
       {"--criu /usr/sbin/criu", "--criu=/x", "--rootless=false", "--rootless auto", "--rootless=0",
        "--systemd-cgroup=false", "--systemd-cgroup=F"}) {
    auto [fcode, fout] = Runsc(absl::StrCat(flags, " list -q"));
    EXPECT_EQ(fcode, 0) << flags << ": " << fout;
  }
  // An unknown command (ctr task checkpoint's) or global flag is in the log
  // too, wherever --log comes.
  const std::string unknown = root_.path() + "/unknown.txt";
  EXPECT_EQ(Runsc("--log " + unknown + " checkpoint a").first, 2);
  EXPECT_EQ(Runsc("--no-such-flag --log " + unknown + " list").first, 2);
  EXPECT_THAT(ReadFile(unknown), HasSubstr(" E runsc: unknown command 'checkpoint'\n"));
  EXPECT_THAT(ReadFile(unknown),
              HasSubstr(" E runsc: flag provided but not defined: --no-such-flag\n"));
  // Not even where a later flag would end the command at once.
  EXPECT_EQ(Runsc("--no-such-flag --version").first, 2);
  EXPECT_EQ(Runsc("--no-such-flag --help").first, 2);
  auto [rootless, rootless_out] = Runsc("--rootless=true list");
  EXPECT_EQ(rootless, 2);
  EXPECT_THAT(rootless_out, HasSubstr("runsc runs as root only"));
  // runc's version layout: the version, then the spec's and libseccomp's.
  EXPECT_THAT(Runsc("--version").second,
              ::testing::MatchesRegex("runsc version [0-9.]+\nspec: 1\\.0\\.2\nlibseccomp: "
                                      "[0-9]+\\.[0-9]+\\.[0-9]+\n"));
}

TEST_F(CliTest, ClearErrorsForUnknownIdsFlagsAndSignals) {
  auto [c1, o1] = Runsc("state ghost");
  EXPECT_NE(c1, 0);
  EXPECT_THAT(o1, HasSubstr("\"ghost\" does not exist"));
  auto [c2, o2] = Runsc("exec ghost true");
  EXPECT_NE(c2, 0);
  EXPECT_THAT(o2, HasSubstr("'ghost'"));
  auto [c3, o3] = Runsc("list --bogus");
  EXPECT_NE(c3, 0);
  EXPECT_THAT(o3, HasSubstr("flag provided but not defined: -bogus"));
  SetArgs({"sleep", "1000"});
  ASSERT_EQ(RunDetached("b"), 0);
  auto [c4, o4] = Runsc("kill b SIGNOPE");
  EXPECT_NE(c4, 0);
  EXPECT_THAT(o4, HasSubstr("unknown signal"));
  // runc's names in any case: this one ends the container (SIGTERM).
  EXPECT_EQ(Runsc("kill b sigterm").first, 0);
  for (int i = 0; i < 100 && Runsc("state b").second.find("stopped") == std::string::npos; ++i) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_THAT(Runsc("state b").second, HasSubstr("\"status\": \"stopped\""));
  for (const char* cmd : {"create", "start", "run", "exec", "do", "daemon", "kill", "delete",
                          "state", "list", "ps", "wait", "events", "spec", "check"}) {
    auto [code, help] = Runsc(absl::StrCat(cmd, " --help"));
    EXPECT_EQ(code, 0) << cmd;
    EXPECT_THAT(help, HasSubstr("Usage: runsc")) << cmd;
  }
}

// A create killed before its first record (a caller's timeout) leaves a
// state directory without one. It kept the id for good: `delete --force`
// said 0 and removed nothing, `create` said it exists. Once no create holds
// it, delete removes it (as runc, saying it did not exist unless forced)
// and a create of the id takes its place; while one does, both say so.
TEST_F(CliTest, AStateDirectoryWithoutARecordDoesNotKeepItsIdForGood) {
  SetArgs({"true"});
  auto leave = [&](const std::string& id) {
    const std::string dir = state_ + "/" + id;
    ASSERT_EQ(util::MakeDirs(dir, 0700).ok(), true);
    std::ofstream(dir + "/sandbox.log") << "killed here\n";
    // Older than the second a create takes to lock its directory.
    absl::SleepFor(absl::Milliseconds(1100));
  };
  leave("x");
  {
    // A create still at it holds its lock: a create of the id says it
    // exists, and a delete, forced or not, that it is being created.
    util::UniqueFd lock(open((state_ + "/x").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    ASSERT_TRUE(lock);
    ASSERT_EQ(flock(lock.get(), LOCK_EX), 0);
    ExpectError("create x", "already exists");
    ExpectError("delete --force x", "'x' is being created");
  }
  // Removed; without --force runc's delete still says it does not exist.
  ExpectError("delete x", "does not exist");
  EXPECT_TRUE(ListDir(state_).empty());

  // A record that cannot be read: named on stderr, and no row (runc's list
  // skips it too; it used to be listed as stopped, created in 1970).
  ASSERT_TRUE(util::MakeDirs(state_ + "/z", 0700).ok());
  std::ofstream(state_ + "/z/state.pb") << "not a record";
  auto [lcode, lout] = Runsc("list");
  EXPECT_EQ(lcode, 0) << lout;
  EXPECT_THAT(lout, HasSubstr("runsc list: z: "));
  EXPECT_THAT(lout, ::testing::Not(HasSubstr("\nz ")));
  ASSERT_EQ(system(absl::StrCat("rm -rf ", state_, "/z").c_str()), 0);

  leave("y");
  EXPECT_EQ(RunDetached("y"), 0);
  EXPECT_THAT(Runsc("state y").second, HasSubstr("\"id\": \"y\""));
  EXPECT_EQ(Runsc("delete --force y").first, 0);
}

// runc's run --keep leaves the container stopped, for state and delete;
// --no-subreaper is taken. Both were unknown flags.
TEST_F(CliTest, RunKeepLeavesTheContainerStopped) {
  SetArgs({"sh", "-c", "exit 3"});
  auto [code, out] = Runsc("run --keep --no-subreaper k");
  EXPECT_EQ(code, 3) << out;
  EXPECT_THAT(Runsc("state k").second, HasSubstr("\"status\": \"stopped\""));
  EXPECT_EQ(Runsc("list -q").second, "k\n");
  EXPECT_EQ(Runsc("delete k").first, 0);
  EXPECT_THAT(Runsc("state k").second, HasSubstr("does not exist"));
}

// runc's exec -g/--additional-gids: repeated or comma-separated, added to
// the main process's supplementary groups; not a number is refused by flag.
TEST_F(CliTest, ExecTakesAdditionalGids) {
  SetArgs({"sleep", "1000"});
  runsc::oci::v1::Spec spec = LoadSpec();
  spec.mutable_process()->mutable_user()->add_additional_gids(5);
  SaveSpec(spec);
  ASSERT_EQ(RunDetached("a"), 0);
  // Added to the main process's, as runc's.
  auto [code, out] = Runsc("exec -g 10 --additional-gids 20,30 a id -G");
  EXPECT_EQ(code, 0) << out;
  EXPECT_EQ(out, "0 5 10 20 30\n");
  ExpectError("exec -g wheel a true", "--additional-gids: 'wheel' is not a gid");
  // Ids the container does not map are refused up front, naming the flag.
  ExpectError("exec --user 100000 a true", "--user: 100000 is not an id of the container's");
  ExpectError("exec -g 70000 a true", "--additional-gids[1]: 70000 is not an id");
  // An exec that failed exits 255, as runc's (1.1 and later), so that it
  // is not taken for a command's exit 1; a usage error is still 1.
  EXPECT_EQ(Runsc("exec -g wheel a true").first, 255);
  EXPECT_EQ(Runsc("exec nosuch true").first, 255);
  EXPECT_EQ(Runsc("exec a sh -c 'exit 1'").first, 1);
  EXPECT_EQ(Runsc("exec a").first, 1);
  EXPECT_EQ(Runsc("delete --force a").first, 0);
}

// A spec without a umask gets runc's 022, for the main process and an exec
// alike: never the caller's, which a shell or a service manager may have
// set to 0 (every file the workload made was then writable by all).
TEST_F(CliTest, WithoutASpecUmaskAWorkloadGets022NotTheCallers) {
  SetArgs({"sh", "-c", "umask; touch /dev/shm/f; stat -c %a /dev/shm/f; sleep 1000"});
  auto [code, out] =
      RunShell(absl::StrCat("umask 000 && cd ", bundle_, " && ", runsc_, " --root ", state_,
                            " run --detach a </dev/null >/dev/null 2>&1; echo $?"));
  ASSERT_EQ(out, "0\n");
  auto [ecode, eout] =
      RunShell(absl::StrCat("umask 000 && ", runsc_, " --root ", state_,
                            " exec a sh -c 'umask; touch /dev/shm/g; stat -c %a /dev/shm/g'"));
  EXPECT_EQ(ecode, 0) << eout;
  EXPECT_EQ(eout, "0022\n644\n");
  const std::string await_f =
      " sh -c 'while [ ! -e /dev/shm/f ]; do sleep 0.01; done; stat -c %a /dev/shm/f'";
  auto [fcode, fout] = Runsc("exec a" + await_f);
  EXPECT_EQ(fout, "644\n") << fcode;
  EXPECT_EQ(Runsc("delete --force a").first, 0);
  // The spec's own, where it has one.
  runsc::oci::v1::Spec spec = LoadSpec();
  spec.mutable_process()->mutable_user()->set_umask(077);
  SaveSpec(spec);
  ASSERT_EQ(RunDetached("b"), 0);
  auto [bcode, bout] = Runsc("exec b" + await_f);
  EXPECT_EQ(bout, "600\n") << bcode;
  EXPECT_EQ(Runsc("delete --force b").first, 0);
}

// A create's state directory is locked from before it has its name, so no
// other process sees it unlocked and without a record: what lets a retry
// reclaim a dead create's directory (ReclaimUnrecorded) without ever
// taking a live one's. It was made, then locked: a create stalled in
// between lost its directory to a retry and then removed the retry's.
TEST_F(CliTest, NoCreatesDirectoryIsEverSeenUnlockedWithoutARecord) {
  SetArgs({"true"});
  const std::string dir = state_ + "/a";
  std::atomic<bool> stop{false};
  std::atomic<int> seen{0}, unlocked{0};
  std::thread watcher([&] {
    while (!stop.load()) {
      util::UniqueFd fd(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW));
      if (!fd) continue;
      seen.fetch_add(1);
      if (flock(fd.get(), LOCK_EX | LOCK_NB) != 0) continue;
      // Still the directory at that name (a delete may have removed it),
      // and still without a record while we hold its lock.
      struct stat held, now;
      if (fstat(fd.get(), &held) == 0 && lstat(dir.c_str(), &now) == 0 &&
          held.st_ino == now.st_ino && access((dir + "/state.pb").c_str(), F_OK) != 0) {
        unlocked.fetch_add(1);
      }
    }
  });
  for (int i = 0; i < 40; ++i) {
    auto [code, out] = Runsc("run a");
    EXPECT_EQ(code, 0) << out;
  }
  stop = true;
  watcher.join();
  EXPECT_GT(seen.load(), 0) << "the watcher never saw the directory";
  EXPECT_EQ(unlocked.load(), 0);
  // No directory of a create is left under its temporary name.
  EXPECT_TRUE(ListDir(state_).empty());
}

// The sandbox record is JSON: a bundle path or NOTIFY_SOCKET that is not
// UTF-8 could be saved but never read back, leaving a sandbox no command
// could reach. Refused before anything is made, naming the value.
TEST_F(CliTest, PathsThatAreNotUtf8AreRefusedUpFront) {
  SetArgs({"true"});
  const std::string latin1 = root_.path() + "/b\xe9";
  ASSERT_EQ(rename(bundle_.c_str(), latin1.c_str()), 0);
  auto [code, out] = RunShell(
      absl::StrCat(runsc_, " --root ", state_, " run --bundle '", latin1, "' a 2>&1"));
  ASSERT_EQ(rename(latin1.c_str(), bundle_.c_str()), 0);
  EXPECT_NE(code, 0);
  EXPECT_THAT(out, HasSubstr("bundle: '" + latin1 + "' is not valid UTF-8")) << out;
  EXPECT_EQ(Runsc("list -q").second, "");

  auto [code2, out2] = Runsc("run a");  // the same bundle, at a UTF-8 path, runs
  EXPECT_EQ(code2, 0) << out2;
  auto [code3, out3] =
      RunShell(absl::StrCat("cd ", bundle_, " && NOTIFY_SOCKET=$(printf '/run/n\\351') ",
                            runsc_, " --root ", state_, " run a 2>&1"));
  EXPECT_NE(code3, 0);
  EXPECT_THAT(out3, HasSubstr("NOTIFY_SOCKET: '/run/n\xe9' is not valid UTF-8")) << out3;
  EXPECT_EQ(Runsc("list -q").second, "");
}

// The sandboxes of `runsc create` and `run` exec the copy of the binary in
// the binary cache (runsc/util/binary_cache.h): the supervisor and the
// launcher both; the binary itself with --binary-cache off, or where no copy
// can be made (the cache's path is a file), and the create still succeeds.
TEST_F(CliTest, SandboxesRunTheBinaryCachesCopy) {
  const std::string cache = root_.path() + "/cache";
  const std::string pid_file = root_.path() + "/pid";
  struct statfs fs;
  ASSERT_EQ(statfs(root_.path().c_str(), &fs), 0);
  if (fs.f_type == TMPFS_MAGIC) {
    GTEST_SKIP() << root_.path() << " is on a tmpfs, where the cache makes no copy";
  }
  SetArgs({"sleep", "1000"});
  // The sandbox's supervisor and launcher (its one child), by the file each
  // runs: (device, inode).
  auto sandbox_exes = [&](const std::string& global_flags, const std::string& id) {
    std::vector<std::pair<dev_t, ino_t>> exes;
    unlink(pid_file.c_str());
    // Its stdio a file: a sandbox's copy of a pipe would hold the pipe open.
    const std::string out = root_.path() + "/out";
    const int status =
        system(absl::StrCat("cd ", bundle_, " && ", runsc_, " --root ", state_, " ", global_flags,
                            " create --pid-file ", pid_file, " ", id, " </dev/null >", out, " 2>&1")
                   .c_str());
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << ReadFile(out);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return exes;
    const pid_t supervisor = std::stoi(ReadFile(pid_file));
    const std::string children =
        ReadFile(absl::StrCat("/proc/", supervisor, "/task/", supervisor, "/children"));
    for (const std::string& pid :
         {std::to_string(supervisor), children.substr(0, children.find(' '))}) {
      struct stat st;
      EXPECT_EQ(stat(("/proc/" + pid + "/exe").c_str(), &st), 0) << pid;
      exes.emplace_back(st.st_dev, st.st_ino);
    }
    EXPECT_EQ(Runsc("delete --force " + id).first, 0);
    return exes;
  };
  struct stat self;
  ASSERT_EQ(stat(runsc_.c_str(), &self), 0);
  const std::pair<dev_t, ino_t> binary{self.st_dev, self.st_ino};

  const auto cached = sandbox_exes("--binary-cache " + cache, "a");
  const std::string listing = RunShell("ls " + cache).second;
  if (listing.find(".small") != std::string::npos) {
    GTEST_SKIP() << "the filesystem under " << cache
                 << " has no large folios (ext4 from Linux 6.16): no copy is made there";
  }
  ASSERT_THAT(listing, ::testing::MatchesRegex("runsc-[0-9a-f]+\n")) << "the cache holds one copy";
  struct stat copy;
  ASSERT_EQ(stat((cache + "/" + listing.substr(0, listing.size() - 1)).c_str(), &copy), 0);
  const std::pair<dev_t, ino_t> the_copy{copy.st_dev, copy.st_ino};
  EXPECT_THAT(cached, ::testing::ElementsAre(the_copy, the_copy));

  EXPECT_THAT(sandbox_exes("--binary-cache off", "b"), ::testing::ElementsAre(binary, binary));
  const std::string not_a_dir = root_.path() + "/file";
  ASSERT_TRUE(util::WriteFileAtomically(not_a_dir, "x").ok());
  EXPECT_THAT(sandbox_exes("--binary-cache " + not_a_dir, "b"),
              ::testing::ElementsAre(binary, binary));
  ExpectError("--binary-cache relative/dir list", "--binary-cache: want an absolute directory");
}

}  // namespace
}  // namespace runsc::testing
