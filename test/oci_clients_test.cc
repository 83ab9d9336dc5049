// Root end-to-end tests with the real clients: podman and containerd (its
// runc shim, through ctr) drive our runsc as their OCI runtime, as a user
// would configure them. The image is built here from busybox-static (there
// is no registry); containerd runs privately on a temporary socket and root.
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <tuple>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test/bundle_util.h"
#include "test/sandbox_test_util.h"

namespace runsc::testing {
namespace {

using ::testing::HasSubstr;

constexpr char kImage[] = "localhost/runsc-test-busybox:latest";

std::string Runtime() {
  char resolved[PATH_MAX];
  return realpath(RunscPath().c_str(), resolved) != nullptr ? resolved : RunscPath();
}

bool Have(const char* tool) {
  return RunShell(absl::StrCat("command -v ", tool, " >/dev/null")).first == 0;
}

// One image for both clients, made once: busybox-static with PATH=/bin.
class ClientsEnvironment {
 public:
  // Destroyed at exit, with the image's files.
  static ClientsEnvironment& Get() {
    static ClientsEnvironment env;
    return env;
  }
  const std::string& error() const { return error_; }
  const std::string& oci_archive() const { return archive_; }

 private:
  ClientsEnvironment() {
    // Bazel's test PATH lacks the sbin directories podman's network helper
    // (netavark, iptables) and containerd's shim need.
    setenv("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", 1);
    if (!Have("podman")) {
      error_ = "podman is not installed (apt-get install podman)";
      return;
    }
    absl::Status made = MakeBusyboxRootfs(dir_.path());
    if (!made.ok()) {
      error_ = std::string(made.message());
      return;
    }
    archive_ = dir_.path() + "/image.oci.tar";
    auto [code, out] = RunShell(absl::StrCat(
        "tar -C ", dir_.path(), "/rootfs -cf ", dir_.path(), "/rootfs.tar . && ",
        "podman import --change 'ENV PATH=/bin' --change 'CMD [\"/bin/sh\"]' ", dir_.path(),
        "/rootfs.tar ", kImage, " && podman save --format oci-archive -o ", archive_, " ",
        kImage, " 2>&1"));
    if (code != 0) error_ = "building the test image: " + out;
  }
  ScratchDir dir_;
  std::string archive_;
  std::string error_;
};

class PodmanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!ClientsEnvironment::Get().error().empty()) {
      FAIL() << ClientsEnvironment::Get().error();
    }
  }
  void TearDown() override {
    for (const std::string& name : names_) RunShell(Podman("rm -f -t 0 " + name));
  }
  // podman with our runtime; this host's hard limits are below podman's
  // default ulimits.
  std::string Podman(const std::string& args) {
    return absl::StrCat("podman --runtime ", Runtime(), " ", args);
  }
  std::pair<int, std::string> Run(const std::string& flags, const std::string& command) {
    return RunShell(absl::StrCat(Podman("run --rm --ulimit nofile=1024:1024 "
                                        "--ulimit nproc=1024:1024 "),
                                 flags, " ", kImage, " ", command, " 2>&1"));
  }
  std::string Detached(const std::string& name, const std::string& flags,
                       const std::string& command) {
    names_.push_back(name);
    auto [code, out] = RunShell(absl::StrCat(
        Podman("run -d --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --name "), name, " ",
        flags, " ", kImage, " ", command, " 2>&1"));
    EXPECT_EQ(code, 0) << out;
    return out;
  }
  std::vector<std::string> names_;
};

TEST_F(PodmanTest, RunPrintsAndExitsWithTheStatus) {
  auto [code, out] = Run("", "sh -c 'echo hello from runsc; exit 3'");
  EXPECT_EQ(code, 3);
  EXPECT_EQ(out, "hello from runsc\n");
}

// podman tells "no such command" (127) and "cannot run it" (126) from its
// runtime's error by runc's words; anything else is 125.
TEST_F(PodmanTest, AMissingCommandExits127) {
  auto [code, out] = Run("", "no-such-command");
  EXPECT_EQ(code, 127) << out;
  EXPECT_THAT(out, HasSubstr("executable file not found in $PATH"));
  std::tie(code, out) = Run("", "/etc/passwd");
  EXPECT_EQ(code, 126) << out;
}

