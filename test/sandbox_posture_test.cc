// Root tests: boot a real sandbox and look at it from the host. They assert
// the confinement that docs/architecture.md promises for the sandbox process.
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "sandbox/control_client.h"
#include "sandbox/sandbox.h"
#include "test/sandbox_test_util.h"

namespace runsc::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class SandboxPostureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sandbox::SandboxOptions options;
    options.id = "posture";
    options.state_root = root_.path();
    options.runsc_path = RunscPath();
    // A host fd without O_CLOEXEC: it must not leak into the sandbox.
    leaky_fd_ = open("/etc/hostname", O_RDONLY);
    ASSERT_GE(leaky_fd_, 0);
    auto created = sandbox::Sandbox::Create(options);
    ASSERT_TRUE(created.ok()) << created.status();
    sandbox_ = std::move(*created);
    proc_ = absl::StrCat("/proc/", sandbox_->pid());
  }

  void TearDown() override {
    if (sandbox_ != nullptr) {
      EXPECT_TRUE(sandbox_->Destroy().ok());
    }
    if (leaky_fd_ >= 0) close(leaky_fd_);
  }

  // Runs `probe` in a forked child that has joined the sandbox's namespace
  // of `type`; returns the child's exit code.
  int InNamespace(const char* type, int (*probe)()) {
    pid_t child = fork();
    if (child == 0) {
      int ns = open(absl::StrCat(proc_, "/ns/", type).c_str(), O_RDONLY | O_CLOEXEC);
      if (ns < 0 || setns(ns, 0) != 0) _exit(100);
      _exit(probe());
    }
    int status = 0;
    waitpid(child, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 200;
  }

  TempStateRoot root_;
  int leaky_fd_ = -1;
  std::unique_ptr<sandbox::Sandbox> sandbox_;
  std::string proc_;
};

