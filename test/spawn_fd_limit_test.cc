// Root test, in a process of its own: it lowers and raises this process's
// fd limit as the daemon does (util::RaiseFdLimit), which lasts for the
// process.
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runsc/util/fd_limit.h"
#include "runsc/util/file_util.h"
#include "sandbox/sandbox.h"
#include "test/sandbox_test_util.h"

namespace runsc::testing {
namespace {

TEST(SpawnFdLimitTest, ASpawnerHoldingMoreFdsThanTheSandboxesLimitStillStartsOne) {
  // A daemon with many sandboxes holds more fds than the soft limit it
  // found, which the spawner gives back to each sandbox. Stage 1 makes fds
  // of its own after that: it must not need a free number under the lower
  // limit among the daemon's.
  struct rlimit limit;
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &limit), 0);
  ASSERT_GE(limit.rlim_max, 1024u) << "the hard fd limit is too low for this test";
  limit.rlim_cur = 256;
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &limit), 0);
  ASSERT_TRUE(util::RaiseFdLimit().ok());
  ASSERT_EQ(util::InheritedFdSoftLimit(), 256u);
  std::vector<int> held;
  // Every number under the sandboxes' limit, and some above.
  while (held.empty() || held.back() < 300) {
    const int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    held.push_back(fd);
  }

  TempStateRoot root;
  sandbox::SandboxOptions options;
  options.id = "manyfds";
  options.state_root = root.path();
  options.runsc_path = RunscPath();
  auto box = sandbox::Sandbox::Create(options);
  ASSERT_TRUE(box.ok()) << box.status();
  // The supervisor, which holds a connection for each run or exec under
  // way, raised its own soft limit to the hard one (its workloads keep the
  // one the daemon found: daemon_test).
  EXPECT_EQ(util::ProcStatusField((*box)->pid(), "Name"), "runsc");
  const std::string limits = ReadFile(absl::StrCat("/proc/", (*box)->pid(), "/limits"));
  EXPECT_THAT(limits, ::testing::ContainsRegex(absl::StrCat("Max open files +", limit.rlim_max,
                                                            " +", limit.rlim_max, " ")));
  EXPECT_TRUE((*box)->Destroy().ok());
  for (int fd : held) close(fd);
}

}  // namespace
}  // namespace runsc::testing
