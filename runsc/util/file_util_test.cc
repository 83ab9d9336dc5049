#include "runsc/util/file_util.h"

#include <unistd.h>

#include <string>

#include "gtest/gtest.h"

namespace runsc::util {
namespace {

TEST(ProcStatusFieldTest, ReadsOneFieldOfAProcess) {
  EXPECT_EQ(ProcStatusField(getpid(), "PPid"), std::to_string(getppid()));
  EXPECT_EQ(ProcStatusField(getpid(), "Pid"), std::to_string(getpid()));
}

TEST(ProcStatusFieldTest, NamesMatchWholeAndMissingOnesAreEmpty) {
  EXPECT_EQ(ProcStatusField(getpid(), "PPi"), "");  // not a prefix match of PPid
  EXPECT_EQ(ProcStatusField(getpid(), "NoSuchField"), "");
  EXPECT_EQ(ProcStatusField(-1, "Pid"), "");
}

}  // namespace
}  // namespace runsc::util
