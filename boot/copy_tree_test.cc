#include "boot/copy_tree.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runsc/util/test_dirs.h"
#include "runsc/util/unique_fd.h"

namespace runsc::boot {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using util::ListDir;
using util::TempDir;
using util::UniqueFd;

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

absl::Status Copy(const std::string& from, const std::string& to) {
  UniqueFd f(open(from.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  UniqueFd t(open(to.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  return CopyTree(f.get(), t.get(), "/covered");
}

TEST(CopyTreeTest, CopiesFilesDirectoriesLinksAndFifosWithTheirModesAndTimes) {
  TempDir from, to;
  const std::string s = from.path();
  ASSERT_EQ(mkdir((s + "/dir").c_str(), 0750), 0);
  std::ofstream(s + "/dir/file") << "content";
  ASSERT_EQ(chmod((s + "/dir/file").c_str(), 04741), 0);
  const struct timespec old[2] = {{1000000, 0}, {2000000, 0}};
  ASSERT_EQ(utimensat(AT_FDCWD, (s + "/dir/file").c_str(), old, 0), 0);
  ASSERT_EQ(symlink("dir/file", (s + "/link").c_str()), 0);
  ASSERT_EQ(symlink("/etc/passwd", (s + "/outside").c_str()), 0);
  ASSERT_EQ(mkfifo((s + "/fifo").c_str(), 0600), 0);
  ASSERT_EQ(chmod((s + "/fifo").c_str(), 0620), 0);  // past the umask
  // A read-only directory is filled before it is made read-only.
  ASSERT_EQ(mkdir((s + "/locked").c_str(), 0700), 0);
  std::ofstream(s + "/locked/inside") << "in";
  ASSERT_EQ(chmod((s + "/locked").c_str(), 0500), 0);

  ASSERT_TRUE(Copy(s, to.path()).ok());
  const std::string d = to.path();
  EXPECT_THAT(ListDir(d), ElementsAre("dir", "fifo", "link", "locked", "outside"));
  EXPECT_EQ(Read(d + "/dir/file"), "content");
  struct stat st;
  ASSERT_EQ(stat((d + "/dir").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0750u);
  ASSERT_EQ(stat((d + "/dir/file").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 04741u);
  EXPECT_EQ(st.st_mtim.tv_sec, 2000000);
  // Links are copied as links, never followed.
  ASSERT_EQ(lstat((d + "/outside").c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  char target[64] = {};
  ASSERT_GT(readlink((d + "/link").c_str(), target, sizeof(target) - 1), 0);
  EXPECT_STREQ(target, "dir/file");
  ASSERT_EQ(lstat((d + "/fifo").c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0620u);
  EXPECT_EQ(Read(d + "/locked/inside"), "in");
  ASSERT_EQ(stat((d + "/locked").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0500u);
  chmod((s + "/locked").c_str(), 0700);  // so that the TempDirs can go
  chmod((d + "/locked").c_str(), 0700);
}

TEST(CopyTreeTest, ATreeTooDeepIsAnErrorNamingIt) {
  TempDir from, to;
  std::string dir = from.path();
  for (int i = 0; i <= kMaxCopyDepth + 1; ++i) {
    dir += "/d";
    ASSERT_EQ(mkdir(dir.c_str(), 0755), 0);
  }
  absl::Status copied = Copy(from.path(), to.path());
  EXPECT_EQ(copied.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(copied.message()), HasSubstr("'/covered/d/d/d"));
  EXPECT_THAT(std::string(copied.message()), HasSubstr("more than 128 directories deep"));
}

}  // namespace
}  // namespace runsc::boot
