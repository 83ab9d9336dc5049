#include "sandbox/stage1.h"

#include <dirent.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <sys/capability.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"
#include "proto/launcher.pb.h"
#include "runsc/util/file_util.h"
#include "runsc/util/packet.h"
#include "runsc/util/unique_fd.h"
#include "specutils/id_map.h"

// Stage 1 in a real set of new namespaces, as the spawner runs it: a child
// of the test made with a new user, mount, PID, network, UTS and IPC
// namespace, whose maps the test writes as the spawner does (its own
// SandboxUidMap and SandboxGidMap: uid 0 -> 65533, 65534 -> 65534). The
// child runs the stage's functions, then looks at what they left and writes
// one `key=value` line per fact; the test asserts on those. Needs root (it
// maps uids and mounts); tagged local.

namespace runsc::sandbox::stage1 {
namespace {

bool IsRoot() { return geteuid() == 0; }

// The child's side: after LeaveHostIdentity, PrepareNamespaces, BuildRoot
// and DropToNobody,
// what can be seen from inside.
std::map<std::string, std::string> LookAround() {
  std::map<std::string, std::string> facts;
  // The root holds only proc and runsc, and takes no new file.
  std::set<std::string> entries;
  if (DIR* dir = opendir("/")) {
    while (struct dirent* e = readdir(dir)) {
      if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) entries.insert(e->d_name);
    }
    closedir(dir);
  }
  std::string listing;
  for (const auto& e : entries) absl::StrAppend(&listing, listing.empty() ? "" : ",", e);
  facts["root"] = listing;
  const int created = open("/new", O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
  facts["create_errno"] = created < 0 ? std::to_string(errno) : "0";
  // The binary at /runsc, read-only.
  struct stat st;
  facts["runsc_ino"] = stat("/runsc", &st) == 0 ? std::to_string(st.st_ino) : "none";
  const int w = open("/runsc", O_WRONLY | O_CLOEXEC);
  facts["runsc_write_errno"] = w < 0 ? std::to_string(errno) : "0";
  // Nothing of the host's root is left to reach.
  facts["etc_errno"] = stat("/etc", &st) != 0 ? std::to_string(errno) : "0";
  facts["parent_is_root"] = [] {
    struct stat root, up;
    return stat("/", &root) == 0 && stat("/..", &up) == 0 && root.st_ino == up.st_ino &&
                   root.st_dev == up.st_dev
               ? "yes"
               : "no";
  }();
  // Every mount there is (the old root is detached): mount point, then its
  // per-mount options, one a line, joined by ';'.
  std::ifstream mountinfo("/proc/self/mountinfo");
  std::string mounts;
  for (std::string line; std::getline(mountinfo, line);) {
    std::vector<std::string> fields = absl::StrSplit(line, ' ');
    if (fields.size() > 5)
      absl::StrAppend(&mounts, mounts.empty() ? "" : ";", fields[4], " ", fields[5]);
  }
  facts["mounts"] = mounts;
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    std::pair<std::string, std::string> kv = absl::StrSplit(line, absl::MaxSplits(':', 1));
    for (const char* key : {"Uid", "Gid", "Groups", "CapInh", "CapPrm", "CapEff", "CapBnd",
                            "CapAmb", "NoNewPrivs", "Pid"}) {
      if (kv.first == key) facts[key] = std::string(absl::StripAsciiWhitespace(kv.second));
    }
  }
  char host[128] = {};
  gethostname(host, sizeof(host) - 1);
  facts["hostname"] = host;
  const int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  struct ifreq ifr = {};
  strcpy(ifr.ifr_name, "lo");
  facts["lo_up"] =
      sock >= 0 && ioctl(sock, SIOCGIFFLAGS, &ifr) == 0 && (ifr.ifr_flags & IFF_UP) ? "yes" : "no";
  return facts;
}

struct ChildReport {
  int exit_code = -1;
  std::map<std::string, std::string> facts;
};

// Starts a child in new namespaces with the spawner's maps (or `uid_map`,
// `gid_map`), runs `body` in it and collects what it reports.
template <typename Body>  // std::map<std::string, std::string>(int exe_fd)
ChildReport InNewNamespaces(
    Body body, const std::string& uid_map = specutils::FormatIdMap(specutils::SandboxUidMap()),
    const std::string& gid_map = specutils::FormatIdMap(specutils::SandboxGidMap())) {
  ChildReport run;
  char exe_path[PATH_MAX] = {};
  if (readlink("/proc/self/exe", exe_path, sizeof(exe_path) - 1) <= 0) return run;
  int report[2], go[2];
  if (pipe2(report, O_CLOEXEC) != 0 || pipe2(go, O_CLOEXEC) != 0) return run;
  const pid_t pid = fork();
  if (pid < 0) return run;
  if (pid == 0) {
    close(report[0]);
    close(go[1]);
    // PID 1 of a new PID namespace needs a fork after unshare; the user
    // namespace must own it for the proc mount.
    if (unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWUTS |
                CLONE_NEWIPC) != 0) {
      _exit(100);
    }
    char c;
    if (write(report[1], "u", 1) != 1 || read(go[0], &c, 1) != 1) _exit(101);
    const pid_t inner = fork();
    if (inner < 0) _exit(102);
    if (inner == 0) {
      // As the spawner: open the binary by its path, so in a mount of this
      // namespace (/proc/self/exe names the host's), while the fs
      // credentials are still the host's root (the path may cross
      // root-only directories). `body` becomes uid 0 of the namespace (host
      // 65533), LeaveHostIdentity.
      const int exe = open(exe_path, O_PATH | O_CLOEXEC);
      if (exe < 0) _exit(103);
      std::map<std::string, std::string> facts = body(exe);
      std::string text;
      for (const auto& [k, v] : facts) absl::StrAppend(&text, k, "=", v, "\n");
      if (write(report[1], text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
        _exit(104);
      }
      _exit(0);
    }
    int status = 0;
    if (waitpid(inner, &status, 0) != inner) _exit(105);
    _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 106);
  }
  close(report[1]);
  close(go[0]);
  char c;
  bool mapped = false;
  if (read(report[0], &c, 1) == 1) {
    const std::string proc = absl::StrCat("/proc/", pid, "/");
    const absl::Status uids = util::WriteKernelFile(proc + "uid_map", uid_map);
    const absl::Status gids = util::WriteKernelFile(proc + "gid_map", gid_map);
    EXPECT_TRUE(uids.ok()) << uids;
    EXPECT_TRUE(gids.ok()) << gids;
    mapped = uids.ok() && gids.ok() && write(go[1], "g", 1) == 1;
  }
  close(go[1]);
  std::string text;
  char buf[4096];
  for (ssize_t n; (n = read(report[0], buf, sizeof(buf))) > 0;) text.append(buf, n);
  close(report[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  run.exit_code = mapped && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    std::pair<std::string, std::string> kv = absl::StrSplit(line, absl::MaxSplits('=', 1));
    run.facts[kv.first] = kv.second;
  }
  return run;
}

std::map<std::string, std::string> Failed(const Failure& f) {
  return {{"ok", "no"},
          {"stage", std::to_string(static_cast<int>(f.stage))},
          {"err", std::to_string(f.err)},
          {"what", f.what}};
}

TEST(Stage1Test, BuildsAMinimalReadOnlyRootAndDropsEverything) {
  if (!IsRoot()) GTEST_SKIP() << "needs root: maps uids and mounts";
  struct stat self;
  ASSERT_EQ(stat("/proc/self/exe", &self), 0);
  ChildReport run = InNewNamespaces([](int exe) {
    Failure failure;
    NamespaceSetup setup;
    static const char kHost[] = "stage1-test";
    setup.hostname = kHost;
    setup.hostname_length = sizeof(kHost) - 1;
    if (!LeaveHostIdentity(&failure)) return Failed(failure);
    if (!PrepareNamespaces(setup, &failure)) return Failed(failure);
    if (!EnterNewNetwork(/*loopback=*/true, /*launcher_sock=*/-1, &failure)) return Failed(failure);
    if (!BuildRoot("1m", exe, &failure)) return Failed(failure);
    close(exe);
    if (!DropToNobody(static_cast<int>(cap_max_bits()), &failure)) return Failed(failure);
    auto facts = LookAround();
    facts["ok"] = "yes";
    return facts;
  });
  ASSERT_EQ(run.exit_code, 0);
  auto& f = run.facts;
  ASSERT_EQ(f["ok"], "yes") << "stage " << f["stage"] << " errno " << f["err"] << ": " << f["what"];
  EXPECT_EQ(f["root"], "proc,runsc");
  EXPECT_EQ(f["create_errno"], std::to_string(EROFS));
  EXPECT_EQ(f["runsc_ino"], std::to_string(self.st_ino));
  EXPECT_NE(f["runsc_write_errno"], "0");
  EXPECT_EQ(f["etc_errno"], std::to_string(ENOENT));
  EXPECT_EQ(f["parent_is_root"], "yes");
  const std::vector<std::string> mounts = absl::StrSplit(f["mounts"], ';');
  ASSERT_EQ(mounts.size(), 3u) << f["mounts"];
  EXPECT_TRUE(absl::StartsWith(mounts[0], "/ ro,nosuid,nodev,noexec")) << mounts[0];
  EXPECT_TRUE(absl::StartsWith(mounts[1], "/proc ro,nosuid,nodev,noexec")) << mounts[1];
  EXPECT_TRUE(absl::StartsWith(mounts[2], "/runsc ro")) << mounts[2];
  EXPECT_EQ(f["Pid"], "1");
  EXPECT_EQ(f["Uid"], "65534\t65534\t65534\t65534");
  EXPECT_EQ(f["Gid"], "65534\t65534\t65534\t65534");
  EXPECT_EQ(f["Groups"], "");
  for (const char* set : {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"}) {
    EXPECT_EQ(f[set], "0000000000000000") << set;
  }
  EXPECT_EQ(f["NoNewPrivs"], "1");
  EXPECT_EQ(f["hostname"], "stage1-test");
  EXPECT_EQ(f["lo_up"], "yes");
}

TEST(Stage1Test, FailuresNameTheStageTheCallAndTheObject) {
  if (!IsRoot()) GTEST_SKIP() << "needs root: maps uids and mounts";
  // A hostname the kernel refuses (over 64 bytes).
  ChildReport run = InNewNamespaces([](int) {
    Failure failure;
    NamespaceSetup setup;
    static const std::string kLong(80, 'h');
    setup.hostname = kLong.data();
    setup.hostname_length = kLong.size();
    if (LeaveHostIdentity(&failure) && PrepareNamespaces(setup, &failure))
      return std::map<std::string, std::string>{{"ok", "yes"}};
    return Failed(failure);
  });
  ASSERT_EQ(run.exit_code, 0);
  EXPECT_EQ(run.facts["ok"], "no");
  EXPECT_EQ(run.facts["stage"], std::to_string(static_cast<int>(util::SetupStage::kHostname)));
  EXPECT_EQ(run.facts["err"], std::to_string(EINVAL));
  EXPECT_EQ(run.facts["what"], absl::StrCat("sethostname '", std::string(80, 'h'), "'"));

  // A tmpfs size tmpfs cannot parse.
  run = InNewNamespaces([](int exe) {
    Failure failure;
    if (!LeaveHostIdentity(&failure)) return Failed(failure);
    if (BuildRoot("lots", exe, &failure)) return std::map<std::string, std::string>{{"ok", "yes"}};
    return Failed(failure);
  });
  ASSERT_EQ(run.exit_code, 0);
  EXPECT_EQ(run.facts["ok"], "no");
  EXPECT_EQ(run.facts["stage"], std::to_string(static_cast<int>(util::SetupStage::kRootTmpfs)));
  EXPECT_EQ(run.facts["what"], "fsconfig tmpfs size='lots'");

  // No binary to bind: a closed fd.
  run = InNewNamespaces([](int) {
    Failure failure;
    if (!LeaveHostIdentity(&failure)) return Failed(failure);
    if (BuildRoot("1m", 999, &failure)) return std::map<std::string, std::string>{{"ok", "yes"}};
    return Failed(failure);
  });
  ASSERT_EQ(run.exit_code, 0);
  EXPECT_EQ(run.facts["ok"], "no");
  EXPECT_EQ(run.facts["stage"], std::to_string(static_cast<int>(util::SetupStage::kBindSelf)));
  EXPECT_EQ(run.facts["err"], std::to_string(EBADF));
  EXPECT_EQ(run.facts["what"], "open_tree(OPEN_TREE_CLONE) the runsc binary");

  // Without 65534 in the maps, nobody cannot be taken: the gid step fails
  // first, before anything is mounted.
  run = InNewNamespaces(
      [](int) {
        Failure failure;
        if (LeaveHostIdentity(&failure)) {
          return std::map<std::string, std::string>{{"ok", "yes"}};
        }
        return Failed(failure);
      },
      "0 65533 1\n", "0 65533 1\n");
  ASSERT_EQ(run.exit_code, 0);
  EXPECT_EQ(run.facts["ok"], "no");
  EXPECT_EQ(run.facts["stage"],
            std::to_string(static_cast<int>(util::SetupStage::kDropPrivileges)));
  EXPECT_EQ(run.facts["err"], std::to_string(EINVAL));
  EXPECT_EQ(run.facts["what"], "setresgid(65534)");
}

TEST(Stage1Test, ACapabilityCountShortOfTheKernelsFailsTheDrop) {
  if (!IsRoot()) GTEST_SKIP() << "needs root: maps uids";
  ASSERT_GT(static_cast<int>(cap_max_bits()), 1);
  // The last capability is left in the bounding set: the drop must say so
  // rather than go on to exec with it.
  ChildReport run = InNewNamespaces([](int) {
    Failure failure;
    if (DropToNobody(static_cast<int>(cap_max_bits()) - 1, &failure)) {
      return std::map<std::string, std::string>{{"ok", "yes"}};
    }
    return Failed(failure);
  });
  ASSERT_EQ(run.exit_code, 0);
  EXPECT_EQ(run.facts["ok"], "no");
  EXPECT_EQ(run.facts["stage"],
            std::to_string(static_cast<int>(util::SetupStage::kDropPrivileges)));
  EXPECT_EQ(run.facts["what"], "a capability past the count remains in the bounding set");
  // And no count at all is refused before anything is dropped.
  run = InNewNamespaces([](int) {
    Failure failure;
    if (DropToNobody(0, &failure)) return std::map<std::string, std::string>{{"ok", "yes"}};
    return Failed(failure);
  });
  ASSERT_EQ(run.exit_code, 0);
  EXPECT_EQ(run.facts["ok"], "no");
  EXPECT_EQ(run.facts["err"], std::to_string(EINVAL));
}

// The network namespace, made after the launcher's clone: a new one, with
// lo up, whose fd reaches the launcher's end of the socket with one byte.
TEST(Stage1Test, EntersANewNetworkWithLoUpAndHandsItToTheLauncher) {
  if (!IsRoot()) GTEST_SKIP() << "needs root: maps uids";
  ChildReport run = InNewNamespaces([](int) {
    std::map<std::string, std::string> facts;
    struct stat before, after;
    int sv[2];
    if (stat("/proc/self/ns/net", &before) != 0 ||
        socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
      return facts;
    }
    Failure failure;
    if (!EnterNewNetwork(/*loopback=*/true, sv[0], &failure)) return Failed(failure);
    if (stat("/proc/self/ns/net", &after) != 0) return facts;
    facts["new"] = before.st_ino != after.st_ino ? "yes" : "no";
    // What the launcher reads (boot::JoinSandboxNetwork).
    runsc::launcher::v1::NetworkNamespace packet;
    std::vector<util::UniqueFd> fds;
    const absl::Status received = util::RecvPacket(sv[1], &packet, &fds);
    facts["received"] = received.ok() ? absl::StrCat(fds.size(), " fd") : received.ToString();
    struct stat sent;
    facts["sent_is_it"] =
        fds.size() == 1 && fstat(fds[0].get(), &sent) == 0 && sent.st_ino == after.st_ino ? "yes"
                                                                                          : "no";
    struct ifreq ifr = {};
    strcpy(ifr.ifr_name, "lo");
    const int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    facts["lo_up"] = sock >= 0 && ioctl(sock, SIOCGIFFLAGS, &ifr) == 0 && (ifr.ifr_flags & IFF_UP)
                         ? "yes"
                         : "no";
    // A launcher that is gone: the failure names the step.
    close(sv[1]);
    Failure gone;
    facts["gone_ok"] = EnterNewNetwork(false, sv[0], &gone) ? "yes" : "no";
    facts["gone_stage"] = std::to_string(static_cast<int>(gone.stage));
    facts["gone_err"] = std::to_string(gone.err);
    facts["gone_what"] = gone.what;
    facts["ok"] = "yes";
    return facts;
  });
  ASSERT_EQ(run.exit_code, 0);
  auto& f = run.facts;
  ASSERT_EQ(f["ok"], "yes") << "stage " << f["stage"] << " errno " << f["err"] << ": " << f["what"];
  EXPECT_EQ(f["new"], "yes");
  EXPECT_EQ(f["received"], "1 fd");
  EXPECT_EQ(f["sent_is_it"], "yes");
  EXPECT_EQ(f["lo_up"], "yes");
  EXPECT_EQ(f["gone_ok"], "no");
  EXPECT_EQ(f["gone_stage"], std::to_string(static_cast<int>(util::SetupStage::kNetwork)));
  EXPECT_EQ(f["gone_err"], std::to_string(EPIPE));
  EXPECT_EQ(f["gone_what"], "send the network namespace to the launcher");
}

// Where the cgroup v1 hierarchy of `controller` is mounted, or "".
std::string V1Mount(const std::string& controller) {
  std::ifstream mountinfo("/proc/self/mountinfo");
  for (std::string line; std::getline(mountinfo, line);) {
    std::vector<std::string> f = absl::StrSplit(line, ' ');
    auto dash = std::find(f.begin(), f.end(), "-");
    if (dash == f.end() || dash + 3 >= f.end() || *(dash + 1) != "cgroup") continue;
    for (absl::string_view opt : absl::StrSplit(*(dash + 3), ',')) {
      if (opt == controller) return f[4];
    }
  }
  return "";
}

// This process's cgroup in the hierarchy of `controller`, as it sees it.
std::string OwnCgroup(const std::string& controller) {
  std::ifstream cgroup("/proc/self/cgroup");
  for (std::string line; std::getline(cgroup, line);) {
    std::vector<std::string> f = absl::StrSplit(line, absl::MaxSplits(':', 2));
    if (f.size() == 3 && f[1] == controller) return f[2];
  }
  return "none";
}

TEST(Stage1Test, MovesItselfIntoV1CgroupsAndRootsACgroupNamespaceThere) {
  if (!IsRoot()) GTEST_SKIP() << "needs root: makes cgroups";
  const std::string mount = V1Mount("pids");
  if (mount.empty()) GTEST_SKIP() << "no cgroup v1 pids hierarchy on this host (v1 only)";
  const std::string name = absl::StrCat("/stage1-test-", getpid());
  const std::string dir = mount + name;
  ASSERT_EQ(mkdir(dir.c_str(), 0755), 0) << dir;
  static std::string path;
  path = dir + "/tasks";
  static int tasks;
  tasks = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  ASSERT_GE(tasks, 0);
  ChildReport run = InNewNamespaces([](int) {
    Failure failure;
    const char* paths[] = {path.c_str()};
    std::map<std::string, std::string> facts;
    if (!MoveSelfIntoCgroups(&tasks, paths, 1, &failure)) return Failed(failure);
    facts["moved"] = OwnCgroup("pids");
    if (!NewCgroupNamespace(&failure)) return Failed(failure);
    facts["in_namespace"] = OwnCgroup("pids");
    facts["ok"] = "yes";
    return facts;
  });
  close(tasks);
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_EQ(run.facts["ok"], "yes") << run.facts["what"];
  EXPECT_TRUE(absl::EndsWith(run.facts["moved"], name)) << run.facts["moved"];
  EXPECT_EQ(run.facts["in_namespace"], "/");

  // A file it cannot write: the stage, the errno and the file.
  tasks = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(tasks, 0);
  run = InNewNamespaces([](int) {
    Failure failure;
    const char* paths[] = {path.c_str()};
    if (MoveSelfIntoCgroups(&tasks, paths, 1, &failure)) {
      return std::map<std::string, std::string>{{"ok", "yes"}};
    }
    return Failed(failure);
  });
  close(tasks);
  EXPECT_EQ(rmdir(dir.c_str()), 0) << dir;
  ASSERT_EQ(run.exit_code, 0);
  EXPECT_EQ(run.facts["ok"], "no");
  EXPECT_EQ(run.facts["stage"], std::to_string(static_cast<int>(util::SetupStage::kCgroup)));
  EXPECT_EQ(run.facts["err"], std::to_string(EBADF));
  EXPECT_EQ(run.facts["what"], absl::StrCat("write '0' to '", path, "'"));
}

}  // namespace
}  // namespace runsc::sandbox::stage1
