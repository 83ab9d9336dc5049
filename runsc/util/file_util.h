// Small file helpers for kernel interface files (/proc, cgroupfs).
#ifndef RUNSC_UTIL_FILE_UTIL_H_
#define RUNSC_UTIL_FILE_UTIL_H_

#include <sys/types.h>

#include <string>
#include <vector>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace runsc::util {

// Opens an existing file write-only and writes `text` in one write(2) call,
// as uid_map, gid_map and cgroup control files require. Errors name the
// path and the text.
absl::Status WriteKernelFile(const std::string& path, absl::string_view text);

// mkdir -p: `path` and any missing parents, each with `mode`; one mkdir when
// the parent exists (the usual case), walking up only on ENOENT.
absl::Status MakeDirs(const std::string& path, mode_t mode);

// Writes each (path under /proc/sys, value) of a container's linux.sysctl
// with WriteKernelFile; an error names the parameter's path.
absl::Status WriteSysctls(const std::vector<std::pair<std::string, std::string>>& writes);

// Replaces `path` with `contents` atomically: a temporary file beside it
// (created with `mode`, never through a symlink), then a rename (over a
// file that exists, an exchange and an unlink, which ext4 does not write
// out to disk). A directory at `path` is left as it is (EISDIR). Readers,
// and a writer that crashed and restarted, see the old file or the new one,
// whole. Not fsynced: what runsc writes this way (records and pid files of
// live processes) means nothing after the machine itself goes down, and an
// fsync on a disk-backed /run cost up to 24 ms per write.
absl::Status WriteFileAtomically(const std::string& path, absl::string_view contents,
                                 mode_t mode = 0600);
// Puts `from` in place of `to`, atomically for readers of `to`: an exchange
// where `to` exists (true: `from` then names what `to` was), else a rename
// (false). ext4 starts writing a file out to disk when it is renamed over
// another (auto_da_alloc), a disk write and about 60 us for every save of a
// record, but not on an exchange.
absl::StatusOr<bool> ReplaceFile(const std::string& from, const std::string& to);
// How the name of WriteFileAtomically's temporary file for a file named
// `name` begins (the writer's pid follows): what a writer that died in the
// middle leaves beside the file.
std::string AtomicWriteTempPrefix(absl::string_view name);

// Writes all of `data` to `fd` at its offset, going on after short writes
// and EINTR; an error names `what` (a write that makes no progress is EIO).
absl::Status WriteAll(int fd, absl::string_view data, absl::string_view what);
// The same at `offset` (pwrite), leaving the fd's offset alone.
absl::Status PwriteAll(int fd, absl::string_view data, off_t offset, absl::string_view what);
// Reads exactly `n` bytes at `offset` (pread), going on after short reads
// and EINTR; an end of file before them is EIO. An error names `what`.
absl::Status PreadAll(int fd, char* buf, size_t n, off_t offset, absl::string_view what);

// The whole content of a (small) file, or "" if it cannot be read.
std::string ReadFileOrEmpty(const std::string& path);
// The whole file, or an error naming it.
absl::StatusOr<std::string> ReadFile(const std::string& path);
// The whole of a file a caller names (a spec, a process file): only a
// regular file (a FIFO or a device in its place is refused, not waited on
// or read for ever) of at most `max_bytes`, else INVALID_ARGUMENT naming
// it. `open_flags` are added to the open's (O_NOFOLLOW, say). With
// `pipes_too`, a pipe or FIFO is read as well, to its end or the bound (a
// command's own caller may say `--process /dev/stdin`, as runc takes).
absl::StatusOr<std::string> ReadRegularFile(const std::string& path, size_t max_bytes,
                                            int open_flags = 0, bool pipes_too = false);

// The value of `key` ("PPid", "NSpid", "Groups"...) in /proc/<pid>/status,
// without the key, colon and surrounding blanks; "" if the process or the
// line is missing.
std::string ProcStatusField(pid_t pid, absl::string_view key);
// The same, in the text of a status file read already.
std::string StatusTextField(absl::string_view status, absl::string_view key);

}  // namespace runsc::util

#endif  // RUNSC_UTIL_FILE_UTIL_H_
