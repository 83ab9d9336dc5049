#include "sandbox/container_files.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gtest/gtest.h"

namespace runsc::sandbox {
namespace {

// A child that waits to be killed, reaped on scope exit.
class Child {
 public:
  Child() : pid_(fork()) {
    if (pid_ == 0) {
      pause();
      _exit(0);
    }
  }
  ~Child() {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_;
};

const specutils::WorkloadIds kIdentity = {{{0, 0, 65536}}, {{0, 0, 65536}}};

TEST(ContainerFilesTest, OpensTheRootOfTheSandboxsOwnChild) {
  Child launcher;
  ASSERT_GT(launcher.pid(), 0);
  auto files = ContainerFiles::Open(getpid(), launcher.pid(), kIdentity);
  EXPECT_TRUE(files.ok()) << files.status();
}

TEST(ContainerFilesTest, RefusesAPidThatIsNotTheSandboxsChild) {
  // As if the launcher had died and its pid gone to another process.
  Child other;
  auto files = ContainerFiles::Open(getppid(), other.pid(), kIdentity);
  EXPECT_TRUE(absl::IsUnavailable(files.status())) << files.status();
}

TEST(ContainerFilesTest, RefusesAContainerWhoseRootHasNoHostId) {
  Child launcher;
  ASSERT_GT(launcher.pid(), 0);
  auto files = ContainerFiles::Open(getpid(), launcher.pid(),
                                    specutils::WorkloadIds{{{1000, 300000, 10}}, {{0, 300000, 10}}});
  EXPECT_TRUE(absl::IsFailedPrecondition(files.status())) << files.status();
}

TEST(ContainerFilesTest, RefusesAPidThatIsGone) {
  pid_t gone;
  {
    Child dead;
    gone = dead.pid();
  }
  auto files = ContainerFiles::Open(getpid(), gone, kIdentity);
  EXPECT_FALSE(files.ok());
}

}  // namespace
}  // namespace runsc::sandbox
