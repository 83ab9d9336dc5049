#include "boot/process_list.h"

#include <fcntl.h>
#include <unistd.h>

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

// A list must parse on the supervisor's side, where a protobuf string has
// to be UTF-8: arguments that are not are mended, and a cut never splits a
// character.
TEST(BoundedProcessListTest, ArgumentsAreWellFormedUtf8HoweverTheyCameAndWereCut) {
  EXPECT_EQ(WellFormedUtf8("caf\xc3\xa9"), "caf\xc3\xa9");
  EXPECT_EQ(WellFormedUtf8("Latin-1 caf\xe9!"), "Latin-1 caf?!");
  EXPECT_EQ(WellFormedUtf8("\xe6\x97"), "??");  // a character cut short
  std::string cjk;
  for (int i = 0; i < 3000; ++i) cjk += "\xe6\x97\xa5";  // 9000 bytes of U+65E5
  std::vector<ListedProcess> in = {{2, false, {"echo", cjk, "caf\xe9"}}};
  for (size_t budget : {size_t{64 * 1024}, size_t{1000}, size_t{1001}, size_t{1002}}) {
    runsc::launcher::v1::ProcessList list = BoundedProcessList(in, budget);
    ASSERT_EQ(list.processes_size(), 1);
    const auto& p = list.processes(0);
    ASSERT_EQ(p.args_size(), 2) << budget;
    EXPECT_EQ(p.args(1).substr(p.args(1).size() - 3), "...");
    EXPECT_EQ((p.args(1).size() - 3) % 3, 0u) << "a character was split at budget " << budget;
    std::string wire;
    ASSERT_TRUE(list.SerializeToString(&wire));
    runsc::launcher::v1::ProcessList back;
    EXPECT_TRUE(back.ParseFromString(wire)) << budget;
  }
  // Not cut, but not UTF-8: mended, and so the list parses.
  runsc::launcher::v1::ProcessList small = BoundedProcessList({{3, false, {"caf\xe9"}}}, 4096);
  ASSERT_EQ(small.processes(0).args(0), "caf?");
  std::string wire;
  ASSERT_TRUE(small.SerializeToString(&wire));
  runsc::launcher::v1::ProcessList back;
  EXPECT_TRUE(back.ParseFromString(wire));
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

TEST(ReadCommandLineTest, ReadsAProcesssArgumentsUpToTheBound) {
  const int proc = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(proc, 0);
  std::vector<std::string> args = ReadCommandLine(proc, getpid(), 4096);
  ASSERT_FALSE(args.empty());
  EXPECT_NE(args[0].find("process_list_test"), std::string::npos) << args[0];
  // Cut at the bound, mid-argument.
  args = ReadCommandLine(proc, getpid(), 3);
  ASSERT_EQ(args.size(), 1u);
  EXPECT_EQ(args[0].size(), 3u);
  EXPECT_TRUE(ReadCommandLine(proc, 999999999, 4096).empty());  // no such process
  close(proc);
}

}  // namespace
}  // namespace runsc::boot
