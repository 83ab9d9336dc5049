#include "sandbox/container_files.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "runsc/util/test_dirs.h"
#include "runsc/util/unique_fd.h"

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

// Makes `levels` directories "d", each in the last, under `top`.
void MakeChain(const std::string& top, int levels) {
  util::UniqueFd dir(open(top.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  for (int i = 0; i < levels && dir; ++i) {
    ASSERT_EQ(mkdirat(dir.get(), "d", 0755), 0) << "level " << i;
    dir.reset(openat(dir.get(), "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  }
  ASSERT_TRUE(dir);
}

// Removes such a chain a level at a time from the top (a path to its
// bottom is longer than PATH_MAX): d/d moves up beside d, d goes.
void RemoveChain(const std::string& top) {
  util::UniqueFd dir(open(top.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  while (dir && renameat(dir.get(), "d/d", dir.get(), "next") == 0) {
    if (unlinkat(dir.get(), "d", AT_REMOVEDIR) != 0) break;
    if (renameat(dir.get(), "next", dir.get(), "d") != 0) break;
  }
  if (dir) unlinkat(dir.get(), "d", AT_REMOVEDIR);
}

// A workload's tree thousands of directories deep: a clear error, not a
// walk that runs the copying thread out of stack (or out of fds, which
// left the rest out without a word).
TEST(ContainerFilesTest, CopyOutRefusesATreeNestedTooDeep) {
  // As the daemon, which raises its own: the fds would not stop the walk.
  struct rlimit nofile;
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &nofile), 0);
  const struct rlimit saved = nofile;
  nofile.rlim_cur = nofile.rlim_max;
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &nofile), 0);
  util::TempDir tmp("runsc-copyout");
  MakeChain(tmp.path(), 3000);
  Child launcher;
  ASSERT_GT(launcher.pid(), 0);
  auto files = ContainerFiles::Open(getpid(), launcher.pid(), kIdentity);
  ASSERT_TRUE(files.ok()) << files.status();
  uint64_t bytes = 0;
  absl::Status copied =
      (*files)->CopyOut(absl::StrCat(tmp.path(), "/d"), [&](absl::string_view data) {
        bytes += data.size();
        return absl::OkStatus();
      });
  EXPECT_TRUE(absl::IsResourceExhausted(copied)) << copied;
  EXPECT_NE(copied.message().find("nested 256 directories deep"), std::string::npos) << copied;

  // Within the bound, the whole chain comes out: one header a directory.
  RemoveChain(tmp.path());
  MakeChain(tmp.path(), ContainerFiles::kMaxCopyOutDepth);
  std::string archive;
  copied = (*files)->CopyOut(absl::StrCat(tmp.path(), "/d"), [&](absl::string_view data) {
    archive.append(data.data(), data.size());
    return absl::OkStatus();
  });
  EXPECT_TRUE(copied.ok()) << copied;
  int directories = 0;
  for (size_t at = 0; at + 512 <= archive.size(); at += 512) {
    if (archive.compare(at + 257, 5, "ustar") == 0 && archive[at + 156] == '5') ++directories;
  }
  EXPECT_EQ(directories, ContainerFiles::kMaxCopyOutDepth);
  RemoveChain(tmp.path());
  setrlimit(RLIMIT_NOFILE, &saved);
}

}  // namespace
}  // namespace runsc::sandbox
