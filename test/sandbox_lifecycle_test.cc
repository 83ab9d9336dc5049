// Root tests of the sandbox's lifetime: teardown leaves nothing behind, and
// setup failures come back as clear errors naming the stage.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sandbox/control_client.h"
#include "sandbox/sandbox.h"
#include "test/sandbox_test_util.h"

namespace runsc::testing {
namespace {

using ::testing::HasSubstr;

sandbox::SandboxOptions Options(const TempStateRoot& root, const std::string& id) {
  sandbox::SandboxOptions options;
  options.id = id;
  options.state_root = root.path();
  options.runsc_path = RunscPath();
  return options;
}

bool ProcessExists(pid_t pid) { return kill(pid, 0) == 0 || errno != ESRCH; }

TEST(SandboxLifecycleTest, DestroyLeavesNothingBehind) {
  TempStateRoot root;
  const std::vector<std::string> mounts_before = HostMountPoints();
  auto sandbox = sandbox::Sandbox::Create(Options(root, "teardown"));
  ASSERT_TRUE(sandbox.ok()) << sandbox.status();
  const pid_t pid = (*sandbox)->pid();
  const std::string dir = (*sandbox)->state_dir();
  std::vector<std::string> threads = ListDir(absl::StrCat("/proc/", pid, "/task"));
  ASSERT_FALSE(threads.empty());
  EXPECT_TRUE(ProcessExists(pid));
  // Nothing the sandbox mounted is visible on the host, even while it runs.
  EXPECT_EQ(HostMountPoints(), mounts_before);

  ASSERT_TRUE((*sandbox)->Destroy().ok());
  EXPECT_FALSE(ProcessExists(pid));
  for (const std::string& tid : threads) {
    EXPECT_FALSE(ProcessExists(std::stoi(tid))) << "thread " << tid;
  }
  struct stat st;
  EXPECT_NE(stat(dir.c_str(), &st), 0) << dir << " still exists";
  EXPECT_TRUE(ListDir(root.path()).empty());
  EXPECT_EQ(HostMountPoints(), mounts_before);
}

TEST(SandboxLifecycleTest, DestructorKillsAndCleansUp) {
  TempStateRoot root;
  pid_t pid;
  {
    auto sandbox = sandbox::Sandbox::Create(Options(root, "scoped"));
    ASSERT_TRUE(sandbox.ok()) << sandbox.status();
    pid = (*sandbox)->pid();
  }
  EXPECT_FALSE(ProcessExists(pid));
  EXPECT_TRUE(ListDir(root.path()).empty());
}

TEST(SandboxLifecycleTest, BadRootMountFailsNamingTheStage) {
  TempStateRoot root;
  sandbox::SandboxOptions options = Options(root, "badmount");
  options.root_tmpfs_size = "bogus";  // tmpfs rejects it: a bad mount
  auto sandbox = sandbox::Sandbox::Create(options);
  ASSERT_FALSE(sandbox.ok());
  EXPECT_EQ(sandbox.status().code(), absl::StatusCode::kInvalidArgument);
  std::string message(sandbox.status().message());
  EXPECT_THAT(message, HasSubstr("sandbox 'badmount'"));
  EXPECT_THAT(message, HasSubstr("stage 'root-tmpfs'"));
  EXPECT_THAT(message, HasSubstr("EINVAL"));
  EXPECT_THAT(message, HasSubstr("size='bogus'"));
  EXPECT_TRUE(ListDir(root.path()).empty()) << "state dir left behind";
}

TEST(SandboxLifecycleTest, MissingBinaryFailsClearly) {
  TempStateRoot root;
  sandbox::SandboxOptions options = Options(root, "nobinary");
  options.runsc_path = "/nonexistent/runsc";
  auto sandbox = sandbox::Sandbox::Create(options);
  ASSERT_FALSE(sandbox.ok());
  EXPECT_EQ(sandbox.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(sandbox.status().message()),
              HasSubstr("/nonexistent/runsc"));
  EXPECT_TRUE(ListDir(root.path()).empty());
}

TEST(SandboxLifecycleTest, BinaryTheKernelCannotRunFailsAtReexecNamingTheCall) {
  // Executable but no program: the check before the clone passes, stage 1
  // (on the spawner's memory, raw system calls only) binds it at /runsc,
  // and its exec fails and must be reported.
  TempStateRoot root;
  const std::string fake = root.path() + "/not-a-program";
  {
    FILE* f = fopen(fake.c_str(), "w");
    ASSERT_NE(f, nullptr);
    fputs("not an executable format\n", f);
    fclose(f);
  }
  ASSERT_EQ(chmod(fake.c_str(), 0755), 0);
  sandbox::SandboxOptions options = Options(root, "notelf");
  options.runsc_path = fake;
  auto sandbox = sandbox::Sandbox::Create(options);
  ASSERT_FALSE(sandbox.ok());
  const std::string message(sandbox.status().message());
  EXPECT_THAT(message, HasSubstr("stage 're-exec'"));
  EXPECT_THAT(message, HasSubstr("ENOEXEC"));
  EXPECT_THAT(message, HasSubstr("execve '/runsc boot'"));
  ASSERT_EQ(unlink(fake.c_str()), 0);
  EXPECT_TRUE(ListDir(root.path()).empty()) << "state dir left behind";
}

// A runsc of another build at runsc_path (test/old_boot.cc: its ready
// predates the boot protocol's number) could skip a step of the
// confinement that this build's stage 1 leaves to it, such as joining the
// network namespace: it is refused, killed, and leaves nothing.
TEST(SandboxLifecycleTest, ARunscOfAnotherBuildIsRefusedAtReady) {
  TempStateRoot root;
  sandbox::SandboxOptions options = Options(root, "otherbuild");
  options.runsc_path = "test/old_boot";
  auto sandbox = sandbox::Sandbox::Create(options);
  ASSERT_FALSE(sandbox.ok());
  EXPECT_EQ(sandbox.status().code(), absl::StatusCode::kFailedPrecondition);
  const std::string message(sandbox.status().message());
  EXPECT_THAT(message, HasSubstr("is from another build"));
  EXPECT_THAT(message, HasSubstr("'serving'"));
  EXPECT_THAT(message, HasSubstr("test/old_boot"));
  EXPECT_TRUE(ListDir(root.path()).empty()) << "state dir left behind";
}

TEST(SandboxLifecycleTest, DuplicateIdIsAlreadyExists) {
  TempStateRoot root;
  auto first = sandbox::Sandbox::Create(Options(root, "twin"));
  ASSERT_TRUE(first.ok()) << first.status();
  auto second = sandbox::Sandbox::Create(Options(root, "twin"));
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(std::string(second.status().message()), HasSubstr("'twin'"));
  // The failed attempt did not disturb the first sandbox.
  sandbox::ControlClient client((*first)->control_socket_path());
  EXPECT_TRUE(client.Info().ok());
}

TEST(SandboxLifecycleTest, InvalidIdIsInvalidArgument) {
  TempStateRoot root;
  auto sandbox = sandbox::Sandbox::Create(Options(root, "../escape"));
  ASSERT_FALSE(sandbox.ok());
  EXPECT_EQ(sandbox.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(sandbox.status().message()), HasSubstr("id:"));
}

TEST(SandboxLifecycleTest, KilledSandboxReportsSignal) {
  TempStateRoot root;
  auto sandbox = sandbox::Sandbox::Create(Options(root, "killed"));
  ASSERT_TRUE(sandbox.ok()) << sandbox.status();
  ASSERT_TRUE((*sandbox)->Signal(SIGKILL).ok());
  auto exit = (*sandbox)->Wait(absl::Seconds(10));
  ASSERT_TRUE(exit.ok()) << exit.status();
  EXPECT_TRUE(exit->signaled);
  EXPECT_EQ(exit->ShellCode(), 137);
  EXPECT_TRUE((*sandbox)->Destroy().ok());
  EXPECT_TRUE(ListDir(root.path()).empty());
}

TEST(SandboxLifecycleTest, ManySandboxesRunSideBySide) {
  TempStateRoot root;
  std::vector<std::unique_ptr<sandbox::Sandbox>> boxes;
  for (int i = 0; i < 10; ++i) {
    auto sandbox = sandbox::Sandbox::Create(Options(root, absl::StrCat("box", i)));
    ASSERT_TRUE(sandbox.ok()) << sandbox.status();
    boxes.push_back(std::move(*sandbox));
  }
  for (auto& box : boxes) {
    sandbox::ControlClient client(box->control_socket_path());
    auto info = client.Info();
    ASSERT_TRUE(info.ok()) << info.status();
    EXPECT_EQ(info->sandbox_id(), box->id());
  }
  boxes.clear();
  EXPECT_TRUE(ListDir(root.path()).empty());
}

}  // namespace
}  // namespace runsc::testing
