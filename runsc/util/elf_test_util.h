// Tests' synthetic ELF files: the headers runsc reads, over a file of the
// size asked for (holes elsewhere).
#ifndef RUNSC_UTIL_ELF_TEST_UTIL_H_
#define RUNSC_UTIL_ELF_TEST_UTIL_H_

#include <elf.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "gtest/gtest.h"
#include "runsc/util/unique_fd.h"

namespace runsc::util {

// Writes `path`: a 64-bit ELF file whose one PT_LOAD segment spans `load`
// bytes from 0, followed by `tail` bytes that nothing loads; with a
// non-empty `build_id`, a PT_NOTE segment holding it as NT_GNU_BUILD_ID.
inline std::string WriteElf(const std::string& path, size_t load, size_t tail,
                            const std::string& build_id = "") {
  UniqueFd fd(open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755));
  EXPECT_TRUE(fd) << path;
  Elf64_Phdr segments[2] = {};
  Elf64_Ehdr header = {};
  memcpy(header.e_ident, ELFMAG, SELFMAG);
  header.e_ident[EI_CLASS] = ELFCLASS64;
  header.e_phoff = sizeof(header);
  header.e_phentsize = sizeof(Elf64_Phdr);
  header.e_phnum = build_id.empty() ? 1 : 2;
  segments[0].p_type = PT_LOAD;
  segments[0].p_filesz = load;
  std::string note;
  if (!build_id.empty()) {
    Elf64_Nhdr nhdr = {4, static_cast<Elf64_Word>(build_id.size()), NT_GNU_BUILD_ID};
    note.append(reinterpret_cast<const char*>(&nhdr), sizeof(nhdr));
    note.append("GNU", 4);
    note.append(build_id);
    note.resize((note.size() + 3) & ~size_t{3}, '\0');
    segments[1].p_type = PT_NOTE;
    segments[1].p_offset = sizeof(header) + 2 * sizeof(Elf64_Phdr);
    segments[1].p_filesz = note.size();
  }
  EXPECT_EQ(ftruncate(fd.get(), static_cast<off_t>(load + tail)), 0);
  EXPECT_EQ(pwrite(fd.get(), &header, sizeof(header), 0), static_cast<ssize_t>(sizeof(header)));
  const ssize_t headers = static_cast<ssize_t>(header.e_phnum * sizeof(Elf64_Phdr));
  EXPECT_EQ(pwrite(fd.get(), segments, headers, sizeof(header)), headers);
  if (!note.empty()) {
    EXPECT_EQ(pwrite(fd.get(), note.data(), note.size(), segments[1].p_offset),
              static_cast<ssize_t>(note.size()));
  }
  return path;
}

}  // namespace runsc::util

#endif  // RUNSC_UTIL_ELF_TEST_UTIL_H_
