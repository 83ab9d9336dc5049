#include "sandbox/tar.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"

namespace runsc::sandbox {
namespace {

using Type = TarEntry::Type;

constexpr int64_t kMtime = 1600000000;
const std::string kEndOfArchive(1024, '\0');
const std::string kUstarMagic = std::string("ustar\0", 6) + "00";

struct Item {
  TarEntry entry;
  std::string data;
};

Item File(std::string path, std::string data, uint32_t mode = 0644) {
  Item it;
  it.entry.type = Type::kFile;
  it.entry.path = std::move(path);
  it.entry.mode = mode;
  it.entry.mtime = kMtime;
  it.entry.size = data.size();
  it.data = std::move(data);
  return it;
}

Item Dir(std::string path, uint32_t mode = 0755) {
  Item it = File(std::move(path), "", mode);
  it.entry.type = Type::kDirectory;
  return it;
}

Item Symlink(std::string path, std::string target) {
  Item it = File(std::move(path), "", 0777);
  it.entry.type = Type::kSymlink;
  it.entry.link_target = std::move(target);
  return it;
}

std::string RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 gen(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(gen());
  return s;
}

void ExpectSameItems(const std::vector<Item>& got,
                     const std::vector<Item>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    const TarEntry& g = got[i].entry;
    const TarEntry& w = want[i].entry;
    SCOPED_TRACE(w.path);
    EXPECT_EQ(g.type, w.type);
    EXPECT_EQ(g.path, w.path);
    EXPECT_EQ(g.mode, w.mode);
    EXPECT_EQ(g.uid, w.uid);
    EXPECT_EQ(g.gid, w.gid);
    EXPECT_EQ(g.mtime, w.mtime);
    EXPECT_EQ(g.size, w.size);
    EXPECT_EQ(g.link_target, w.link_target);
    EXPECT_EQ(got[i].data.size(), want[i].data.size());
    EXPECT_TRUE(got[i].data == want[i].data) << "contents differ";
  }
}

// Records what the reader delivers and checks the callback protocol.
class Collector : public TarReader::Handler {
 public:
  absl::Status OnEntry(const TarEntry& entry) override {
    EXPECT_FALSE(open_) << "OnEntry inside an entry";
    items.push_back({entry, ""});
    open_ = true;
    return absl::OkStatus();
  }
  absl::Status OnData(absl::string_view data) override {
    EXPECT_TRUE(open_);
    EXPECT_FALSE(data.empty());
    items.back().data.append(data.data(), data.size());
    return absl::OkStatus();
  }
  absl::Status OnEntryEnd() override {
    EXPECT_TRUE(open_);
    EXPECT_EQ(items.back().data.size(), items.back().entry.size);
    open_ = false;
    return absl::OkStatus();
  }

  std::vector<Item> items;

 private:
  bool open_ = false;
};

struct ReadResult {
  absl::Status status;
  std::vector<Item> items;
};

// Feeds `archive` in pieces of `piece` bytes (all at once by default), then
// finishes.
ReadResult Read(absl::string_view archive, size_t piece = 0) {
  if (piece == 0) piece = std::max<size_t>(archive.size(), 1);
  Collector collector;
  TarReader reader(&collector);
  absl::Status status;
  for (size_t i = 0; status.ok() && i < archive.size(); i += piece) {
    status = reader.Feed(archive.substr(i, piece));
  }
  if (status.ok()) status = reader.Finish();
  EXPECT_EQ(reader.entries(), collector.items.size());
  return {status, std::move(collector.items)};
}

std::string Write(const std::vector<Item>& items) {
  std::string out;
  TarWriter writer([&out](absl::string_view bytes) {
    out.append(bytes.data(), bytes.size());
    return absl::OkStatus();
  });
  for (const Item& it : items) {
    EXPECT_TRUE(writer.WriteHeader(it.entry).ok()) << it.entry.path;
    // In two pieces, as a streaming caller would.
    const absl::string_view data = it.data;
    EXPECT_TRUE(writer.WriteData(data.substr(0, data.size() / 3)).ok());
    EXPECT_TRUE(writer.WriteData(data.substr(data.size() / 3)).ok());
  }
  EXPECT_TRUE(writer.Finish().ok());
  EXPECT_EQ(out.size() % 512, 0u);
  return out;
}

// A hand-made header block, for inputs the writer would never produce.
struct RawHeader {
  std::string name;
  char type = '0';
  std::string mode = "0000644";
  std::string uid = "0001750";
  std::string gid = "0001750";
  std::string size = "00000000000";
  std::string mtime = "13727410000";  // kMtime
  std::string linkname;
  std::string magic = kUstarMagic;
  std::string prefix;
  bool signed_checksum = false;

