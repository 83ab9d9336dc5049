// ProcTree on this test's own processes: children made by the main thread
// and by another, their pids, a zombie, and a tree two levels deep.
#include "sandbox/proc_tree.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runsc/util/out_of_fds.h"

namespace runsc::sandbox {
namespace {

using ::testing::Contains;

// A child that waits (for a signal) until killed.
pid_t Sleeper() {
  const pid_t pid = fork();
  if (pid == 0) {
    pause();
    _exit(0);
  }
  return pid;
}

void KillAndReap(pid_t pid) {
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
}

TEST(ProcTreeTest, ChildrenOfEveryThreadAndTheirPids) {
  const pid_t first = Sleeper();
  ASSERT_GT(first, 0);
  // A child of another thread hangs off that thread's own children file.
  pid_t second = 0;
  std::vector<pid_t> seen_meanwhile;
  std::thread worker([&second, &seen_meanwhile] {
    second = Sleeper();
    seen_meanwhile = ChildrenOf(getpid());
  });
  worker.join();
  ASSERT_GT(second, 0);
  EXPECT_THAT(seen_meanwhile, Contains(first));
  EXPECT_THAT(seen_meanwhile, Contains(second)) << "a child of another thread was not listed";
  // In this test's PID namespace, a child's innermost pid is its pid here.
  EXPECT_EQ(InnermostPid(first), first);
  EXPECT_EQ(InnermostPid(999999999), std::nullopt);
  EXPECT_THAT(ChildrenOf(999999999), ::testing::IsEmpty());
  for (pid_t pid : {first, second}) KillAndReap(pid);
}

TEST(ProcTreeTest, AChildIsLiveUntilItExits) {
  const pid_t child = Sleeper();
  ASSERT_GT(child, 0);
  EXPECT_TRUE(HasLiveChild(getpid(), child).value());
  EXPECT_FALSE(HasLiveChild(getpid(), child + 1000000).value());
  kill(child, SIGKILL);
  // A zombie until reaped: it has exited all the same.
  siginfo_t info = {};
  ASSERT_EQ(waitid(P_PID, child, &info, WEXITED | WNOWAIT), 0);
  EXPECT_FALSE(HasLiveChild(getpid(), child).value());
  ASSERT_EQ(waitpid(child, nullptr, 0), child);
  EXPECT_FALSE(HasLiveChild(getpid(), child).value());
}

// Out of fds, /proc cannot be read: an error, not "no such child" (which a
// container's status took for stopped, and a delete without --force for
// leave to kill it).
TEST(ProcTreeTest, AnUnreadableProcIsAnErrorNotNoChild) {
  const pid_t child = Sleeper();
  ASSERT_GT(child, 0);
  auto [live, out] = util::WithoutFds([&] { return HasLiveChild(getpid(), child); });
  auto [only, out_too] = util::WithoutFds([] { return OnlyChild(getpid()); });
  ASSERT_TRUE(out && out_too);
  EXPECT_FALSE(live.ok()) << "read as " << live.value();
  EXPECT_FALSE(only.ok());
  EXPECT_FALSE(absl::IsInternal(only.status())) << only.status();  // INTERNAL: "not one child"
  EXPECT_TRUE(HasLiveChild(getpid(), child).value());
  KillAndReap(child);
}

TEST(ProcTreeTest, OnlyChildAndDescendants) {
  // A child with one child of its own, then a second.
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  const pid_t parent = fork();
  ASSERT_GE(parent, 0);
  if (parent == 0) {
    const pid_t a = Sleeper();
    (void)!write(ready[1], &a, sizeof(a));
    pause();
    _exit(0);
  }
  pid_t grandchild = 0;
  ASSERT_EQ(read(ready[0], &grandchild, sizeof(grandchild)),
            static_cast<ssize_t>(sizeof(grandchild)));
  absl::StatusOr<pid_t> only = OnlyChild(parent);
  ASSERT_TRUE(only.ok()) << only.status();
  EXPECT_EQ(*only, grandchild);
  const std::map<int, pid_t> tree = DescendantsByPidInNamespaceOf(parent);
  EXPECT_EQ(tree.size(), 2u);
  EXPECT_EQ(tree.count(parent), 1u);
  EXPECT_EQ(tree.count(grandchild), 1u);
  // With no child, or two, OnlyChild says what it found.
  absl::StatusOr<pid_t> none = OnlyChild(grandchild);
  EXPECT_EQ(none.status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(std::string(none.status().message()), ::testing::HasSubstr("not one launcher"));
  KillAndReap(parent);  // the grandchild goes to the subreaper, or init
  kill(grandchild, SIGKILL);
  close(ready[0]);
  close(ready[1]);
}

// A descendant in a PID namespace of its own (a workload's nested runtime)
// is keyed by its pid in the root's namespace: by its own (1, 2, ...) it
// took the place of the container's processes of those pids.
TEST(ProcTreeTest, DescendantsInANestedPidNamespaceKeepTheirPidsInTheRoots) {
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  const pid_t parent = fork();
  ASSERT_GE(parent, 0);
  if (parent == 0) {
    pid_t pids[2] = {0, 0};
    if (unshare(CLONE_NEWPID) == 0) {
      pids[0] = fork();  // pid 1 of the new namespace
      if (pids[0] == 0) {
        if (Sleeper() < 0) _exit(1);
        pause();
        _exit(0);
      }
    }
    (void)!write(ready[1], pids, sizeof(pids));
    pause();
    _exit(0);
  }
  pid_t pids[2] = {0, 0};
  ASSERT_EQ(read(ready[0], pids, sizeof(pids)), static_cast<ssize_t>(sizeof(pids)));
  if (pids[0] <= 0) {
    KillAndReap(parent);
    GTEST_SKIP() << "no new PID namespace here (unshare(CLONE_NEWPID) refused)";
  }
  const pid_t nested_init = pids[0];
  EXPECT_EQ(PidAtDepth(nested_init, PidNamespaceDepth(parent) + 1), 1);
  std::map<int, pid_t> tree;
  for (int i = 0; i < 100 && tree.size() < 3; ++i) {
    tree = DescendantsByPidInNamespaceOf(parent);
    usleep(10000);
  }
  ASSERT_EQ(tree.size(), 3u);  // the parent, the nested init and its child
  EXPECT_EQ(tree.count(parent), 1u);
  EXPECT_EQ(tree.at(nested_init), nested_init);
  EXPECT_EQ(tree.count(1), 0u);
  kill(nested_init, SIGKILL);  // its namespace's init: the rest goes with it
  KillAndReap(parent);
  close(ready[0]);
  close(ready[1]);
}

}  // namespace
}  // namespace runsc::sandbox
