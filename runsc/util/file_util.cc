#include "runsc/util/file_util.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "runsc/util/errno_status.h"
#include "runsc/util/unique_fd.h"

namespace runsc::util {

absl::Status WriteKernelFile(const std::string& path, absl::string_view text) {
  UniqueFd fd(open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) return ErrnoError(errno, absl::StrCat("open '", path, "'"));
  ssize_t n = write(fd.get(), text.data(), text.size());
  if (n != static_cast<ssize_t>(text.size())) {
    return ErrnoError(n < 0 ? errno : EIO,
                      absl::StrCat("write '", path, "' <- '", text, "'"));
  }
  return absl::OkStatus();
}

std::string ReadFileOrEmpty(const std::string& path) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return "";
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd.get(), buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
  return out;
}

}  // namespace runsc::util