  std::string Block() const {
    std::string h(512, '\0');
    const auto put = [&h](size_t offset, size_t width, const std::string& v) {
      std::copy_n(v.begin(), std::min(v.size(), width), h.begin() + offset);
    };
    put(0, 100, name);
    put(100, 8, mode);
    put(108, 8, uid);
    put(116, 8, gid);
    put(124, 12, size);
    put(136, 12, mtime);
    h[156] = type;
    put(157, 100, linkname);
    put(257, 8, magic);
    put(345, 155, prefix);
    put(148, 8, std::string(8, ' '));
    int64_t sum = 0;
    for (char c : h) {
      sum += signed_checksum ? static_cast<signed char>(c)
                             : static_cast<unsigned char>(c);
    }
    put(148, 7, absl::StrFormat("%06o", sum) + std::string(1, '\0'));
    return h;
  }
};

std::string Padded(std::string data) {
  data.resize((data.size() + 511) / 512 * 512, '\0');
  return data;
}

// A header (whose size field is set from `data`) and its padded data.
std::string Member(RawHeader h, const std::string& data) {
  h.size = absl::StrFormat("%011o", data.size());
  return h.Block() + Padded(data);
}

std::string RawFile(std::string name, const std::string& data) {
  RawHeader h;
  h.name = std::move(name);
  return Member(h, data);
}

std::string PaxRecord(absl::string_view key, absl::string_view value) {
  const size_t body = key.size() + value.size() + 3;
  size_t len = body + 1;
  while (len != body + absl::StrCat(len).size()) ++len;
  return absl::StrCat(len, " ", key, "=", value, "\n");
}

std::string Extended(char type, const std::string& data) {
  RawHeader h;
  h.name = "././@ExtendedHeader";
  h.type = type;
  return Member(h, data);
}

// Runs a shell command; returns its stdout (and stderr if redirected there),
// or nullopt if it failed.
std::optional<std::string> Shell(const std::string& command) {
  FILE* f = popen(command.c_str(), "r");
  if (f == nullptr) return std::nullopt;
  std::string out;
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), f)) > 0) out.append(buf, n);
  if (pclose(f) != 0) return std::nullopt;
  return out;
}

// A directory under /tmp, removed with its contents at scope exit.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/tartest-XXXXXX";
    if (mkdtemp(tmpl) != nullptr) path_ = tmpl;
    EXPECT_FALSE(path_.empty()) << "mkdtemp failed";
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

#define SKIP_WITHOUT_TAR() \
  if (access("/bin/tar", X_OK) != 0) GTEST_SKIP() << "/bin/tar is missing"

// Round trips.

TEST(TarTest, RoundTripsFilesDirectoriesAndSymlinks) {
  std::vector<Item> items = {
      Dir("d", 0750),
      File("d/empty", ""),
      File("d/small", "hello, world\n", 0600),
      File("big", RandomBytes((1 << 20) + 3, 1), 0755),
      File("block", std::string(512, 'x')),  // exactly one block: no padding
      Symlink("d/link", "../big"),
      Symlink("abs", "/etc/passwd"),
      File("setid", "x", 06755),
      Dir("sticky", 01777),
  };
  items[1].entry.uid = 1000;
  items[1].entry.gid = 2000;
  items[2].entry.mtime = 0;
  ReadResult result = Read(Write(items));
  ASSERT_TRUE(result.status.ok()) << result.status;
  ExpectSameItems(result.items, items);
}

