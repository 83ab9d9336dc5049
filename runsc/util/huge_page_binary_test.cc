// Root test: the copy of a binary onto a huge-page tmpfs, in a mount
// namespace of its own or in the caller's. Each case that mounts runs in a
// child in a mount namespace of the test's own, so nothing reaches the host.
#include "runsc/util/huge_page_binary.h"

#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <sstream>
#include <string>

#include "gtest/gtest.h"
#include "runsc/util/elf_test_util.h"
#include "runsc/util/file_util.h"
#include "runsc/util/unique_fd.h"

namespace runsc::util {
namespace {

class HugePageBinaryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/huge-page-binary-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
  }
  void TearDown() override {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  std::string dir_;
};

// One process per case: the install moves its caller into a new mount
// namespace, where the next install would find the mount point taken.
TEST_F(HugePageBinaryTest, TheCopyRunsOnHugePagesInAMountTheHostDoesNotSee) {
  if (ReadFileOrEmpty("/sys/kernel/mm/transparent_hugepage/shmem_enabled").find("[deny]") !=
          std::string::npos ||
      access("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size", R_OK) != 0) {
    GTEST_SKIP() << "this kernel gives tmpfs no huge pages (transparent_hugepage: deny or absent)";
  }
  const std::string mount_point = dir_ + "/bin";
  // A static binary that runs: its copy must too. And a large file whose
  // first 4 MiB load and whose last 3 do not.
  const std::string elf = WriteElf(dir_ + "/elf", 4 << 20, 3 << 20);
  int report[2];
  ASSERT_EQ(pipe2(report, O_CLOEXEC), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    absl::StatusOr<std::string> busybox =
        InstallOnHugePages("/bin/busybox", mount_point, HugePagePlace::kOwnNamespace);
    if (!busybox.ok()) {
      dprintf(report[1], "install: %s\n", std::string(busybox.status().message()).c_str());
      _exit(1);
    }
    // The mount is this namespace's, read-only, of huge pages.
    const std::string mounts = ReadFileOrEmpty("/proc/self/mountinfo");
    const bool here = mounts.find(" " + mount_point + " ") != std::string::npos;
    const bool huge = mounts.find("huge=always") != std::string::npos;
    UniqueFd write(open((mount_point + "/other").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
    dprintf(report[1], "mounted=%d huge=%d writable=%d errno=%d\n", here, huge, write ? 1 : 0,
            write ? 0 : errno);
    // It runs.
    const pid_t run = fork();
    if (run == 0) {
      dup2(report[1], 1);
      execl(busybox->c_str(), "busybox", "echo", "the copy runs", nullptr);
      _exit(127);
    }
    int status = 0;
    waitpid(run, &status, 0);
    _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 1);
  }
  close(report[1]);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  std::string out;
  char buf[512];
  for (ssize_t n; (n = read(report[0], buf, sizeof(buf))) > 0;) out.append(buf, n);
  close(report[0]);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << out;
  EXPECT_EQ(out, "mounted=1 huge=1 writable=0 errno=30\nthe copy runs\n");
  // Not in this process's namespace, the host's.
  EXPECT_EQ(ReadFileOrEmpty("/proc/self/mountinfo").find(" " + mount_point + " "),
            std::string::npos);

  // The large file: only its loaded part is copied, onto a 2 MiB page.
  const pid_t second = fork();
  ASSERT_GE(second, 0);
  if (second == 0) {
    absl::StatusOr<std::string> copy =
        InstallOnHugePages(elf, mount_point, HugePagePlace::kOwnNamespace);
    if (!copy.ok()) _exit(10);
    struct stat st;
    if (stat(copy->c_str(), &st) != 0 || st.st_size != (4 << 20)) _exit(11);
    UniqueFd fd(open(copy->c_str(), O_RDONLY | O_CLOEXEC));
    void* map = mmap(nullptr, 4 << 20, PROT_READ, MAP_SHARED, fd.get(), 0);
    if (map == MAP_FAILED) _exit(12);
    volatile char first = *static_cast<char*>(map);
    (void)first;
    // smaps: this mapping's PMD-mapped shmem.
    std::istringstream smaps(ReadFileOrEmpty("/proc/self/smaps"));
    char start[32];
    snprintf(start, sizeof(start), "%lx-", reinterpret_cast<unsigned long>(map));
    bool in_map = false;
    for (std::string line; std::getline(smaps, line);) {
      if (line.find('-') != std::string::npos && line.find(' ') != std::string::npos &&
          isxdigit(line[0])) {
        in_map = line.rfind(start, 0) == 0;
      }
      if (in_map && line.rfind("ShmemPmdMapped:", 0) == 0) {
        _exit(atol(line.c_str() + strlen("ShmemPmdMapped:")) >= 2048 ? 0 : 13);
      }
    }
    _exit(14);
  }
  ASSERT_EQ(waitpid(second, &status, 0), second);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0)
      << "10: install failed, 11: wrong size, 12: mmap, 13: not PMD-mapped, 14: no smaps entry";
}

// Runs `body` in a child, in a mount namespace of its own whose mounts are
// all private (so that its "host" mounts reach no one); returns what the
// body wrote to the fd it is given, and fails the test if it did not exit 0.
std::string InPrivateNamespace(const std::function<int(int out)>& body) {
  int report[2];
  EXPECT_EQ(pipe2(report, O_CLOEXEC), 0);
  const pid_t child = fork();
  if (child == 0) {
    if (unshare(CLONE_NEWNS) != 0 || mount(nullptr, "/", nullptr, MS_PRIVATE | MS_REC, nullptr)) {
      dprintf(report[1], "private namespace: errno %d\n", errno);
      _exit(100);
    }
    _exit(body(report[1]));
  }
  close(report[1]);
  std::string out;
  char buf[512];
  for (ssize_t n; (n = read(report[0], buf, sizeof(buf))) > 0;) out.append(buf, n);
  close(report[0]);
  int status = 0;
  EXPECT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << "exit " << (WIFEXITED(status) ? WEXITSTATUS(status) : -1) << ": " << out;
  return out;
}

int CountMounts(const std::string& mount_point) {
  std::istringstream mounts(ReadFileOrEmpty("/proc/self/mountinfo"));
  int n = 0;
  for (std::string line; std::getline(mounts, line);) {
    n += line.find(" " + mount_point + " ") != std::string::npos;
  }
  return n;
}

bool HugePagesForTmpfs() {
  return ReadFileOrEmpty("/sys/kernel/mm/transparent_hugepage/shmem_enabled").find("[deny]") ==
             std::string::npos &&
         access("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size", R_OK) == 0;
}

// Where a private root has the copy go: in the caller's namespace, where a
// later daemon's install replaces a dead one's mount rather than stacking
// on it, and DetachHugePages takes it off and removes the mount point.
TEST_F(HugePageBinaryTest, InTheHostNamespaceTheCopyReplacesALeftoverAndIsDetached) {
  if (!HugePagesForTmpfs()) {
    GTEST_SKIP() << "this kernel gives tmpfs no huge pages (transparent_hugepage: deny or absent)";
  }
  const std::string mount_point = dir_ + "/bin";
  const std::string out = InPrivateNamespace([&](int out) {
    absl::StatusOr<HugePagePlace> place = ChooseHugePagePlace(mount_point);
    if (!place.ok() || *place != HugePagePlace::kHostNamespace) return 1;
    for (int round = 0; round < 2; ++round) {  // the second finds the first's
      absl::StatusOr<std::string> copy =
          InstallOnHugePages("/bin/busybox", mount_point, HugePagePlace::kHostNamespace);
      if (!copy.ok()) {
        dprintf(out, "install: %s\n", std::string(copy.status().message()).c_str());
        return 2;
      }
      dprintf(out, "mounts=%d\n", CountMounts(mount_point));
      const pid_t run = fork();
      if (run == 0) {
        dup2(out, 1);
        execl(copy->c_str(), "busybox", "echo", "runs", nullptr);
        _exit(127);
      }
      int status = 0;
      waitpid(run, &status, 0);
    }
    const bool detached = DetachHugePages(mount_point);
    const int left = CountMounts(mount_point);
    const bool again = DetachHugePages(mount_point);
    dprintf(out, "detached=%d mounts=%d again=%d\n", detached, left, again);
    return access(mount_point.c_str(), F_OK) != 0 && errno == ENOENT ? 0 : 3;
  });
  EXPECT_EQ(out, "mounts=1\nruns\nmounts=1\nruns\ndetached=1 mounts=0 again=0\n");
}

// The choice: a namespace of the daemon's own where the root mount is
// shared; the host's where it is not and the state root's mount is not
// either; neither where the root is private and the state root's mount
// shared. The deepest mount holding a path decides, escapes and all.
TEST_F(HugePageBinaryTest, ThePlaceFollowsThePropagationOfTheRootAndTheStateRoot) {
  const std::string shared = dir_ + "/with space";
  const std::string out = InPrivateNamespace([&](int out) {
    if (mkdir(shared.c_str(), 0700) != 0 || mount("t", shared.c_str(), "tmpfs", 0, nullptr) != 0 ||
        mount(nullptr, shared.c_str(), nullptr, MS_SHARED, nullptr) != 0) {
      dprintf(out, "set-up: errno %d\n", errno);
      return 1;
    }
    auto place = [](const std::string& path) -> std::string {
      absl::StatusOr<HugePagePlace> p = ChooseHugePagePlace(path);
      if (!p.ok()) return absl::StatusCodeToString(p.status().code());
      return *p == HugePagePlace::kOwnNamespace ? "own" : "host";
    };
    dprintf(out, "root=%d state=%d private:%s shared:%s", RootMountIsShared(),
            MountIsShared(shared + "/x"), place(dir_ + "/bin").c_str(),
            place(shared + "/bin").c_str());
    if (mount(nullptr, "/", nullptr, MS_SHARED, nullptr) != 0) return 2;
    dprintf(out, " root shared:%s\n", place(dir_ + "/bin").c_str());
    return 0;
  });
  EXPECT_EQ(out, "root=0 state=1 private:host shared:FAILED_PRECONDITION root shared:own\n");
}

}  // namespace
}  // namespace runsc::util