TEST_F(SandboxPostureTest, RootHoldsOnlyProcAndRunscAndIsReadOnly) {
  EXPECT_THAT(ListDir(proc_ + "/root"), ElementsAre("proc", "runsc"));
  // cwd is that root.
  struct stat cwd, root;
  ASSERT_EQ(stat((proc_ + "/cwd").c_str(), &cwd), 0);
  ASSERT_EQ(stat((proc_ + "/root").c_str(), &root), 0);
  EXPECT_EQ(cwd.st_dev, root.st_dev);
  EXPECT_EQ(cwd.st_ino, root.st_ino);
  EXPECT_EQ(Readlink(proc_ + "/cwd"), "/");
  struct statvfs vfs;
  ASSERT_EQ(statvfs((proc_ + "/root").c_str(), &vfs), 0);
  EXPECT_TRUE(vfs.f_flag & ST_RDONLY);
  EXPECT_TRUE(vfs.f_flag & ST_NOSUID);
  EXPECT_TRUE(vfs.f_flag & ST_NODEV);
  EXPECT_TRUE(vfs.f_flag & ST_NOEXEC);
  // Exactly three mounts: the tmpfs root, proc and runsc, all read-only.
  std::vector<std::string> lines = absl::StrSplit(
      ReadFile(proc_ + "/mountinfo"), '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 3u) << ReadFile(proc_ + "/mountinfo");
  std::set<std::string> points;
  for (const std::string& line : lines) {
    std::vector<std::string> f = absl::StrSplit(line, ' ');
    points.insert(f[4]);
    EXPECT_TRUE(absl::StartsWith(f[5], "ro,")) << line;
  }
  EXPECT_EQ(points, (std::set<std::string>{"/", "/proc", "/runsc"}));
  // /runsc is this very binary.
  struct stat inside, outside;
  ASSERT_EQ(stat((proc_ + "/root/runsc").c_str(), &inside), 0);
  ASSERT_EQ(stat(RunscPath().c_str(), &outside), 0);
  EXPECT_EQ(inside.st_ino, outside.st_ino);
  EXPECT_EQ(inside.st_dev, outside.st_dev);
}

TEST_F(SandboxPostureTest, EveryThreadIsNobodyWithNoCapabilitiesUnderSeccomp) {
  // gRPC starts its threads with the first connection: they are born
  // confined too.
  EXPECT_EQ(ListDir(proc_ + "/task").size(), 1u) << "gRPC started before anyone dialled";
  ASSERT_TRUE(sandbox::ControlClient(sandbox_->control_socket_path()).Info().ok());
  std::vector<std::string> tasks = ListDir(proc_ + "/task");
  ASSERT_GE(tasks.size(), 2u) << "the gRPC server runs threads";
  for (const std::string& tid : tasks) {
    auto status = ParseStatus(ReadFile(proc_ + "/task/" + tid + "/status"));
    SCOPED_TRACE("thread " + tid);
    EXPECT_EQ(status["Uid"], "65534\t65534\t65534\t65534");
    EXPECT_EQ(status["Gid"], "65534\t65534\t65534\t65534");
    EXPECT_EQ(absl::StripAsciiWhitespace(status["Groups"]), "");
    for (const char* cap : {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"}) {
      EXPECT_EQ(status[cap], "0000000000000000") << cap;
    }
    EXPECT_EQ(status["NoNewPrivs"], "1");
    EXPECT_EQ(status["Seccomp"], "2");
  }
}

TEST_F(SandboxPostureTest, EveryNamespaceIsNewAndIdMapsAreRootToNobody) {
  for (const char* ns : {"mnt", "pid", "user", "ipc", "uts", "net", "cgroup"}) {
    std::string mine = Readlink(absl::StrCat("/proc/self/ns/", ns));
    std::string theirs = Readlink(absl::StrCat(proc_, "/ns/", ns));
    ASSERT_FALSE(theirs.empty()) << ns;
    EXPECT_NE(mine, theirs) << ns;
  }
  auto normalize = [](const std::string& map) {
    std::vector<std::string> lines;
    for (absl::string_view line : absl::StrSplit(map, '\n', absl::SkipEmpty())) {
      std::vector<absl::string_view> f =
          absl::StrSplit(line, ' ', absl::SkipEmpty());
      lines.push_back(absl::StrJoin(f, " "));
    }
    return lines;
  };
  EXPECT_THAT(normalize(ReadFile(proc_ + "/uid_map")),
              ElementsAre("0 65533 1", "65534 65534 1"));
  EXPECT_THAT(normalize(ReadFile(proc_ + "/gid_map")),
              ElementsAre("65534 65534 1"));
}

TEST_F(SandboxPostureTest, EnvironmentIsEmpty) {
  EXPECT_EQ(ReadFile(proc_ + "/environ"), "");
  EXPECT_EQ(ReadFile(proc_ + "/cmdline"), std::string("runsc\0boot\0", 11));
}

TEST_F(SandboxPostureTest, OpenFdsAreExactlyTheBootSet) {
  std::string log_target = Readlink(proc_ + "/fd/2");
  EXPECT_EQ(log_target, sandbox_->log_path());
  EXPECT_EQ(Readlink(proc_ + "/fd/0"), "/dev/null");
  EXPECT_EQ(Readlink(proc_ + "/fd/1"), sandbox_->log_path());
  EXPECT_THAT(Readlink(proc_ + "/fd/3"), ::testing::StartsWith("socket:["));
  for (const std::string& fd : ListDir(proc_ + "/fd")) {
    int n = std::stoi(fd);
    if (n <= 3) continue;
    // Beyond the boot fds only gRPC's own kernel objects and the stop
    // signals' signalfd: no file, no directory, no host fd; the config (4)
    // and sync (5) fds are closed.
    std::string target = Readlink(proc_ + "/fd/" + fd);
    EXPECT_TRUE(target == "anon_inode:[eventpoll]" ||
                target == "anon_inode:[eventfd]" ||
                target == "anon_inode:[signalfd]" ||
                absl::StartsWith(target, "socket:["))
        << "fd " << fd << " -> " << target;
    EXPECT_NE(target, Readlink(absl::StrCat("/proc/self/fd/", leaky_fd_)));
    EXPECT_NE(target, "/etc/hostname");
  }
  EXPECT_FALSE(access((proc_ + "/fd/4").c_str(), F_OK) == 0 &&
               absl::StartsWith(Readlink(proc_ + "/fd/4"), "/memfd:"));
}

TEST_F(SandboxPostureTest, ControlServiceAnswers) {
  sandbox::ControlClient client(sandbox_->control_socket_path());
  auto info = client.Info();
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->sandbox_id(), "posture");
  EXPECT_EQ(info->pid(), 1);
  EXPECT_EQ(info->uid(), 65534u);
  EXPECT_EQ(info->gid(), 65534u);
}

TEST_F(SandboxPostureTest, ControlSocketServesOnlyControl) {
  // Plugins that register themselves with every gRPC server of the binary
  // (reflection, for the daemon) are not the sandbox's to serve.
  std::shared_ptr<grpc::Channel> channel = grpc::CreateChannel(
      "unix:" + sandbox_->control_socket_path(), grpc::InsecureChannelCredentials());
  grpc::GenericStub stub(channel);
  for (const char* method : {"/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
                             "/grpc.health.v1.Health/Check"}) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    grpc::CompletionQueue cq;
    grpc::ByteBuffer request, response;
    grpc::Status status;
    std::unique_ptr<grpc::GenericClientAsyncResponseReader> call =
        stub.PrepareUnaryCall(&context, method, request, &cq);
    call->StartCall();
    call->Finish(&response, &status, reinterpret_cast<void*>(1));
    void* tag = nullptr;
    bool ok = false;
    ASSERT_TRUE(cq.Next(&tag, &ok));
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNIMPLEMENTED)
        << method << ": " << status.error_message();
  }
}