TEST(TarTest, WriterMasksModeToPermissionBits) {
  Item it = File("f", "x", 0100644);  // S_IFREG | 0644
  ReadResult result = Read(Write({it}));
  ASSERT_TRUE(result.status.ok()) << result.status;
  ASSERT_EQ(result.items.size(), 1u);
  EXPECT_EQ(result.items[0].entry.mode, 0644u);
}

TEST(TarTest, RoundTripsLongPathsAndLargeNumbersThroughPax) {
  const std::string splittable =
      std::string(70, 'a') + "/" + std::string(70, 'b');  // prefix + name
  const std::string one_long_component(120, 'c');
  const std::string very_long = std::string(100, 'd') + "/" +
                                std::string(100, 'e') + "/" +
                                std::string(100, 'f');  // 302 bytes
  std::vector<Item> items = {
      File(splittable, "split"),
      File(one_long_component, "pax path"),
      File(very_long, "pax path too"),
      Symlink("link", std::string(200, 't')),
      File("big_uid", "u"),
      File("old", "o"),
      File("future", "f"),
  };
  items[4].entry.uid = 3000000;  // > 07777777
  items[4].entry.gid = 0xFFFFFFFF;
  items[5].entry.mtime = -86400;
  items[6].entry.mtime = int64_t{1} << 34;  // > 11 octal digits
  const std::string archive = Write(items);
  EXPECT_TRUE(absl::StrContains(archive, " uid=3000000\n"));
  EXPECT_TRUE(absl::StrContains(archive, " mtime=-86400\n"));
  EXPECT_TRUE(absl::StrContains(archive, " path=" + very_long + "\n"));
  EXPECT_FALSE(absl::StrContains(archive, " path=" + splittable + "\n"));
  ReadResult result = Read(archive);
  ASSERT_TRUE(result.status.ok()) << result.status;
  ExpectSameItems(result.items, items);
}

TEST(TarTest, WriterUsesUstarWhenEverythingFits) {
  const std::string path = std::string(70, 'a') + "/" + std::string(70, 'b');
  const std::string archive = Write({File(path, "abc", 0640)});
  ASSERT_EQ(archive.size(), 512u + 512u + 1024u);  // no PAX header
  const std::string h = archive.substr(0, 512);
  EXPECT_EQ(h.substr(257, 8), kUstarMagic);
  EXPECT_EQ(h.substr(345, 70), std::string(70, 'a'));  // prefix
  EXPECT_EQ(h.substr(0, 71), std::string(70, 'b') + '\0');
  EXPECT_EQ(h.substr(100, 8), std::string("0000640\0", 8));
  EXPECT_EQ(h.substr(124, 12), std::string("00000000003\0", 12));
  EXPECT_EQ(h[156], '0');
  EXPECT_EQ(h.substr(265, 64), std::string(64, '\0'));  // uname, gname
  unsigned sum = 0;
  for (size_t i = 0; i < 512; ++i) {
    sum += (i >= 148 && i < 156) ? ' ' : static_cast<unsigned char>(h[i]);
  }
  EXPECT_EQ(h.substr(148, 8), absl::StrFormat("%06o", sum) + '\0' + ' ');
  EXPECT_EQ(archive.substr(512, 3), "abc");
  EXPECT_EQ(archive.substr(515), std::string(509 + 1024, '\0'));
}

// Feeding in pieces.

