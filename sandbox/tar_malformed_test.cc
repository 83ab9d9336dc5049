// The tar reader against malicious and malformed archives, hand-made and
// mutated: each fails with a clear error, never a crash or a hang.
#include "sandbox/tar.h"

#include "gtest/gtest.h"
#include "sandbox/tar_test_util.h"

namespace runsc::sandbox::tar_test {
namespace {

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

}  // namespace
}  // namespace runsc::sandbox::tar_test
