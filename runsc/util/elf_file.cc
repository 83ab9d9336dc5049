#include "runsc/util/elf_file.h"

#include <elf.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/string_view.h"
#include "runsc/util/status_macros.h"

namespace runsc::util {
namespace {

struct ProgramHeaders {
  Elf64_Ehdr header;
  std::vector<Elf64_Phdr> segments;
};

absl::StatusOr<ProgramHeaders> ReadProgramHeaders(int fd) {
  ProgramHeaders out;
  Elf64_Ehdr& header = out.header;
  if (pread(fd, &header, sizeof(header), 0) != static_cast<ssize_t>(sizeof(header)) ||
      memcmp(header.e_ident, ELFMAG, SELFMAG) != 0 || header.e_ident[EI_CLASS] != ELFCLASS64 ||
      header.e_phentsize != sizeof(Elf64_Phdr) || header.e_phnum == 0) {
    return absl::InvalidArgumentError("not a 64-bit ELF file");
  }
  out.segments.resize(header.e_phnum);
  const ssize_t want = static_cast<ssize_t>(out.segments.size() * sizeof(Elf64_Phdr));
  if (pread(fd, out.segments.data(), want, static_cast<off_t>(header.e_phoff)) != want) {
    return absl::InvalidArgumentError("truncated ELF program headers");
  }
  return out;
}

// 4-byte alignment of a note's name and descriptor (ELF64 notes too, as
// every toolchain writes them).
size_t NoteAlign(size_t n) { return (n + 3) & ~size_t{3}; }

}  // namespace

absl::StatusOr<size_t> LoadedLength(int fd) {
  ASSIGN_OR_RETURN(ProgramHeaders elf, ReadProgramHeaders(fd));
  size_t end = 0;
  for (const Elf64_Phdr& s : elf.segments) {
    if (s.p_type == PT_LOAD) end = std::max<size_t>(end, s.p_offset + s.p_filesz);
  }
  // The headers themselves are read at exec: never cut below them.
  end = std::max<size_t>(end, elf.header.e_phoff + elf.segments.size() * sizeof(Elf64_Phdr));
  if (end == 0) return absl::InvalidArgumentError("an ELF file with nothing to load");
  return end;
}

absl::StatusOr<std::string> BuildId(int fd) {
  ASSIGN_OR_RETURN(ProgramHeaders elf, ReadProgramHeaders(fd));
  // A note segment holds a few short notes; a larger one is not read.
  constexpr size_t kMaxNotes = 64 << 10;
  for (const Elf64_Phdr& s : elf.segments) {
    if (s.p_type != PT_NOTE || s.p_filesz == 0 || s.p_filesz > kMaxNotes) continue;
    std::string notes(s.p_filesz, '\0');
    if (pread(fd, notes.data(), notes.size(), static_cast<off_t>(s.p_offset)) !=
        static_cast<ssize_t>(notes.size())) {
      return absl::InvalidArgumentError("truncated ELF note segment");
    }
    size_t at = 0;
    while (at + sizeof(Elf64_Nhdr) <= notes.size()) {
      Elf64_Nhdr note;
      memcpy(&note, notes.data() + at, sizeof(note));
      const size_t name_at = at + sizeof(note);
      const size_t desc_at = name_at + NoteAlign(note.n_namesz);
      const size_t next = desc_at + NoteAlign(note.n_descsz);
      if (desc_at > notes.size() || next > notes.size()) break;
      if (note.n_type == NT_GNU_BUILD_ID && note.n_namesz == 4 &&
          memcmp(notes.data() + name_at, "GNU", 4) == 0 && note.n_descsz > 0) {
        return absl::BytesToHexString(absl::string_view(notes.data() + desc_at, note.n_descsz));
      }
      at = next;
    }
  }
  return absl::NotFoundError("no GNU build id note");
}

}  // namespace runsc::util
