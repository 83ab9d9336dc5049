#include "boot/process_list.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace runsc::boot {
namespace {

TEST(BoundedProcessListTest, ASmallListIsKeptWhole) {
  std::vector<ListedProcess> in = {{9, false, {"sh", "-c", "sleep 1"}}, {2, true, {"init"}}};
  runsc::launcher::v1::ProcessList list = BoundedProcessList(in, 64 * 1024);
  ASSERT_EQ(list.processes_size(), 2);
  EXPECT_EQ(list.processes(0).pid(), 2);  // in pid order
  EXPECT_TRUE(list.processes(0).main());
  EXPECT_EQ(list.processes(0).args(0), "init");
  EXPECT_EQ(list.processes(1).args_size(), 3);
  EXPECT_EQ(list.processes(1).args(2), "sleep 1");
}

TEST(BoundedProcessListTest, AHugeCommandLineIsCutAndTheRestKept) {
  std::vector<ListedProcess> in = {{2, false, {"sh", "-c", std::string(2 << 20, 'x'), "tail"}},
                                   {3, false, {"sleep", "5"}}};
  size_t left_out = 99;
  runsc::launcher::v1::ProcessList list = BoundedProcessList(in, 64 * 1024, &left_out);
  EXPECT_EQ(left_out, 0u);
  ASSERT_EQ(list.processes_size(), 2);
  const auto& cut = list.processes(0);
  ASSERT_EQ(cut.args_size(), 3);  // "tail" no longer fits
  EXPECT_EQ(cut.args(1), "-c");
  EXPECT_LE(cut.args(2).size(), kMaxListedArgsBytes);
  EXPECT_EQ(cut.args(2).substr(cut.args(2).size() - 3), "...");
  EXPECT_EQ(list.processes(1).args(1), "5");
  EXPECT_LE(list.ByteSizeLong(), 64u * 1024);
}

TEST(BoundedProcessListTest, ManyLongCommandLinesAllFitTheBudget) {
  std::vector<ListedProcess> in;
  for (int pid = 2; pid < 1002; ++pid) {
    in.push_back({pid, false, {"worker", std::string(1000, 'a' + pid % 26)}});
  }
  for (size_t budget : {size_t{64 * 1024}, size_t{48 * 1024}, size_t{20000}}) {
    size_t left_out = 99;
    runsc::launcher::v1::ProcessList list = BoundedProcessList(in, budget, &left_out);
    EXPECT_EQ(left_out, 0u) << budget;
    ASSERT_EQ(list.processes_size(), 1000) << budget;
    EXPECT_LE(list.ByteSizeLong(), budget);
    EXPECT_EQ(list.processes(999).pid(), 1001);
    if (budget >= 48 * 1024) {
      // Room for a few dozen bytes each: every one keeps its name.
      for (const auto& p : list.processes()) ASSERT_EQ(p.args(0), "worker") << budget;
    }
  }
}

TEST(BoundedProcessListTest, MoreProcessesThanPidsFitEndTheListEarly) {
  std::vector<ListedProcess> in;
  for (int pid = 2; pid < 10002; ++pid) in.push_back({pid, false, {"x"}});
  size_t left_out = 0;
  runsc::launcher::v1::ProcessList list = BoundedProcessList(in, 16 * 1024, &left_out);
  EXPECT_GT(list.processes_size(), 0);
  EXPECT_EQ(static_cast<size_t>(list.processes_size()) + left_out, in.size());
  EXPECT_LE(list.ByteSizeLong(), 16u * 1024);
  EXPECT_EQ(list.processes(0).pid(), 2);  // the lowest pids are kept
}

}  // namespace
}  // namespace runsc::boot
