#include "runsc/util/elf_file.h"

#include <elf.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "gtest/gtest.h"
#include "runsc/util/elf_test_util.h"
#include "runsc/util/unique_fd.h"

namespace runsc::util {
namespace {

class ElfFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/elf-file-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
  }
  void TearDown() override { EXPECT_EQ(system(("rm -rf '" + dir_ + "'").c_str()), 0); }
  UniqueFd Open(const std::string& path) {
    return UniqueFd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  }
  std::string dir_;
};

TEST_F(ElfFileTest, LoadedLengthIsWhereTheLastSegmentEnds) {
  UniqueFd fd = Open(WriteElf(dir_ + "/elf", 5 << 20, 3 << 20));
  absl::StatusOr<size_t> length = LoadedLength(fd.get());
  ASSERT_TRUE(length.ok()) << length.status();
  EXPECT_EQ(*length, size_t{5} << 20);

  const std::string text = dir_ + "/text";
  std::ofstream(text) << "#!/bin/sh\necho not an ELF file\n";
  EXPECT_EQ(LoadedLength(Open(text).get()).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(ElfFileTest, BuildIdIsTheNoteInHex) {
  UniqueFd fd = Open(WriteElf(dir_ + "/elf", 1 << 20, 0, std::string("\x01\xab\x00\xff\x10", 5)));
  absl::StatusOr<std::string> id = BuildId(fd.get());
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(*id, "01ab00ff10");

  UniqueFd none = Open(WriteElf(dir_ + "/none", 1 << 20, 0));
  EXPECT_EQ(BuildId(none.get()).status().code(), absl::StatusCode::kNotFound);
  const std::string text = dir_ + "/text";
  std::ofstream(text) << "not ELF";
  EXPECT_EQ(BuildId(Open(text).get()).status().code(), absl::StatusCode::kInvalidArgument);
}

// A note whose sizes run past its segment is not read past it.
TEST_F(ElfFileTest, ANoteLongerThanItsSegmentIsNotRead) {
  const std::string path = WriteElf(dir_ + "/elf", 1 << 20, 0, "\x01\x02\x03\x04");
  const off_t note = sizeof(Elf64_Ehdr) + 2 * sizeof(Elf64_Phdr);
  UniqueFd fd(open(path.c_str(), O_RDWR | O_CLOEXEC));
  for (const off_t field : {off_t{0}, off_t{4}}) {  // n_namesz, then n_descsz
    const uint32_t huge = 0xfffffff0u;
    uint32_t saved;
    ASSERT_EQ(pread(fd.get(), &saved, 4, note + field), 4);
    ASSERT_EQ(pwrite(fd.get(), &huge, 4, note + field), 4);
    EXPECT_EQ(BuildId(fd.get()).status().code(), absl::StatusCode::kNotFound) << field;
    ASSERT_EQ(pwrite(fd.get(), &saved, 4, note + field), 4);
  }
  absl::StatusOr<std::string> id = BuildId(fd.get());
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(*id, "01020304");
}

TEST_F(ElfFileTest, ALinkedBinaryCarriesOne) {
  // The linker's own note, as every binary of this build carries it
  // (Debian's gcc links with --build-id): a sha1, or md5 or uuid if told.
  UniqueFd self = Open("/proc/self/exe");
  absl::StatusOr<std::string> id = BuildId(self.get());
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_TRUE(id->size() == 40 || id->size() == 32 || id->size() == 16) << *id;
  EXPECT_EQ(id->find_first_not_of("0123456789abcdef"), std::string::npos) << *id;
}

}  // namespace
}  // namespace runsc::util