TEST_F(PodmanTest, TheContainerHasPodmansNetwork) {
  // podman passes the namespace netavark configured by path: eth0 with an
  // address on podman's bridge, and a sysfs that shows it.
  // Its sysctls are written there too: podman's own ping_group_range and
  // one asked for.
  auto [code, out] = Run("--sysctl net.ipv4.ip_unprivileged_port_start=99",
                         "sh -c 'ip -4 addr show eth0; ls /sys/class/net; cat "
                         "/proc/sys/net/ipv4/ping_group_range "
                         "/proc/sys/net/ipv4/ip_unprivileged_port_start'");
  EXPECT_EQ(code, 0) << out;
  EXPECT_THAT(out, ::testing::ContainsRegex("inet [0-9]+\\.[0-9]+\\.[0-9]+\\.[0-9]+/"));
  EXPECT_THAT(out, HasSubstr("eth0\nlo\n0\t0\n99\n"));
}

// --network=host: podman lists no network namespace, which means the
// runtime's own (it was a fresh one with only lo); --pid=host is refused.
TEST_F(PodmanTest, HostNetworkIsTheHostsAndHostPidIsRefused) {
  auto [code, out] = Run("--network host", "readlink /proc/self/ns/net");
  EXPECT_EQ(code, 0) << out;
  EXPECT_EQ(out, RunShell("readlink /proc/self/ns/net").second);
  auto [pcode, pout] = Run("--pid host", "true");
  EXPECT_NE(pcode, 0);
  EXPECT_THAT(pout, HasSubstr("no pid namespace listed"));
}

TEST_F(PodmanTest, EnvUserWorkdirAndStdin) {
  auto [code, out] = Run("-e GREETING=hi -u 1000:1000 -w /bin",
                         "sh -c 'echo $GREETING $(id -u):$(id -g) $(pwd)'");
  EXPECT_EQ(code, 0) << out;
  EXPECT_EQ(out, "hi 1000:1000 /bin\n");
  auto [icode, iout] = RunShell(absl::StrCat(
      "echo piped-in | ", Podman("run --rm -i --ulimit nofile=1024:1024 --ulimit "
                                 "nproc=1024:1024 "),
      kImage, " cat 2>&1"));
  EXPECT_EQ(icode, 0);
  EXPECT_EQ(iout, "piped-in\n");
}

TEST_F(PodmanTest, TerminalAndReadOnlyRoot) {
  // script(1) gives podman the terminal that -t needs.
  auto [code, out] = RunShell(absl::StrCat(
      "script -qec \"", Podman("run --rm -t --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 "),
      kImage, " sh -c 'tty; test -t 0 && echo is-a-tty'\" /dev/null 2>&1"));
  EXPECT_EQ(code, 0) << out;
  EXPECT_THAT(out, HasSubstr("/dev/pts/"));
  EXPECT_THAT(out, HasSubstr("is-a-tty"));
  auto [rcode, rout] = Run("--read-only", "sh -c 'touch /x && echo wrote'");
  EXPECT_NE(rcode, 0);
  EXPECT_THAT(rout, HasSubstr("Read-only file system"));
}

TEST_F(PodmanTest, DetachedThenExecPsPauseAndMemoryLimit) {
  Detached("runsc-e2e-a", "-m 64m", "sh -c 'trap \"exit 0\" TERM; while true; do sleep 0.1; done'");
  auto [ecode, eout] = RunShell(Podman(
      "exec runsc-e2e-a sh -c 'echo in-exec; cat /sys/fs/cgroup/memory/memory.limit_in_bytes "
      "2>/dev/null || cat /sys/fs/cgroup/memory.max; exit 4' 2>&1"));
  EXPECT_EQ(ecode, 4);
  EXPECT_EQ(eout, absl::StrCat("in-exec\n", 64 << 20, "\n"));
  auto [tcode, top] = RunShell(Podman("top runsc-e2e-a 2>&1"));
  EXPECT_EQ(tcode, 0) << top;
  EXPECT_THAT(top, HasSubstr("while true"));
  // podman stats reads the cgroup at the spec's cgroupsPath.
  auto [scode, stats] = RunShell(Podman("stats --no-stream --format '{{.MemLimit}}' runsc-e2e-a 2>&1"));
  EXPECT_EQ(scode, 0) << stats;
  EXPECT_EQ(stats, absl::StrCat(64 << 20, "\n"));
  const std::string id = RunShell(Podman("inspect -f '{{.Id}}' runsc-e2e-a")).second;
  const std::string memory =
      absl::StrCat("/sys/fs/cgroup/memory/libpod_parent/libpod-", absl::StripSuffix(id, "\n"));
  if (access("/sys/fs/cgroup/memory/memory.limit_in_bytes", F_OK) == 0) {  // a v1 host
    EXPECT_EQ(ReadFile(memory + "/container/memory.limit_in_bytes"),
              absl::StrCat(64 << 20, "\n"));
  }
  ASSERT_EQ(RunShell(Podman("pause runsc-e2e-a")).first, 0);
  EXPECT_THAT(RunShell(Podman("inspect -f '{{.State.Status}}' runsc-e2e-a")).second,
              HasSubstr("paused"));
  ASSERT_EQ(RunShell(Podman("unpause runsc-e2e-a")).first, 0);
  EXPECT_THAT(RunShell(Podman("inspect -f '{{.State.Status}}' runsc-e2e-a")).second,
              HasSubstr("running"));
  // SIGTERM, trapped: a clean exit 0.
  EXPECT_EQ(RunShell(Podman("stop -t 10 runsc-e2e-a")).first, 0);
  EXPECT_EQ(RunShell(Podman("inspect -f '{{.State.ExitCode}}' runsc-e2e-a")).second, "0\n");
  EXPECT_EQ(RunShell(Podman("rm runsc-e2e-a")).first, 0);
}

