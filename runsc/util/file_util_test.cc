#include "runsc/util/file_util.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include <string>

#include "gtest/gtest.h"
#include "runsc/util/errno_status.h"

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

// Positioned reads and writes go on to the end and leave the offset alone;
// a read past the end of the file fails, naming what it read.
TEST(PositionedIoTest, ReadsAndWritesWholeAtAnOffset) {
  char path[] = "/tmp/file_util_test-XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  unlink(path);
  ASSERT_TRUE(PwriteAll(fd, "0123456789", 0, "the file").ok());
  ASSERT_TRUE(PwriteAll(fd, "abc", 4, "the file").ok());
  EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 0);
  char buf[10];
  ASSERT_TRUE(PreadAll(fd, buf, sizeof(buf), 0, "the file").ok());
  EXPECT_EQ(std::string(buf, sizeof(buf)), "0123abc789");
  ASSERT_TRUE(PreadAll(fd, buf, 3, 7, "the file").ok());
  EXPECT_EQ(std::string(buf, 3), "789");
  absl::Status past = PreadAll(fd, buf, 4, 7, "the file");
  EXPECT_EQ(ErrnoOf(past), EIO);
  EXPECT_NE(std::string(past.message()).find("read 'the file'"), std::string::npos)
      << past.message();
  close(fd);
}

}  // namespace
}  // namespace runsc::util