TEST(TarTest, FeedingByteByByteEqualsFeedingAtOnce) {
  std::string archive = Write({
      Dir("d"),
      File("d/a", "some data"),
      File("d/empty", ""),
      File(std::string(300, 'p'), RandomBytes(5000, 2)),
      Symlink("s", std::string(150, 'l')),
  });
  archive.resize(archive.size() - 1024);  // append more entries
  archive += Extended('L', std::string(130, 'L') + '\0') +
             RawFile("ignored", "gnu long name") +
             Extended('g', PaxRecord("comment", "global")) +
             Extended('x', PaxRecord("mtime", "123.456") +
                               PaxRecord("uid", "5000000")) +
             RawFile("pax", "x") + kEndOfArchive;
  const ReadResult whole = Read(archive);
  ASSERT_TRUE(whole.status.ok()) << whole.status;
  ASSERT_EQ(whole.items.size(), 7u);
  for (size_t piece : {1, 7, 511, 513, 4096}) {
    SCOPED_TRACE(piece);
    const ReadResult pieces = Read(archive, piece);
    ASSERT_TRUE(pieces.status.ok()) << pieces.status;
    ExpectSameItems(pieces.items, whole.items);
  }
  // And for errors: same status, same entries before it.
  const std::string bad = archive.substr(0, 3000);
  const ReadResult bad_whole = Read(bad);
  const ReadResult bad_bytes = Read(bad, 1);
  EXPECT_EQ(bad_whole.status, bad_bytes.status);
  EXPECT_EQ(bad_whole.items.size(), bad_bytes.items.size());
}

// Reader details.

TEST(TarTest, ReadsGnuAndPaxExtensions) {
  RawHeader base256;
  base256.name = "base256";
  base256.uid = std::string("\x80\0\0\0\0\x3d\x09\x00", 8);  // 4000000
  base256.mtime = std::string(
      "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xfe", 12);  // -2
  RawHeader signed_sum;
  signed_sum.name = "caf\xe9";
  signed_sum.signed_checksum = true;
  RawHeader gnu;
  gnu.name = "gnu";
  gnu.magic = std::string("ustar  \0", 8);
  gnu.prefix = "not a prefix in GNU format";
  RawHeader old_dir;
  old_dir.name = "olddir/";
  old_dir.type = '\0';
  RawHeader dir_with_size;  // POSIX: directories have no data
  dir_with_size.name = "sizeddir";
  dir_with_size.type = '5';
  dir_with_size.size = "00000001000";
  RawHeader contiguous;
  contiguous.name = "contiguous";
  contiguous.type = '7';
  RawHeader long_link;
  long_link.name = "short";
  long_link.type = '2';
  long_link.linkname = "truncated";

  const std::string archive =
      Extended('g', PaxRecord("path", "global/path/is/ignored")) +
      Extended('L', std::string(150, 'n') + '\0') +
      Extended('K', std::string(150, 'k') + '\0') + long_link.Block() +
      Extended('x', PaxRecord("path", "pax/name") + PaxRecord("size", "3") +
                        PaxRecord("uid", "7") + PaxRecord("gid", "8") +
                        PaxRecord("mtime", "1700000000.999999999") +
                        PaxRecord("atime", "1.5") +
                        PaxRecord("comment", "a=b\nc")) +
      RawFile("header/name", "abc") +  // PAX size 3 is what counts
      Extended('x', PaxRecord("path", "overridden") + PaxRecord("path", "")) +
      RawFile("restored", "") + Member(base256, "") + Member(signed_sum, "") +
      Member(gnu, "g") + old_dir.Block() + dir_with_size.Block() +
      Member(contiguous, "c") + kEndOfArchive;
  const ReadResult result = Read(archive);
  ASSERT_TRUE(result.status.ok()) << result.status;

  Item link = Symlink(std::string(150, 'n'), std::string(150, 'k'));
  Item pax = File("pax/name", "abc");
  pax.entry.uid = 7;
  pax.entry.gid = 8;
  pax.entry.mtime = 1700000000;
  std::vector<Item> want = {link,
                            pax,
                            File("restored", ""),
                            File("base256", ""),
                            File("caf\xe9", ""),
                            File("gnu", "g"),
                            Dir("olddir", 0644),
                            Dir("sizeddir", 0644),
                            File("contiguous", "c")};
  want[0].entry.mode = 0644;
  for (size_t i = 0; i < want.size(); ++i) {
    if (i == 1) continue;
    want[i].entry.uid = 1000;
    want[i].entry.gid = 1000;
  }
  want[3].entry.uid = 4000000;
  want[3].entry.mtime = -2;
  ExpectSameItems(result.items, want);
}

