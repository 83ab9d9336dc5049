// Root test: a user namespace is made with the maps asked for, from any
// thread, leaving no holder process and no fd behind; idmap user namespaces
// are made once per distinct mapping, the key ignores the order of the
// mapping's lines, and only the most recently used are kept.
#include "sandbox/userns_cache.h"

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "runsc/util/userns_holder.h"
#include "test/sandbox_test_util.h"

namespace runsc::testing {
namespace {

using specutils::IdMapping;

std::string NsInode(const util::UniqueFd& ns_fd) {
  // A namespace is identified by its inode.
  struct stat st;
  if (fstat(ns_fd.get(), &st) != 0) return "closed";
  return std::to_string(st.st_ino);
}

int OpenFdCount() {
  int count = 0;
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return -1;
  while (struct dirent* entry = readdir(dir)) {
    if (entry->d_name[0] != '.') ++count;
  }
  closedir(dir);
  return count - 1;  // the directory's own fd
}

// The map as seen from inside the namespace, as "inside host count" lines
// with single spaces (the kernel pads the columns).
std::string MapSeenInside(const util::UniqueFd& ns, const char* file) {
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) return "pipe failed";
  const pid_t pid = fork();
  if (pid == 0) {
    if (setns(ns.get(), CLONE_NEWUSER) != 0) _exit(1);
    const int fd = open(file, O_RDONLY);
    char buf[512];
    const ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf));
    if (n > 0 && write(out[1], buf, static_cast<size_t>(n)) != n) _exit(1);
    _exit(n > 0 ? 0 : 1);
  }
  close(out[1]);
  std::string raw;
  char buf[512];
  ssize_t n;
  while ((n = read(out[0], buf, sizeof(buf))) > 0) raw.append(buf, static_cast<size_t>(n));
  close(out[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return "child failed";
  std::istringstream in(raw);
  std::string line, words, a, b, c;
  while (in >> a >> b >> c) words += a + " " + b + " " + c + "\n";
  return words;
}

TEST(UserNamespaceTest, HasTheMapsAskedForAndLeavesNoHolderOrFdBehind) {
  const int fds_before = OpenFdCount();
  absl::StatusOr<util::UserNamespace> ns =
      util::MakeUserNamespace("0 2000000000 1000\n1000 2000001000 1000\n", "0 2000100000 65536\n");
  ASSERT_TRUE(ns.ok()) << ns.status();
  // The holder was let go: it exits on its own, and stays a child of ours
  // (a zombie) until it is reaped.
  siginfo_t info = {};
  ASSERT_EQ(waitid(P_ALL, 0, &info, WEXITED | WNOWAIT), 0);
  EXPECT_EQ(info.si_code, CLD_EXITED);
  ns->holder.Reap();
  EXPECT_EQ(OpenFdCount(), fds_before + 1) << "only the namespace's fd is new";
  int status;
  EXPECT_EQ(waitpid(-1, &status, WNOHANG), -1) << "the holder was reaped";
  EXPECT_EQ(errno, ECHILD);
  EXPECT_EQ(MapSeenInside(ns->fd, "/proc/self/uid_map"),
            "0 2000000000 1000\n1000 2000001000 1000\n");
  EXPECT_EQ(MapSeenInside(ns->fd, "/proc/self/gid_map"), "0 2000100000 65536\n");
  // A map the kernel refuses is an error, and still leaves no holder, at
  // once (it is let go before it is waited for).
  const absl::Time start = absl::Now();
  absl::StatusOr<util::UserNamespace> bad = util::MakeUserNamespace("0 1 1\n0 2 1\n", "0 0 1\n");
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  EXPECT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("uid_map"), absl::string_view::npos) << bad.status();
  EXPECT_EQ(waitpid(-1, &status, WNOHANG), -1);
  EXPECT_EQ(OpenFdCount(), fds_before + 1);
  // Destroying an unreaped holder reaps it.
  {
    absl::StatusOr<util::UserNamespace> dropped =
        util::MakeUserNamespace("0 2000000000 1\n", "0 2000000000 1\n");
    ASSERT_TRUE(dropped.ok()) << dropped.status();
  }
  EXPECT_EQ(waitpid(-1, &status, WNOHANG), -1);
  EXPECT_EQ(OpenFdCount(), fds_before + 1);
}