// `--device HOST:CONTAINER`: the node podman names, by its numbers, at the
// container's path, which the host does not have.
TEST_F(PodmanTest, ADeviceIsTheHostsUnderItsContainerName) {
  auto [code, out] = Run("--device /dev/full:/dev/myfull",
                         "sh -c 'stat -c \"%F %t:%T\" /dev/myfull; echo x > /dev/myfull'");
  EXPECT_EQ(code, 1) << out;
  EXPECT_THAT(out, HasSubstr("character special file 1:7\n"));
  EXPECT_THAT(out, HasSubstr("No space left on device"));  // /dev/full's answer
  // Read-only, which only a device cgroup would enforce: refused, not
  // given whole. (Not /dev/full: runc's own allowances, after the spec's
  // rules, give that one whole anyway.)
  std::tie(code, out) = Run("--device /dev/fuse:/dev/myfuse:r", "true");
  EXPECT_NE(code, 0) << out;
  EXPECT_THAT(out, HasSubstr("linux.resources.devices: they do not let linux.devices[0] "
                             "('/dev/myfuse') be read and written"))
      << out;
}

TEST_F(PodmanTest, KillNineIs137) {
  Detached("runsc-e2e-b", "", "sleep 1000");
  EXPECT_EQ(RunShell(Podman("kill -s KILL runsc-e2e-b")).first, 0);
  auto [code, out] = RunShell(Podman("wait runsc-e2e-b"));
  EXPECT_EQ(code, 0);
  EXPECT_EQ(out, "137\n");
  EXPECT_EQ(RunShell(Podman("rm runsc-e2e-b")).first, 0);
  EXPECT_THAT(RunShell(Podman("ps -a --format '{{.Names}}'")).second,
              ::testing::Not(HasSubstr("runsc-e2e-b")));
}

TEST_F(PodmanTest, UidmapIsTheWorkloadsHostIds) {
  // podman chowns its copy of the image for the mapping; the container's
  // root is host 200000, in the image and in a volume alike.
  ScratchDir dir;
  const std::string volume = dir.path() + "/volume";
  ASSERT_EQ(mkdir(volume.c_str(), 0700), 0);
  ASSERT_EQ(chown(volume.c_str(), 200000, 200000), 0);
  auto [code, out] = Run(absl::StrCat("--uidmap 0:200000:65536 --gidmap 0:200000:65536 -v ",
                                      volume, ":/data"),
                         "sh -c 'id -u; stat -c %u:%g /bin/busybox; touch /data/f'");
  EXPECT_EQ(code, 0) << out;
  EXPECT_EQ(out, "0\n0:0\n");
  struct stat st;
  ASSERT_EQ(stat((volume + "/f").c_str(), &st), 0) << out;
  EXPECT_EQ(st.st_uid, 200000u);
  EXPECT_EQ(st.st_gid, 200000u);
}