TEST(TarTest, CleansPathsLikeGnuTar) {
  RawHeader prefixed;
  prefixed.prefix = "/abs//dir";
  prefixed.name = "./x";
  RawHeader dir;
  dir.name = "d/";
  dir.type = '5';
  const std::string archive = RawFile("/etc/passwd", "root") +
                              RawFile("./a//b/./c", "") + Member(prefixed, "") +
                              Member(dir, "") + kEndOfArchive;
  const ReadResult result = Read(archive);
  ASSERT_TRUE(result.status.ok()) << result.status;
  ASSERT_EQ(result.items.size(), 4u);
  EXPECT_EQ(result.items[0].entry.path, "etc/passwd");
  EXPECT_EQ(result.items[0].data, "root");
  EXPECT_EQ(result.items[1].entry.path, "a/b/c");
  EXPECT_EQ(result.items[2].entry.path, "abs/dir/x");
  EXPECT_EQ(result.items[3].entry.path, "d");
  EXPECT_EQ(result.items[3].entry.type, Type::kDirectory);
}

TEST(TarTest, SkipsTheTopDirectoryEntry) {
  std::string archive;
  for (const char* name : {"./", ".", "/", "././"}) {
    RawHeader h;
    h.name = name;
    h.type = '5';
    archive += h.Block();
  }
  archive += RawFile("./a", "a") + kEndOfArchive;
  const ReadResult result = Read(archive);
  ASSERT_TRUE(result.status.ok()) << result.status;
  ASSERT_EQ(result.items.size(), 1u);
  EXPECT_EQ(result.items[0].entry.path, "a");
}

TEST(TarTest, EndOfArchiveIsOptionalAndWhatFollowsIsIgnored) {
  const std::string entry = RawFile("a", "data");
  ReadResult result = Read(entry);  // no zero blocks
  ASSERT_TRUE(result.status.ok()) << result.status;
  EXPECT_EQ(result.items.size(), 1u);
  // The last entry's data is whole; only its block padding is missing.
  result = Read(entry.substr(0, 512 + 4));
  ASSERT_TRUE(result.status.ok()) << result.status;
  EXPECT_EQ(result.items.size(), 1u);
  result = Read(entry + kEndOfArchive + RawFile("b", "") + "garbage");
  ASSERT_TRUE(result.status.ok()) << result.status;
  EXPECT_EQ(result.items.size(), 1u);
  result = Read("");
  ASSERT_TRUE(result.status.ok()) << result.status;
  EXPECT_TRUE(result.items.empty());
}

TEST(TarTest, HandlerErrorsStopTheReaderUnchanged) {
  class Failing : public Collector {
   public:
    absl::Status OnData(absl::string_view data) override {
      Collector::OnData(data).IgnoreError();
      return absl::PermissionDeniedError("disk says no");
    }
  } handler;
  TarReader reader(&handler);
  const std::string archive =
      RawFile("a", "data") + RawFile("b", "more") + kEndOfArchive;
  const absl::Status expected = absl::PermissionDeniedError("disk says no");
  EXPECT_EQ(reader.Feed(archive), expected);
  EXPECT_EQ(reader.Feed(archive), expected);
  EXPECT_EQ(reader.Finish(), expected);
  EXPECT_EQ(handler.items.size(), 1u);
  EXPECT_EQ(reader.entries(), 1u);
}

// Malicious and malformed input.

struct BadCase {
  std::string name;
  std::string archive;
  std::vector<std::string> want;  // substrings of the error message
};