TEST(UserNamespaceTest, ManyThreadsAtOnceEachGetTheirOwn) {
  // The holder shares the caller's memory: calls from threads running side
  // by side must not disturb one another.
  constexpr int kThreads = 8, kEach = 10;
  absl::Mutex mu;
  std::set<ino_t> inodes;
  std::vector<util::UniqueFd> alive;  // a freed namespace's inode is reused
  int failures = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        const std::string map = "0 " + std::to_string(2000000000u + (t * kEach + i) * 65536u) +
                                " 65536\n";
        absl::StatusOr<util::UserNamespace> ns = util::MakeUserNamespace(map, map);
        struct stat st;
        absl::MutexLock lock(&mu);
        if (!ns.ok() || fstat(ns->fd.get(), &st) != 0) {
          ++failures;
          continue;
        }
        inodes.insert(st.st_ino);
        alive.push_back(std::move(ns->fd));
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(inodes.size(), static_cast<size_t>(kThreads * kEach));
}

TEST(UsernsCacheTest, OneNamespacePerMappingWhateverTheLineOrder) {
  sandbox::UsernsCache cache;
  std::vector<IdMapping> a = {{0, 2000000000u, 1000}, {1000, 2000001000u, 1000}};
  std::vector<IdMapping> a_reordered = {a[1], a[0]};
  std::vector<IdMapping> b = {{0, 2100000000u, 65536}};
  auto first = cache.Get(a, a);
  ASSERT_TRUE(first.ok()) << first.status();
  auto again = cache.Get(a_reordered, a_reordered);
  ASSERT_TRUE(again.ok());
  EXPECT_NE(first->get(), again->get()) << "each caller gets its own fd";
  EXPECT_EQ(NsInode(*first), NsInode(*again));
  EXPECT_EQ(cache.created(), 1);
  auto other = cache.Get(b, b);
  ASSERT_TRUE(other.ok());
  EXPECT_NE(NsInode(*first), NsInode(*other));
  EXPECT_EQ(cache.created(), 2);
  EXPECT_EQ(sandbox::UsernsCache::MappingKey(a, a),
            sandbox::UsernsCache::MappingKey(a_reordered, a_reordered));
  // Overlapping lines are refused before any namespace is made.
  EXPECT_FALSE(cache.Get({{0, 5, 10}, {5, 100, 10}}, b).ok());
  EXPECT_EQ(cache.created(), 2);
}

TEST(UsernsCacheTest, KeepsOnlyTheMostRecentlyUsedAndTheirFdsOutliveEviction) {
  sandbox::UsernsCache cache(2);
  std::vector<std::vector<IdMapping>> maps;
  for (uint32_t i = 0; i < 3; ++i) maps.push_back({{0, 2000000000u + i * 65536u, 65536}});
  auto a = cache.Get(maps[0], maps[0]);
  auto b = cache.Get(maps[1], maps[1]);
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE(cache.Get(maps[0], maps[0]).ok());  // a is now the newer
  auto c = cache.Get(maps[2], maps[2]);           // evicts b
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(cache.created(), 3);
  EXPECT_EQ(cache.size(), 2u);
  ASSERT_TRUE(cache.Get(maps[0], maps[0]).ok());
  EXPECT_EQ(cache.created(), 3) << "a was kept";
  auto b_again = cache.Get(maps[1], maps[1]);
  ASSERT_TRUE(b_again.ok());
  EXPECT_EQ(cache.created(), 4) << "b was evicted and made again";
  EXPECT_EQ(cache.size(), 2u);
  // The caller's fd of the evicted namespace still names it.
  EXPECT_NE(NsInode(*b), "closed");
  EXPECT_NE(NsInode(*b), NsInode(*b_again));
}

}  // namespace
}  // namespace runsc::testing
