// ProcTree on this test's own processes: children made by the main thread
// and by another, their pids, a zombie, and a tree two levels deep.
#include "sandbox/proc_tree.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

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
  EXPECT_TRUE(HasLiveChild(getpid(), child));
  EXPECT_FALSE(HasLiveChild(getpid(), child + 1000000));
  kill(child, SIGKILL);
  // A zombie until reaped: it has exited all the same.
  siginfo_t info = {};
  ASSERT_EQ(waitid(P_PID, child, &info, WEXITED | WNOWAIT), 0);
  EXPECT_FALSE(HasLiveChild(getpid(), child));
  ASSERT_EQ(waitpid(child, nullptr, 0), child);
  EXPECT_FALSE(HasLiveChild(getpid(), child));
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
  const std::map<int, pid_t> tree = DescendantsByInnermostPid(parent);
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

}  // namespace
}  // namespace runsc::sandbox