std::vector<BadCase> BadCases() {
  std::vector<BadCase> cases;
  const auto add = [&cases](std::string name, std::string archive,
                            std::vector<std::string> want) {
    cases.push_back({std::move(name), std::move(archive), std::move(want)});
  };
  add("dotdot", RawFile("../x", "evil"), {"'../x'", "'..' component"});
  add("inner dotdot", RawFile("a/../../x", "evil"),
      {"'a/../../x'", "'..' component"});
  add("trailing dotdot", RawFile("a/..", ""), {"'a/..'", "'..' component"});
  {
    RawHeader h;
    h.prefix = "a/..";
    h.name = "x";
    add("dotdot in prefix", h.Block(), {"'a/../x'", "'..' component"});
  }
  add("pax dotdot",
      Extended('x', PaxRecord("path", "ok/../../x")) + RawFile("ok", ""),
      {"'ok/../../x'", "'..' component"});
  add("gnu long name dotdot",
      Extended('L', std::string("../y\0", 5)) + RawFile("ok", ""),
      {"'../y'", "'..' component"});
  add("pax NUL in path",
      Extended('x', PaxRecord("path", std::string("a\0z", 3))) +
          RawFile("ok", ""),
      {"'a\\x00z'", "NUL"});
  add("empty path", RawFile("", "x"), {"''", "empty path"});
  add("dot file", RawFile("./", "x"), {"'./'", "empty path"});
  {
    std::string block = RawFile("a", "");
    block[0] = 'b';
    add("bad checksum", block, {"offset 0", "checksum"});
    add("bad checksum later", RawFile("first", "1") + block,
        {"offset 1024", "checksum"});
  }
  add("truncated header", RawFile("a", "").substr(0, 300),
      {"offset 0", "ends inside a header"});
  add("truncated data", RawFile("big", std::string(1000, 'x')).substr(0, 522),
      {"'big'", "990 bytes before the end"});
  {
    RawHeader h;
    h.name = "sevens";
    h.size = "777777777777";  // 12 digits, no terminator: 64 GiB - 1
    add("all-sevens size", h.Block() + "only a little data",
        {"'sevens'", "68719476717 bytes before the end"});
    h.type = 'x';
    add("all-sevens pax size", h.Block(), {"offset 0", "exceeds the limit"});
  }
  {
    RawHeader h;
    h.name = "huge";
    h.size = std::string("\x80\0\0\0\0\0\x02\0\0\0\0\0", 12);  // 2^41
    add("base-256 size over 2^40", h.Block(),
        {"'huge'", "size 2199023255552 is out of range"});
    h.size = std::string(12, '\xff');
    add("negative size", h.Block(), {"'huge'", "size -1 is out of range"});
    h.size = "00000000001";
    h.uid = "12x";
    add("malformed uid", h.Block(), {"'huge'", "malformed uid field"});
  }
  const auto typed = [](std::string name, char type) {
    RawHeader h;
    h.name = std::move(name);
    h.type = type;
    h.linkname = "target";
    return h.Block();
  };
  add("hard link", typed("hl", '1'), {"'hl'", "hard links are not supported"});
  add("char device", typed("tty", '3'), {"'tty'", "device files"});
  add("block device", typed("sda", '4'), {"'sda'", "device files"});
  add("fifo", typed("pipe", '6'), {"'pipe'", "FIFOs"});
  add("gnu sparse", typed("holes", 'S'), {"'holes'", "sparse"});
  add("pax sparse",
      Extended('x', PaxRecord("GNU.sparse.major", "1")) + RawFile("s", ""),
      {"'s'", "sparse"});
  add("unknown type", typed("what", 'Z'), {"'what'", "type 'Z'"});
  add("symlink without target",
      [] {
        RawHeader h;
        h.name = "dangling";
        h.type = '2';
        return h.Block();
      }(),
      {"'dangling'", "no target"});
  {
    RawHeader h;
    h.name = "v7";
    h.magic = std::string(8, '\0');
    add("v7 header", h.Block(), {"offset 0", "no ustar magic"});
  }
  {
    RawHeader h;
    h.name = "././@PaxHeader";
    h.type = 'x';
    h.size = "00010000000";  // 2 MiB
    add("huge pax record", h.Block(), {"offset 0", "exceeds the limit"});
    h.type = 'L';
    add("huge gnu long name", h.Block(), {"offset 0", "exceeds the limit"});
  }
  add("pax length too long", Extended('x', "99 path=a\n") + RawFile("a", ""),
      {"offset 0", "malformed PAX record"});
  add("pax length zero", Extended('x', "0 path=a\n"), {"malformed PAX record"});
  add("pax without '='", Extended('x', "10 pathab\n"),
      {"malformed PAX record"});
  add("pax without newline", Extended('x', "10 path=ab"),
      {"malformed PAX record"});
  add("pax negative size", Extended('x', PaxRecord("size", "-1")),
      {"invalid PAX size '-1'"});
  add("pax size over 2^40", Extended('x', PaxRecord("size", "2199023255552")),
      {"invalid PAX size"});
  add("pax uid over 32 bits", Extended('x', PaxRecord("uid", "4294967296")),
      {"invalid PAX uid"});
  add("pax bad mtime", Extended('x', PaxRecord("mtime", "12x")),
      {"invalid PAX mtime"});
  add("pax then end of stream", Extended('x', PaxRecord("path", "a")),
      {"offset 0", "before the entry"});
  add("pax then end of archive",
      Extended('x', PaxRecord("path", "a")) + kEndOfArchive,
      {"before the entry"});
  add("truncated pax", Extended('x', std::string(100, '1')).substr(0, 550),
      {"offset 0", "inside an extended header"});
  add("garbage", RandomBytes(4096, 3), {"offset 0", "checksum"});
  add("text", std::string(2048, 'A'), {"offset 0", "checksum"});
  return cases;
}

