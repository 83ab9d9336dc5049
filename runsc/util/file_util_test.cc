#include "runsc/util/file_util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "runsc/util/errno_status.h"
#include "runsc/util/test_dirs.h"
#include "runsc/util/unique_fd.h"

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

TEST(WriteFileAtomicallyTest, CreatesThenReplacesAndLeavesNothingElse) {
  char dir[] = "/tmp/file_util_test-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string path = std::string(dir) + "/record";
  ASSERT_TRUE(WriteFileAtomically(path, "first", 0640).ok());
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  EXPECT_EQ(ReadFileOrEmpty(path), "first");
  // Over the file that is there (an exchange, then the old one unlinked):
  // a reader that had the old one open still reads it whole.
  UniqueFd old(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(old);
  ASSERT_TRUE(WriteFileAtomically(path, "second, longer").ok());
  EXPECT_EQ(ReadFileOrEmpty(path), "second, longer");
  char buf[16] = {};
  EXPECT_EQ(pread(old.get(), buf, sizeof(buf), 0), 5);
  EXPECT_EQ(std::string(buf), "first");
  EXPECT_EQ(ListDir(dir), std::vector<std::string>{"record"});
  ASSERT_EQ(system(absl::StrCat("rm -rf ", dir).c_str()), 0);
}

TEST(ReplaceFileTest, RenamesOntoNothingAndExchangesWithAFile) {
  char dir[] = "/tmp/file_util_test-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string a = std::string(dir) + "/a", b = std::string(dir) + "/b";
  ASSERT_TRUE(WriteFileAtomically(a, "new").ok());
  absl::StatusOr<bool> exchanged = ReplaceFile(a, b);
  ASSERT_TRUE(exchanged.ok()) << exchanged.status();
  EXPECT_FALSE(*exchanged);
  EXPECT_EQ(ReadFileOrEmpty(b), "new");
  EXPECT_EQ(ListDir(dir), std::vector<std::string>{"b"});
  ASSERT_TRUE(WriteFileAtomically(a, "newer").ok());
  exchanged = ReplaceFile(a, b);
  ASSERT_TRUE(exchanged.ok()) << exchanged.status();
  EXPECT_TRUE(*exchanged);
  EXPECT_EQ(ReadFileOrEmpty(b), "newer");
  EXPECT_EQ(ReadFileOrEmpty(a), "new");
  const std::string missing = std::string(dir) + "/missing";
  EXPECT_EQ(ErrnoOf(ReplaceFile(missing, b).status()), ENOENT);
  EXPECT_EQ(ReadFileOrEmpty(b), "newer");
  ASSERT_EQ(system(absl::StrCat("rm -rf ", dir).c_str()), 0);
}

TEST(WriteFileAtomicallyTest, ADirectoryThereStaysAndTheWriteFails) {
  char dir[] = "/tmp/file_util_test-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string path = std::string(dir) + "/taken";
  ASSERT_EQ(mkdir(path.c_str(), 0700), 0);
  ASSERT_TRUE(WriteFileAtomically(path + "/inside", "kept").ok());
  absl::Status status = WriteFileAtomically(path, "x");
  EXPECT_EQ(ErrnoOf(status), EISDIR) << status;
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(ReadFileOrEmpty(path + "/inside"), "kept");
  EXPECT_EQ(ListDir(dir), std::vector<std::string>{"taken"});
  ASSERT_EQ(system(absl::StrCat("rm -rf ", dir).c_str()), 0);
}

TEST(ReadRegularFileTest, ReadsAFileUpToItsBoundAndRefusesAnythingElse) {
  char dir[] = "/tmp/file_util_test-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string file = std::string(dir) + "/process.json";
  ASSERT_TRUE(WriteFileAtomically(file, "0123456789").ok());
  absl::StatusOr<std::string> read = ReadRegularFile(file, 10);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, "0123456789");
  read = ReadRegularFile(file, 9);
  EXPECT_EQ(read.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(read.status().message().find("is larger than 9 bytes"), std::string::npos);
  // Not waited on (a FIFO without a writer), nor read for ever (a device).
  const std::string fifo = std::string(dir) + "/fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  for (const std::string& path : {fifo, std::string("/dev/zero")}) {
    read = ReadRegularFile(path, 1 << 20);
    EXPECT_EQ(read.status().code(), absl::StatusCode::kInvalidArgument) << path;
    EXPECT_NE(read.status().message().find("is not a regular file"), std::string::npos);
  }
  // Pipes when asked for: read to the writer's end, within the bound.
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  UniqueFd pipe_r(fds[0]), pipe_w(fds[1]);
  ASSERT_EQ(write(pipe_w.get(), "piped", 5), 5);
  pipe_w.reset();
  read = ReadRegularFile(absl::StrCat("/proc/self/fd/", pipe_r.get()), 10, 0, true);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, "piped");
  EXPECT_FALSE(ReadRegularFile("/dev/zero", 10, 0, true).ok());
  const std::string link = std::string(dir) + "/link";
  ASSERT_EQ(symlink(file.c_str(), link.c_str()), 0);
  EXPECT_TRUE(ReadRegularFile(link, 10).ok());
  EXPECT_FALSE(ReadRegularFile(link, 10, O_NOFOLLOW).ok());
  ASSERT_EQ(system(absl::StrCat("rm -rf ", dir).c_str()), 0);
}

}  // namespace
}  // namespace runsc::util