TEST_F(SandboxPostureTest, NetworkHasOnlyLoopbackAndItIsUp) {
  std::vector<std::string> ifaces;
  for (absl::string_view line :
       absl::StrSplit(ReadFile(proc_ + "/net/dev"), '\n', absl::SkipEmpty())) {
    size_t colon = line.find(':');
    if (colon == absl::string_view::npos) continue;
    ifaces.emplace_back(absl::StripAsciiWhitespace(line.substr(0, colon)));
  }
  EXPECT_THAT(ifaces, ElementsAre("lo"));
  EXPECT_EQ(InNamespace("net",
                        [] {
                          int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
                          struct ifreq ifr = {};
                          strcpy(ifr.ifr_name, "lo");
                          if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) != 0) return 2;
                          return (ifr.ifr_flags & IFF_UP) ? 0 : 1;
                        }),
            0);
}

TEST_F(SandboxPostureTest, HostnameIsTheSandboxId) {
  EXPECT_EQ(InNamespace("uts",
                        [] {
                          struct utsname u;
                          uname(&u);
                          return std::string(u.nodename) == "posture" ? 0 : 1;
                        }),
            0);
}

TEST_F(SandboxPostureTest, SigtermStopsTheSandboxGracefully) {
  ASSERT_TRUE(sandbox_->Signal(SIGTERM).ok());
  auto exit = sandbox_->Wait(absl::Seconds(10));
  ASSERT_TRUE(exit.ok()) << exit.status();
  EXPECT_FALSE(exit->signaled);
  EXPECT_EQ(exit->code, 0);
}

TEST_F(SandboxPostureTest, ShutdownRpcStopsTheSandboxWithoutWaitingForIdleClients) {
  sandbox::ControlClient client(sandbox_->control_socket_path());
  ASSERT_TRUE(client.Info().ok());
  ASSERT_TRUE(client.Shutdown().ok());
  // The client keeps its connection open. The server's grace period (2 s) is
  // for calls in flight, not idle connections: it must not be waited out.
  auto exit = sandbox_->Wait(absl::Seconds(1));
  ASSERT_TRUE(exit.ok()) << exit.status();
  EXPECT_EQ(exit->ShellCode(), 0);
}

}  // namespace
}  // namespace runsc::testing
