// The tar reader and writer: round trips, feeding in pieces, the reader's
// handling of extensions and paths, and the writer's refusals.
#include "sandbox/tar.h"

#include "gtest/gtest.h"
#include "sandbox/tar_test_util.h"

namespace runsc::sandbox::tar_test {
namespace {

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

}  // namespace
}  // namespace runsc::sandbox::tar_test
