// Helpers shared by the tar tests: items and archives made by hand, a
// handler that records what the reader delivers, and GNU tar from a shell.
#ifndef RUNSC_SANDBOX_TAR_TEST_UTIL_H_
#define RUNSC_SANDBOX_TAR_TEST_UTIL_H_

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
#include "runsc/util/test_dirs.h"
#include "sandbox/tar.h"

namespace runsc::sandbox::tar_test {

using Type = TarEntry::Type;

inline constexpr int64_t kMtime = 1600000000;
inline const std::string kEndOfArchive(1024, '\0');
inline const std::string kUstarMagic = std::string("ustar\0", 6) + "00";

struct Item {
  TarEntry entry;
  std::string data;
};

inline Item File(std::string path, std::string data, uint32_t mode = 0644) {
  Item it;
  it.entry.type = Type::kFile;
  it.entry.path = std::move(path);
  it.entry.mode = mode;
  it.entry.mtime = kMtime;
  it.entry.size = data.size();
  it.data = std::move(data);
  return it;
}

inline Item Dir(std::string path, uint32_t mode = 0755) {
  Item it = File(std::move(path), "", mode);
  it.entry.type = Type::kDirectory;
  return it;
}

inline Item Symlink(std::string path, std::string target) {
  Item it = File(std::move(path), "", 0777);
  it.entry.type = Type::kSymlink;
  it.entry.link_target = std::move(target);
  return it;
}

inline std::string RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 gen(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(gen());
  return s;
}

inline void ExpectSameItems(const std::vector<Item>& got,
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
inline ReadResult Read(absl::string_view archive, size_t piece = 0) {
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

inline std::string Write(const std::vector<Item>& items) {
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

inline std::string Padded(std::string data) {
  data.resize((data.size() + 511) / 512 * 512, '\0');
  return data;
}

// A header (whose size field is set from `data`) and its padded data.
inline std::string Member(RawHeader h, const std::string& data) {
  h.size = absl::StrFormat("%011o", data.size());
  return h.Block() + Padded(data);
}

inline std::string RawFile(std::string name, const std::string& data) {
  RawHeader h;
  h.name = std::move(name);
  return Member(h, data);
}

inline std::string PaxRecord(absl::string_view key, absl::string_view value) {
  const size_t body = key.size() + value.size() + 3;
  size_t len = body + 1;
  while (len != body + absl::StrCat(len).size()) ++len;
  return absl::StrCat(len, " ", key, "=", value, "\n");
}

inline std::string Extended(char type, const std::string& data) {
  RawHeader h;
  h.name = "././@ExtendedHeader";
  h.type = type;
  return Member(h, data);
}

// Runs a shell command; returns its stdout (and stderr if redirected there),
// or nullopt if it failed.
inline std::optional<std::string> Shell(const std::string& command) {
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
class TempDir : public runsc::util::TempDir {
 public:
  TempDir() : runsc::util::TempDir("tartest") {}
};

#define SKIP_WITHOUT_TAR() \

}  // namespace runsc::sandbox::tar_test

#endif  // RUNSC_SANDBOX_TAR_TEST_UTIL_H_
