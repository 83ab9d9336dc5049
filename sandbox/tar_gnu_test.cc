// The tar reader and writer against GNU tar, both ways.
#include "sandbox/tar.h"

#include "gtest/gtest.h"
#include "sandbox/tar_test_util.h"

namespace runsc::sandbox::tar_test {
namespace {

// GNU tar interoperability.

void WriteFile(const std::string& path, const std::string& data, mode_t mode) {
  std::ofstream(path, std::ios::binary) << data;
  ASSERT_EQ(chmod(path.c_str(), mode), 0) << path;
}

void SetMtime(const std::string& path) {
  const struct timespec times[2] = {{kMtime, 0}, {kMtime, 0}};
  ASSERT_EQ(utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW), 0)
      << path;
}

// Makes a tree under `dir`; returns what reading `tar -C dir -c .` must give,
// in path order.
std::vector<Item> MakeTree(const std::string& dir, bool ustar_only) {
  std::vector<Item> want = {
      File("file.txt", "hello\n", 0640),
      File("empty", "", 0600),
      File("big", RandomBytes((1 << 20) + 3, 6), 0755),
      Dir("sub", 0750),
      Symlink("sub/link", "../file.txt"),
      Symlink("abs", "/etc/passwd"),
      Dir("long", 0755),
      Dir("long/" + std::string(60, 'x'), 0755),
      File("long/" + std::string(60, 'x') + "/" + std::string(60, 'y'),
           "prefix", 0644),
  };
  if (!ustar_only) want.push_back(File(std::string(150, 'z'), "gnu", 0644));
  for (const Item& it : want) {
    const std::string path = dir + "/" + it.entry.path;
    switch (it.entry.type) {
      case Type::kFile:
        WriteFile(path, it.data, it.entry.mode);
        break;
      case Type::kDirectory:
        EXPECT_EQ(mkdir(path.c_str(), it.entry.mode), 0) << path;
        EXPECT_EQ(chmod(path.c_str(), it.entry.mode), 0) << path;
        break;
      case Type::kSymlink:
        EXPECT_EQ(symlink(it.entry.link_target.c_str(), path.c_str()), 0);
        break;
    }
  }
  // Directory mtimes last: creating their children changed them.
  for (auto it = want.rbegin(); it != want.rend(); ++it) {
    SetMtime(dir + "/" + it->entry.path);
    it->entry.uid = getuid();
    it->entry.gid = getgid();
  }
  std::sort(want.begin(), want.end(), [](const Item& a, const Item& b) {
    return a.entry.path < b.entry.path;
  });
  return want;
}

TEST(TarTest, ReadsGnuTarArchives) {
  SKIP_WITHOUT_TAR();
  for (const std::string format :
       {"", "--format=gnu", "--format=posix", "--format=ustar"}) {
    SCOPED_TRACE(format);
    const TempDir temp;
    const std::string& dir = temp.path();
    std::vector<Item> want = MakeTree(dir, format == "--format=ustar");
    FILE* tar = popen(
        absl::StrCat("tar -C '", dir, "' ", format, " -cf - .").c_str(), "r");
    ASSERT_NE(tar, nullptr);
    Collector collector;
    TarReader reader(&collector);
    char buf[10000];  // an odd size: pieces split headers and data
    size_t n;
    absl::Status status;
    while (status.ok() && (n = fread(buf, 1, sizeof(buf), tar)) > 0) {
      status = reader.Feed({buf, n});
    }
    ASSERT_EQ(pclose(tar), 0);
    ASSERT_TRUE(status.ok()) << status;
    ASSERT_TRUE(reader.Finish().ok());
    std::vector<Item> got = std::move(collector.items);
    std::sort(got.begin(), got.end(), [](const Item& a, const Item& b) {
      return a.entry.path < b.entry.path;
    });
    ExpectSameItems(got, want);
  }
}

TEST(TarTest, GnuTarReadsOurArchives) {
  SKIP_WITHOUT_TAR();
  const std::string long_path =
      std::string(70, 'a') + "/" + std::string(70, 'b');  // prefix + name
  const std::string longer_path = std::string(100, 'c') + "/" +
                                  std::string(100, 'd') + "/" +
                                  std::string(100, 'e');  // PAX path
  std::vector<Item> items = {
      Dir("d", 0750),
      File("d/empty", ""),
      File("d/small", "small\n", 0600),
      Symlink("d/link", "small"),
      // GNU tar sets a directory's times when it leaves it: keep d's
      // entries together, as a tree walk does.
      File("big", RandomBytes((1 << 20) + 3, 7), 0755),
      Symlink("far", std::string(120, 't')),  // PAX linkpath
      File(long_path, "long"),
      File(longer_path, "longer"),
      File(std::string(130, 'f'), "one long component"),
  };
  const TempDir temp;
  const std::string& dir = temp.path();
  const std::string archive = dir + "/out.tar";
  std::ofstream(archive, std::ios::binary) << Write(items);

  const std::optional<std::string> listing = Shell(
      absl::StrCat("TZ=UTC tar --numeric-owner -tvf '", archive, "' 2>&1"));
  ASSERT_TRUE(listing.has_value()) << "tar -tvf failed";
  EXPECT_FALSE(absl::StrContains(*listing, "tar:")) << *listing;  // warnings
  // Lines look like "-rw-r--r-- 0/0  6 2020-09-13 12:26 d/small".
  for (const Item& it : items) {
    const TarEntry& e = it.entry;
    std::string start;
    std::string end = " " + e.path;
    switch (e.type) {
      case Type::kFile:
        start = "-";
        end = absl::StrCat(" ", e.size, " 2020-09-13 12:26", end);
        break;
      case Type::kDirectory:
        start = "d";
        break;
      case Type::kSymlink:
        start = "l";
        absl::StrAppend(&end, " -> ", e.link_target);
        break;
    }
    bool found = false;
    for (absl::string_view line : absl::StrSplit(*listing, '\n')) {
      found |= absl::StartsWith(line, start) && absl::EndsWith(line, end);
    }
    EXPECT_TRUE(found) << start << "..." << end << " not in\n" << *listing;
  }

  const std::string out = dir + "/x";
  ASSERT_EQ(mkdir(out.c_str(), 0700), 0);
  ASSERT_TRUE(Shell(absl::StrCat("tar -C '", out, "' -xpf '", archive, "'"))
                  .has_value());
  for (const Item& it : items) {
    const TarEntry& e = it.entry;
    const std::string path = out + "/" + e.path;
    SCOPED_TRACE(e.path);
    struct stat st;
    ASSERT_EQ(lstat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mtime, kMtime);
    switch (e.type) {
      case Type::kFile: {
        EXPECT_TRUE(S_ISREG(st.st_mode));
        EXPECT_EQ(st.st_mode & 07777, e.mode);
        std::ifstream in(path, std::ios::binary);
        const std::string data((std::istreambuf_iterator<char>(in)),
                               std::istreambuf_iterator<char>());
        EXPECT_TRUE(data == it.data) << "contents differ";
        break;
      }
      case Type::kDirectory:
        EXPECT_TRUE(S_ISDIR(st.st_mode));
        EXPECT_EQ(st.st_mode & 07777, e.mode);
        break;
      case Type::kSymlink: {
        char target[512];
        const ssize_t n = readlink(path.c_str(), target, sizeof(target));
        ASSERT_GT(n, 0);
        EXPECT_EQ(std::string(target, n), e.link_target);
        break;
      }
    }
  }
}

}  // namespace
}  // namespace runsc::sandbox::tar_test