TEST_F(PodmanTest, APodsContainersShareItsIpcAndUtsNamespaces) {
  // The pod's infra container runs on podman's default runtime, which only
  // containers.conf names; it also needs the ulimits the other tests pass.
  ScratchDir dir;
  const std::string conf = dir.path() + "/containers.conf";
  std::ofstream(conf) << "[containers]\ndefault_ulimits = [\"nofile=1024:1024\", "
                         "\"nproc=1024:1024\"]\n[engine]\nruntime = \"runsc-test\"\n"
                         "[engine.runtimes]\nrunsc-test = [\""
                      << Runtime() << "\"]\n";
  const std::string podman = "CONTAINERS_CONF=" + conf + " podman ";
  const std::string pod = absl::StrCat("runsc-e2e-pod-", getpid());
  std::string pod_id;
  absl::Cleanup remove = [&] {
    RunShell(podman + "pod rm -f " + pod);
    // podman's own cgroups of the pod (its parent, conmon's), which it
    // leaves in a hybrid host's unified hierarchy.
    if (!pod_id.empty()) {
      RunShell(absl::StrCat("for d in /sys/fs/cgroup/*/libpod_parent/", pod_id,
                            "; do rmdir $d/* $d 2>/dev/null; done"));
    }
  };
  auto [code, out] =
      RunShell(podman + "pod create --hostname podhost --name " + pod + " && " + podman +
               "pod start " + pod + " 2>&1");
  ASSERT_EQ(code, 0) << out;
  pod_id = std::string(
      absl::StripAsciiWhitespace(RunShell(podman + "pod inspect -f '{{.Id}}' " + pod).second));
  const std::string show = absl::StrCat(
      podman, "run --rm --pod ", pod, " ", kImage,
      " sh -c 'hostname; readlink /proc/self/ns/ipc; readlink /proc/self/ns/uts' 2>&1");
  auto [code1, first] = RunShell(show);
  auto [code2, second] = RunShell(show);
  EXPECT_EQ(code1, 0) << first;
  EXPECT_EQ(code2, 0) << second;
  EXPECT_THAT(first, ::testing::MatchesRegex("podhost\nipc:\\[[0-9]+\\]\nuts:\\[[0-9]+\\]\n"));
  // Two containers, one pair of namespaces: the infra container's.
  EXPECT_EQ(first, second);
}

// A private containerd, on a temporary socket and root, with the image.
class ContainerdTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!ClientsEnvironment::Get().error().empty()) return;
    if (!Have("containerd") || !Have("ctr")) return;
    dir_ = new ScratchDir();
    const std::string d = dir_->path();
    RunShell(absl::StrCat("containerd --root ", d, "/root --state ", d, "/state --address ", d,
                          "/c.sock >", d, "/containerd.log 2>&1 & echo $! > ", d, "/pid"));
    for (int i = 0; i < 200 && access((d + "/c.sock").c_str(), F_OK) != 0; ++i) {
      absl::SleepFor(absl::Milliseconds(50));
    }
    auto [code, out] = RunShell(absl::StrCat("ctr -a ", d, "/c.sock images import --snapshotter "
                                             "native ", ClientsEnvironment::Get().oci_archive(),
                                             " 2>&1"));
    imported_ = code == 0;
    import_error_ = out;
  }
  static void TearDownTestSuite() {
    if (dir_ == nullptr) return;
    // The cgroup of ctr's namespace, the parent of its containers' (a
    // runtime leaves it; runc does too), once empty.
    RunShell(absl::StrCat("kill $(cat ", dir_->path(), "/pid); sleep 0.5; umount -R ", dir_->path(),
                          "/state 2>/dev/null; rmdir /sys/fs/cgroup/*/default ",
                          "2>/dev/null; true"));
    delete dir_;
    dir_ = nullptr;
  }
  void SetUp() override {
    if (!ClientsEnvironment::Get().error().empty()) FAIL() << ClientsEnvironment::Get().error();
    if (dir_ == nullptr) FAIL() << "containerd is not installed (apt-get install containerd)";
    ASSERT_TRUE(imported_) << import_error_;
  }
  void TearDown() override {
    for (const std::string& id : ids_) {
      RunShell(Ctr("task kill -s KILL " + id));
      RunShell(Ctr("task rm -f " + id));
      RunShell(Ctr("c rm " + id));
    }
  }
  std::string Ctr(const std::string& args) {
    return absl::StrCat("ctr -a ", dir_->path(), "/c.sock ", args, " 2>&1");
  }
  // `ctr run` with our runtime through the runc shim's runc-binary option.
  std::pair<int, std::string> CtrRun(const std::string& id, const std::string& flags,
                                     const std::string& command) {
    ids_.push_back(id);
    return RunShell(Ctr(absl::StrCat("run --snapshotter native --runc-binary ", Runtime(), " ",
                                     flags, " ", kImage, " ", id, " ", command)));
  }
  static ScratchDir* dir_;
  static bool imported_;
  static std::string import_error_;
  std::vector<std::string> ids_;
};
ScratchDir* ContainerdTest::dir_ = nullptr;
bool ContainerdTest::imported_ = false;
std::string ContainerdTest::import_error_;

