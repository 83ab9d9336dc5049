#include "runsc/util/file_util.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "runsc/util/errno_status.h"
#include "runsc/util/status_macros.h"
#include "runsc/util/unique_fd.h"

namespace runsc::util {

absl::Status MakeDirs(const std::string& path, mode_t mode) {
  if (mkdir(path.c_str(), mode) == 0 || errno == EEXIST) return absl::OkStatus();
  if (errno == ENOENT) {
    const size_t slash = path.find_last_of('/');
    if (slash != std::string::npos && slash > 0) {
      RETURN_IF_ERROR(MakeDirs(path.substr(0, slash), mode));
      if (mkdir(path.c_str(), mode) == 0 || errno == EEXIST) return absl::OkStatus();
    }
  }
  return ErrnoError(errno, absl::StrCat("mkdir '", path, "'"));
}

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

absl::Status WriteSysctls(const std::vector<std::pair<std::string, std::string>>& writes) {
  for (const auto& [path, value] : writes) {
    absl::Status written = WriteKernelFile(absl::StrCat("/proc/sys/", path), value);
    if (!written.ok()) return Annotate(written, absl::StrCat("linux.sysctl (", path, ")"));
  }
  return absl::OkStatus();
}

std::string AtomicWriteTempPrefix(absl::string_view name) {
  return absl::StrCat(".", name, ".tmp-");
}

absl::Status WriteFileAtomically(const std::string& path, absl::string_view contents,
                                 mode_t mode) {
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash + 1);
  const std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  const std::string tmp = absl::StrCat(dir, AtomicWriteTempPrefix(base), getpid());
  UniqueFd fd(open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode));
  if (!fd) return ErrnoError(errno, absl::StrCat("create '", tmp, "'"));
  if (absl::Status written = WriteAll(fd.get(), contents, tmp); !written.ok()) {
    unlink(tmp.c_str());
    return written;
  }
  if (close(fd.release()) != 0) {
    absl::Status status = ErrnoError(errno, absl::StrCat("close '", tmp, "'"));
    unlink(tmp.c_str());
    return status;
  }
  // Over a file that exists, an exchange and then an unlink of the old one
  // (ReplaceFile says why).
  absl::StatusOr<bool> exchanged = ReplaceFile(tmp, path);
  if (!exchanged.ok()) {
    unlink(tmp.c_str());
    return exchanged.status();
  }
  if (*exchanged && unlink(tmp.c_str()) != 0) {
    // What was there is not a file (a directory): put it back, and fail as
    // a rename over it does.
    const int err = errno;
    if (ReplaceFile(tmp, path).ok()) unlink(tmp.c_str());
    return ErrnoError(err, absl::StrCat("put '", tmp, "' in place of '", path, "'"));
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> ReplaceFile(const std::string& from, const std::string& to) {
  if (syscall(SYS_renameat2, AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_EXCHANGE) == 0) {
    return true;
  }
  // Nothing at `to` yet, a filesystem without exchanges, or a kernel
  // without renameat2: a rename.
  if ((errno != ENOENT && errno != EINVAL && errno != ENOSYS) ||
      rename(from.c_str(), to.c_str()) != 0) {
    return ErrnoError(errno, absl::StrCat("put '", from, "' in place of '", to, "'"));
  }
  return false;
}

absl::Status WriteAll(int fd, absl::string_view data, absl::string_view what) {
  while (!data.empty()) {
    const ssize_t n = write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return ErrnoError(n < 0 ? errno : EIO, absl::StrCat("write '", what, "'"));
    data.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

absl::Status PwriteAll(int fd, absl::string_view data, off_t offset, absl::string_view what) {
  while (!data.empty()) {
    const ssize_t n = pwrite(fd, data.data(), data.size(), offset);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return ErrnoError(n < 0 ? errno : EIO, absl::StrCat("write '", what, "'"));
    data.remove_prefix(static_cast<size_t>(n));
    offset += n;
  }
  return absl::OkStatus();
}

absl::Status PreadAll(int fd, char* buf, size_t n, off_t offset, absl::string_view what) {
  for (size_t done = 0; done < n;) {
    const ssize_t got = pread(fd, buf + done, n - done, offset + static_cast<off_t>(done));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return ErrnoError(got < 0 ? errno : EIO, absl::StrCat("read '", what, "'"));
    done += static_cast<size_t>(got);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return ErrnoError(errno, absl::StrCat("open '", path, "'"));
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd.get(), buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
  if (n < 0) return ErrnoError(errno, absl::StrCat("read '", path, "'"));
  return out;
}

absl::StatusOr<std::string> ReadRegularFile(const std::string& path, size_t max_bytes,
                                            int open_flags, bool pipes_too) {
  // O_NONBLOCK: a FIFO would hold the open until a writer came.
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | open_flags));
  if (!fd) return ErrnoError(errno, absl::StrCat("open '", path, "'"));
  struct stat st;
  if (fstat(fd.get(), &st) != 0) return ErrnoError(errno, absl::StrCat("stat '", path, "'"));
  if (pipes_too && S_ISFIFO(st.st_mode)) {
    // Its writer is the caller's: read as it writes.
    if (fcntl(fd.get(), F_SETFL, fcntl(fd.get(), F_GETFL) & ~O_NONBLOCK) != 0) {
      return ErrnoError(errno, absl::StrCat("fcntl '", path, "'"));
    }
  } else if (!S_ISREG(st.st_mode)) {
    return absl::InvalidArgumentError(absl::StrCat("'", path, "' is not a regular file"));
  }
  std::string out;
  char buf[8192];
  ssize_t n;
  while ((n = read(fd.get(), buf, sizeof(buf))) > 0) {
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > max_bytes) {
      return absl::InvalidArgumentError(
          absl::StrCat("'", path, "' is larger than ", max_bytes, " bytes"));
    }
  }
  if (n < 0) return ErrnoError(errno, absl::StrCat("read '", path, "'"));
  return out;
}

std::string ReadFileOrEmpty(const std::string& path) { return ReadFile(path).value_or(""); }

std::string ProcStatusField(pid_t pid, absl::string_view key) {
  return StatusTextField(ReadFileOrEmpty(absl::StrCat("/proc/", pid, "/status")), key);
}

std::string StatusTextField(absl::string_view status, absl::string_view key) {
  for (absl::string_view line : absl::StrSplit(status, '\n')) {
    if (absl::ConsumePrefix(&line, key) && absl::ConsumePrefix(&line, ":")) {
      return std::string(absl::StripAsciiWhitespace(line));
    }
  }
  return "";
}

}  // namespace runsc::util
