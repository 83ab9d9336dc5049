#include "runsc/util/fd_limit.h"

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gtest/gtest.h"

namespace runsc::util {
namespace {

TEST(FdLimitTest, RaisesTheSoftLimitAndRemembersTheOldOne) {
  // In a child, so the test process keeps its own limit.
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0) _exit(10);
    if (limit.rlim_max < 64) _exit(11);
    if (InheritedFdSoftLimit() != RLIM_INFINITY) _exit(12);  // not raised yet
    limit.rlim_cur = limit.rlim_max / 2;
    if (setrlimit(RLIMIT_NOFILE, &limit) != 0) _exit(13);
    const rlim_t before = limit.rlim_cur;
    if (!RaiseFdLimit().ok()) _exit(14);
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0) _exit(15);
    if (limit.rlim_cur != limit.rlim_max) _exit(16);
    if (InheritedFdSoftLimit() != before) _exit(17);
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace runsc::util