TEST_F(ContainerdTest, RunPrintsEnvWorkdirAndExitStatus) {
  auto [code, out] = CtrRun("c1", "--rm --env GREETING=hi --cwd /bin",
                            "sh -c 'echo $GREETING $(pwd) $(id -u); exit 6'");
  EXPECT_EQ(code, 6);
  EXPECT_EQ(out, "hi /bin 0\n");
}

TEST_F(ContainerdTest, StdinTerminalAndReadOnlyRoot) {
  // ctr does not close the container's stdin at EOF: read one line.
  auto [code, out] = RunShell(absl::StrCat(
      "echo one-line | ", Ctr(absl::StrCat("run --rm --snapshotter native --runc-binary ",
                                           Runtime(), " ", kImage, " c2 sh -c 'read x; echo got:$x'"))));
  ids_.push_back("c2");
  EXPECT_EQ(code, 0) << out;
  EXPECT_EQ(out, "got:one-line\n");
  auto [tcode, tout] = RunShell(absl::StrCat(
      "script -qec \"", Ctr(absl::StrCat("run --rm -t --snapshotter native --runc-binary ",
                                         Runtime(), " ", kImage, " c3 sh -c tty")),
      "\" /dev/null"));
  ids_.push_back("c3");
  EXPECT_EQ(tcode, 0) << tout;
  EXPECT_THAT(tout, HasSubstr("/dev/pts/"));
  auto [rcode, rout] = CtrRun("c4", "--rm --read-only", "sh -c 'touch /x'");
  EXPECT_NE(rcode, 0);
  EXPECT_THAT(rout, HasSubstr("Read-only file system"));
}

TEST_F(ContainerdTest, DetachedTaskExecPsPauseLimitAndKill) {
  auto [code, out] = CtrRun("c5", "-d --memory-limit 67108864",
                            "sh -c 'trap \"exit 0\" TERM; while true; do sleep 0.1; done'");
  ASSERT_EQ(code, 0) << out;
  auto [ecode, eout] = RunShell(Ctr("task exec --exec-id e1 c5 sh -c 'echo exec-out; exit 5'"));
  EXPECT_EQ(ecode, 5);
  EXPECT_EQ(eout, "exec-out\n");
  // ps: the shim's `runsc ps --format json`, host pids of the container.
  auto [pcode, ps] = RunShell(Ctr("task ps c5"));
  EXPECT_EQ(pcode, 0) << ps;
  std::vector<std::string> lines = absl::StrSplit(ps, '\n', absl::SkipEmpty());
  ASSERT_GE(lines.size(), 2u) << ps;
  const std::string host_pid(absl::StripAsciiWhitespace(lines[1].substr(0, lines[1].find(' '))));
  // The memory limit, in the cgroup of the container's processes.
  std::string cgroup;
  for (absl::string_view line : absl::StrSplit(ReadFile("/proc/" + host_pid + "/cgroup"), '\n')) {
    std::vector<std::string> f = absl::StrSplit(line, absl::MaxSplits(':', 2));
    if (f.size() == 3 && f[1] == "memory") cgroup = "/sys/fs/cgroup/memory" + f[2];
  }
  if (!cgroup.empty()) {
    EXPECT_EQ(ReadFile(cgroup + "/memory.limit_in_bytes"), "67108864\n");
  }
  ASSERT_EQ(RunShell(Ctr("task pause c5")).first, 0);
  EXPECT_THAT(RunShell(Ctr("task ls")).second, HasSubstr("PAUSED"));
  ASSERT_EQ(RunShell(Ctr("task resume c5")).first, 0);
  EXPECT_THAT(RunShell(Ctr("task ls")).second, HasSubstr("RUNNING"));
  // SIGTERM, trapped: exit 0; the task is then stopped.
  ASSERT_EQ(RunShell(Ctr("task kill c5")).first, 0);
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (absl::Now() < deadline &&
         RunShell(Ctr("task ls")).second.find("STOPPED") == std::string::npos) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_THAT(RunShell(Ctr("task ls")).second, HasSubstr("STOPPED"));
  EXPECT_EQ(RunShell(Ctr("task rm c5")).first, 0);
  EXPECT_EQ(RunShell(Ctr("c rm c5")).first, 0);
}

TEST_F(ContainerdTest, KillNineIs137) {
  auto [code, out] = CtrRun("c6", "--rm", "sh -c 'kill -9 $$'");
  EXPECT_EQ(code, 137) << out;
}

}  // namespace
}  // namespace runsc::testing