TEST(TarTest, RejectsMaliciousInput) {
  for (const BadCase& c : BadCases()) {
    SCOPED_TRACE(c.name);
    for (size_t piece : {size_t{0}, size_t{1}}) {
      const ReadResult result = Read(c.archive, piece);
      EXPECT_TRUE(absl::IsInvalidArgument(result.status)) << result.status;
      for (const std::string& want : c.want) {
        EXPECT_TRUE(absl::StrContains(result.status.message(), want))
            << result.status << " lacks " << want;
      }
      EXPECT_TRUE(result.items.empty() || c.name == "bad checksum later" ||
                  c.name == "truncated data" || c.name == "all-sevens size");
    }
  }
}

// Recomputes the checksum of every block with the ustar magic, so that
// mutated headers get past it to the field parsing.
void FixChecksums(std::string* archive) {
  for (size_t at = 0; at + 512 <= archive->size(); at += 512) {
    char* h = &(*archive)[at];
    if (memcmp(h + 257, "ustar", 5) != 0) continue;
    memset(h + 148, ' ', 8);
    unsigned sum = 0;
    for (size_t i = 0; i < 512; ++i) sum += static_cast<unsigned char>(h[i]);
    snprintf(h + 148, 8, "%06o", sum);
  }
}

TEST(TarTest, MutatedArchivesFailCleanly) {
  std::string archive = Write({
      Dir("d"),
      File("d/a", RandomBytes(700, 4)),
      File(std::string(200, 'p'), "pax"),
      Symlink("d/s", std::string(120, 'l')),
  });
  archive.resize(archive.size() - 1024);
  archive += Extended('L', std::string(130, 'L') + '\0') + RawFile("l", "") +
             Extended('x', PaxRecord("mtime", "1.5") + PaxRecord("size", "2")) +
             RawFile("x", "xx") + kEndOfArchive;
  // Bytes that steer the field parsers.
  const std::string interesting("0127 /.\0\x80\xff=\n", 12);
  std::mt19937 gen(5);
  int deep_errors = 0;  // errors past the checksum and magic
  for (int i = 0; i < 5000; ++i) {
    std::string mutated = archive;
    for (int n = 1 + gen() % 4; n > 0; --n) {
      const size_t at = gen() % mutated.size();
      mutated[at] = gen() % 2 == 0 ? interesting[gen() % interesting.size()]
                                   : static_cast<char>(gen());
    }
    FixChecksums(&mutated);
    if (gen() % 8 == 0) mutated.resize(gen() % mutated.size());
    const ReadResult result = Read(mutated, 1 + gen() % 600);
    EXPECT_TRUE(result.status.ok() || absl::IsInvalidArgument(result.status))
        << result.status;
    if (!result.status.ok() &&
        !absl::StrContains(result.status.message(), "checksum") &&
        !absl::StrContains(result.status.message(), "magic")) {
      ++deep_errors;
    }
  }
  EXPECT_GT(deep_errors, 500);
}

