// What runsc reads of an ELF file (its own binary) without loading it: the
// span its loadable segments cover, and its build id.
#ifndef RUNSC_UTIL_ELF_FILE_H_
#define RUNSC_UTIL_ELF_FILE_H_

#include <stddef.h>

#include <string>

#include "absl/status/statusor.h"

namespace runsc::util {

// The length of `fd`'s ELF file that its PT_LOAD segments span (and its
// program headers, which exec reads too). INVALID_ARGUMENT for a file that
// is not a 64-bit ELF file.
absl::StatusOr<size_t> LoadedLength(int fd);

// The GNU build id of the ELF file `fd` (its NT_GNU_BUILD_ID note), in
// lower-case hex; NOT_FOUND for an ELF file without one.
absl::StatusOr<std::string> BuildId(int fd);

}  // namespace runsc::util

#endif  // RUNSC_UTIL_ELF_FILE_H_