// Writer misuse.

TEST(TarTest, WriterRejectsInvalidEntries) {
  std::string out;
  TarWriter writer([&out](absl::string_view b) {
    out.append(b.data(), b.size());
    return absl::OkStatus();
  });
  for (const std::string& path :
       {std::string(""), std::string("/a"), std::string("a/"),
        std::string("a//b"), std::string("./a"), std::string("a/./b"),
        std::string(".."), std::string("a/../b"), std::string("a\0b", 3)}) {
    const absl::Status s = writer.WriteHeader(File(path, "").entry);
    EXPECT_TRUE(absl::IsInvalidArgument(s)) << path << ": " << s;
    EXPECT_TRUE(absl::StrContains(s.message(), "not clean")) << s;
  }
  EXPECT_TRUE(
      absl::IsInvalidArgument(writer.WriteHeader(Symlink("s", "").entry)));
  Item huge = File("huge", "");
  huge.entry.size = (uint64_t{1} << 40) + 1;
  EXPECT_TRUE(absl::IsInvalidArgument(writer.WriteHeader(huge.entry)));
  EXPECT_TRUE(out.empty());
  EXPECT_TRUE(writer.WriteHeader(File("ok", "").entry).ok());
}

TEST(TarTest, WriterRequiresExactlyTheDeclaredData) {
  std::string out;
  TarWriter writer([&out](absl::string_view b) {
    out.append(b.data(), b.size());
    return absl::OkStatus();
  });
  ASSERT_TRUE(writer.WriteHeader(File("f", "0123456789").entry).ok());
  ASSERT_TRUE(writer.WriteData("01234").ok());
  absl::Status s = writer.WriteHeader(File("g", "").entry);
  EXPECT_TRUE(absl::IsFailedPrecondition(s)) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "'f': 5 bytes of data missing"))
      << s;
  s = writer.Finish();
  EXPECT_TRUE(absl::IsFailedPrecondition(s)) << s;
  s = writer.WriteData("567890");
  EXPECT_TRUE(absl::IsFailedPrecondition(s)) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "1 bytes of data beyond")) << s;
  ASSERT_TRUE(writer.WriteData("56789").ok());
  s = writer.WriteData("x");  // the entry is complete
  EXPECT_TRUE(absl::IsFailedPrecondition(s)) << s;
  ASSERT_TRUE(writer.Finish().ok());
  EXPECT_TRUE(
      absl::IsFailedPrecondition(writer.WriteHeader(File("h", "").entry)));
  EXPECT_TRUE(absl::IsFailedPrecondition(writer.Finish()));
  // What was written is still a valid archive.
  const ReadResult result = Read(out);
  ASSERT_TRUE(result.status.ok()) << result.status;
  ExpectSameItems(result.items, {File("f", "0123456789")});
}

TEST(TarTest, WriterStopsAtTheFirstSinkError) {
  int calls = 0;
  TarWriter writer([&calls](absl::string_view) {
    return ++calls == 2 ? absl::UnavailableError("peer gone")
                        : absl::OkStatus();
  });
  ASSERT_TRUE(writer.WriteHeader(File("f", "abc").entry).ok());
  const absl::Status expected = absl::UnavailableError("peer gone");
  EXPECT_EQ(writer.WriteData("abc"), expected);
  EXPECT_EQ(writer.WriteHeader(File("g", "").entry), expected);
  EXPECT_EQ(writer.Finish(), expected);
  EXPECT_EQ(calls, 2);
}

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
}  // namespace runsc::sandbox
