#include "sandbox/container_files.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/openat2.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <iterator>
#include <optional>
#include <utility>
#include <vector>

#include "absl/base/attributes.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "runsc/util/errno_status.h"
#include "runsc/util/file_util.h"
#include "runsc/util/status_macros.h"

namespace runsc::sandbox {

using util::ErrnoError;
using util::UniqueFd;

namespace {

constexpr uint32_t kOverflowId = 65534;

// The calling thread acts as the container's root for the scope of one
// call: its file-system ids are that root's host ids, it has no
// supplementary group, and no capability is effective. The fsuid alone
// drops only the file capabilities (DAC_OVERRIDE, FOWNER, ...): host root's
// others would still open what checks them rather than a file's mode (the
// launcher's /proc/1/environ through CAP_SYS_PTRACE, a PCI device's whole
// config space through CAP_SYS_ADMIN). All of it is the thread's own: raw
// system calls, which glibc does not broadcast to the other threads (its
// setfsuid never does). The end gives it all back.
class ScopedFsIds {
 public:
  ScopedFsIds(uint32_t uid, uint32_t gid) {
    header_.version = _LINUX_CAPABILITY_VERSION_3;
    header_.pid = 0;
    if (syscall(SYS_capget, &header_, saved_) != 0) {
      status_ = ErrnoError(errno, "capget of the copying thread");
      return;
    }
    saved_caps_ = true;
    const int count = getgroups(0, nullptr);
    if (count > 0) {
      groups_.resize(static_cast<size_t>(count));
      if (getgroups(count, groups_.data()) != count) groups_.clear();
    }
    if (!groups_.empty() && syscall(SYS_setgroups, 0, nullptr) != 0) {
      status_ = ErrnoError(errno, "drop the copying thread's supplementary groups");
      groups_.clear();
      return;
    }
    setfsgid(gid);
    setfsuid(uid);
    struct __user_cap_data_struct none[_LINUX_CAPABILITY_U32S_3];
    std::copy(std::begin(saved_), std::end(saved_), std::begin(none));
    for (auto& data : none) data.effective = 0;
    if (syscall(SYS_capset, &header_, none) != 0) {
      status_ = ErrnoError(errno, "drop the copying thread's capabilities");
    }
  }
  ~ScopedFsIds() {
    if (saved_caps_) syscall(SYS_capset, &header_, saved_);
    setfsuid(0);
    setfsgid(0);
    if (!groups_.empty()) syscall(SYS_setgroups, groups_.size(), groups_.data());
  }
  ScopedFsIds(const ScopedFsIds&) = delete;
  ScopedFsIds& operator=(const ScopedFsIds&) = delete;

  // Not OK if the thread could not become the container's root: no copy then.
  const absl::Status& status() const { return status_; }

 private:
  struct __user_cap_header_struct header_ = {};
  struct __user_cap_data_struct saved_[_LINUX_CAPABILITY_U32S_3] = {};
  bool saved_caps_ = false;
  std::vector<gid_t> groups_;
  absl::Status status_;
};

// At most this many tries of an openat2 that a rename or mount elsewhere
// keeps interrupting (EAGAIN): a workload that keeps renaming cannot hold
// a copy for ever.
constexpr int kMaxResolveTries = 64;

// Resolves `path` under `root` as if `root` were "/": no "..", absolute
// symlink or magic link gets out.
absl::StatusOr<UniqueFd> OpenInRoot(int root, const std::string& path, uint64_t flags,
                                    mode_t mode = 0) {
  struct open_how how = {};
  how.flags = flags | O_CLOEXEC;
  how.mode = mode;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  const std::string rel = path.empty() ? "." : path;
  int fd = -1;
  for (int tries = 0; tries < kMaxResolveTries; ++tries) {
    fd = static_cast<int>(syscall(SYS_openat2, root, rel.c_str(), &how, sizeof(how)));
    if (fd >= 0 || errno != EAGAIN) break;
  }
  if (fd >= 0) return UniqueFd(fd);
  if (errno == ELOOP) {
    return absl::FailedPreconditionError(
        absl::StrCat("'", path, "' in the container: too many symlinks, or a magic link (ELOOP)"));
  }
  if (errno == EAGAIN) {
    return absl::UnavailableError(absl::StrCat(
        "'", path, "' in the container: renames kept interrupting its resolution; try again"));
  }
  return ErrnoError(errno, absl::StrCat("open '", path, "' in the container"));
}

std::string Join(const std::string& dir, const std::string& name) {
  if (dir.empty() || dir == "/") return absl::StrCat("/", name);
  return absl::StrCat(dir, "/", name);
}

// Removes whatever non-directory is at `name`, so a new entry replaces it
// (and a symlink there is never written through).
absl::Status ClearName(int dir, const std::string& name, const std::string& shown) {
  struct stat st;
  if (fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return absl::OkStatus();
    return ErrnoError(errno, absl::StrCat("stat '", shown, "'"));
  }
  if (S_ISDIR(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat("'", shown, "' is a directory in the container; the archive has a file"));
  }
  if (unlinkat(dir, name.c_str(), 0) != 0) {
    return ErrnoError(errno, absl::StrCat("replace '", shown, "'"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<ContainerFiles>> ContainerFiles::Open(pid_t sandbox,
                                                                     pid_t launcher,
                                                                     specutils::WorkloadIds ids) {
  const std::optional<uint32_t> root_uid = specutils::MapId(ids.uids, 0);
  const std::optional<uint32_t> root_gid = specutils::MapId(ids.gids, 0);
  if (!root_uid.has_value() || !root_gid.has_value()) {
    return absl::FailedPreconditionError(
        "the container's root (uid and gid 0) has no host id to copy files as");
  }
  // Pin the process first; what /proc says of the pid afterwards is that
  // process's as long as the pidfd shows it alive at the end.
  UniqueFd pidfd(static_cast<int>(syscall(SYS_pidfd_open, launcher, 0)));
  if (!pidfd) return ErrnoError(errno, absl::StrCat("pidfd_open launcher ", launcher));
  int parent = 0;
  (void)absl::SimpleAtoi(util::ProcStatusField(launcher, "PPid"), &parent);
  const std::string path = absl::StrCat("/proc/", launcher, "/root");
  UniqueFd root(open(path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root) return ErrnoError(errno, absl::StrCat("open the container's root '", path, "'"));
  if (parent != sandbox || syscall(SYS_pidfd_send_signal, pidfd.get(), 0, nullptr, 0) != 0) {
    return absl::UnavailableError(
        absl::StrCat("the launcher of sandbox process ", sandbox, " is gone"));
  }
  return std::unique_ptr<ContainerFiles>(
      new ContainerFiles(std::move(root), std::move(ids), *root_uid, *root_gid));
}

absl::StatusOr<std::unique_ptr<ContainerFiles::Extraction>> ContainerFiles::CopyIn(
    const std::string& dest) {
  ScopedFsIds fs_ids(root_uid_, root_gid_);
  RETURN_IF_ERROR(fs_ids.status());
  ASSIGN_OR_RETURN(UniqueFd dir, OpenInRoot(root_.get(), dest, O_PATH | O_DIRECTORY));
  return std::unique_ptr<Extraction>(new Extraction(std::move(dir), dest, root_uid_, root_gid_));
}

ContainerFiles::Extraction::Extraction(UniqueFd dest_dir, std::string dest, uint32_t uid,
                                       uint32_t gid)
    : dest_dir_(std::move(dest_dir)), dest_(std::move(dest)), uid_(uid), gid_(gid) {}

ContainerFiles::Extraction::~Extraction() = default;

absl::Status ContainerFiles::Extraction::Feed(absl::string_view data) {
  ScopedFsIds fs_ids(uid_, gid_);
  RETURN_IF_ERROR(fs_ids.status());
  return reader_.Feed(data);
}

absl::StatusOr<ContainerFiles::Extraction::Summary> ContainerFiles::Extraction::Finish() {
  ScopedFsIds fs_ids(uid_, gid_);
  RETURN_IF_ERROR(fs_ids.status());
  RETURN_IF_ERROR(reader_.Finish());
  return Summary{reader_.entries(), bytes_};
}

absl::StatusOr<UniqueFd> ContainerFiles::Extraction::MakeDirs(const std::string& relative,
                                                              uint32_t mode) {
  UniqueFd dir(fcntl(dest_dir_.get(), F_DUPFD_CLOEXEC, 0));
  if (!dir) return ErrnoError(errno, absl::StrCat("dup the fd of '", dest_, "'"));
  std::string shown = dest_;
  for (absl::string_view part : absl::StrSplit(relative, '/', absl::SkipEmpty())) {
    const std::string name(part);
    shown = Join(shown, name);
    if (mkdirat(dir.get(), name.c_str(), mode) != 0 && errno != EEXIST) {
      return ErrnoError(errno, absl::StrCat("mkdir '", shown, "' in the container"));
    }
    // Never through a symlink: an existing one in the way is an error.
    UniqueFd next(openat(dir.get(), name.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!next) {
      return ErrnoError(errno, absl::StrCat("open directory '", shown, "' in the container"));
    }
    dir = std::move(next);
  }
  return dir;
}

absl::Status ContainerFiles::Extraction::OnEntry(const TarEntry& entry) {
  if (++entries_ > kMaxCopyInEntries) {
    return absl::ResourceExhaustedError(
        absl::StrCat("CopyIn: the archive holds more than ", kMaxCopyInEntries, " entries"));
  }
  const size_t depth = static_cast<size_t>(std::count(entry.path.begin(), entry.path.end(), '/'));
  if (depth >= static_cast<size_t>(kMaxCopyOutDepth)) {
    constexpr size_t kShown = 128;  // of a path that may be 1 MiB long
    return absl::ResourceExhaustedError(
        absl::StrCat("CopyIn: entry '", entry.path.substr(0, kShown),
                     entry.path.size() > kShown ? "..." : "", "' is nested ", depth,
                     " directories deep, and no more than ", kMaxCopyOutDepth, " are copied"));
  }
  current_ = entry;
  const size_t slash = entry.path.rfind('/');
  const std::string parent = slash == std::string::npos ? "" : entry.path.substr(0, slash);
  const std::string name = slash == std::string::npos ? entry.path : entry.path.substr(slash + 1);
  const std::string shown = Join(dest_, entry.path);
  if (entry.type == TarEntry::Type::kDirectory) {
    ASSIGN_OR_RETURN(UniqueFd dir, MakeDirs(entry.path, entry.mode | 0700));
    // Through /proc/self/fd: an O_PATH fd cannot be fchmod-ed directly. A
    // directory that was there before may belong to another container user
    // and keeps its mode then (EPERM), as with tar run by a non-owner.
    const std::string self = absl::StrCat("/proc/self/fd/", dir.get());
    if (chmod(self.c_str(), entry.mode) != 0 && errno != EPERM) {
      return ErrnoError(errno, absl::StrCat("chmod '", shown, "'"));
    }
    return absl::OkStatus();
  }
  // Refused before anything of the container's is replaced.
  if (entry.type != TarEntry::Type::kSymlink && bytes_ + entry.size > kMaxCopyInBytes) {
    return absl::ResourceExhaustedError(absl::StrCat("CopyIn: the archive holds more than ",
                                                     kMaxCopyInBytes, " bytes of file data"));
  }
  ASSIGN_OR_RETURN(UniqueFd dir, MakeDirs(parent, 0755));
  RETURN_IF_ERROR(ClearName(dir.get(), name, shown));
  if (entry.type == TarEntry::Type::kSymlink) {
    if (symlinkat(entry.link_target.c_str(), dir.get(), name.c_str()) != 0) {
      return ErrnoError(errno, absl::StrCat("symlink '", shown, "'"));
    }
    return absl::OkStatus();
  }
  file_.reset(openat(dir.get(), name.c_str(),
                     O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, entry.mode & 0777));
  if (!file_) return ErrnoError(errno, absl::StrCat("create '", shown, "' in the container"));
  if (fchmod(file_.get(), entry.mode) != 0) {
    return ErrnoError(errno, absl::StrCat("chmod '", shown, "'"));
  }
  return absl::OkStatus();
}

absl::Status ContainerFiles::Extraction::OnData(absl::string_view data) {
  RETURN_IF_ERROR(util::WriteAll(file_.get(), data, Join(dest_, current_.path)));
  bytes_ += data.size();
  return absl::OkStatus();
}

absl::Status ContainerFiles::Extraction::OnEntryEnd() {
  if (file_) {
    struct timespec times[2] = {{0, UTIME_OMIT}, {current_.mtime, 0}};
    futimens(file_.get(), times);
    file_.reset();
  }
  return absl::OkStatus();
}

namespace {

// Walks one tree for CopyOut.
class TreeWriter {
 public:
  // `base`: the directory in the container that tar paths are relative
  // to, for messages.
  TreeWriter(TarWriter* tar, const specutils::WorkloadIds* ids, dev_t device, std::string base)
      : tar_(tar), ids_(ids), device_(device), base_(std::move(base)) {}

  // `fd` is an O_PATH fd of the object named `name` (its tar path),
  // `depth` directories below the path copied.
  absl::Status Write(int fd, const std::string& name, const struct stat& st, int depth = 0) {
    TarEntry entry;
    entry.path = name;
    entry.mode = st.st_mode & 07777;
    entry.uid = specutils::UnmapId(ids_->uids, st.st_uid).value_or(kOverflowId);
    entry.gid = specutils::UnmapId(ids_->gids, st.st_gid).value_or(kOverflowId);
    entry.mtime = st.st_mtim.tv_sec;
    if (S_ISLNK(st.st_mode)) return WriteSymlink(fd, entry);
    if (S_ISREG(st.st_mode)) return WriteFile(fd, entry, st);
    if (S_ISDIR(st.st_mode)) return WriteDir(fd, entry, st, depth);
    return absl::OkStatus();  // devices, FIFOs, sockets: not copied
  }

 private:
  std::string Shown(const std::string& path) const { return Join(base_, path); }

  // Not inlined: its buffer stays out of the frames of the walk's recursion.
  ABSL_ATTRIBUTE_NOINLINE absl::Status WriteSymlink(int fd, TarEntry& entry) {
    char target[PATH_MAX];
    ssize_t n = readlinkat(fd, "", target, sizeof(target));
    if (n < 0) return ErrnoError(errno, absl::StrCat("readlink '", Shown(entry.path), "'"));
    entry.type = TarEntry::Type::kSymlink;
    entry.link_target.assign(target, static_cast<size_t>(n));
    return tar_->WriteHeader(entry);
  }

  absl::Status WriteFile(int fd, TarEntry& entry, const struct stat& st) {
    // The container's file, not the request, is what cannot be copied (a
    // sparse one, say): not the writer's INVALID_ARGUMENT.
    if (static_cast<uint64_t>(st.st_size) > kMaxTarFileSize) {
      return absl::FailedPreconditionError(
          absl::StrCat("'", Shown(entry.path), "' holds ", st.st_size,
                       " bytes; CopyOut copies files of up to 2^40 bytes"));
    }
    // Reopened through its magic link: the very inode fstat-ed, not a path
    // that could have been swapped since.
    const std::string self = absl::StrCat("/proc/self/fd/", fd);
    // O_NONBLOCK: a lease the workload took on the file refuses the open
    // (EWOULDBLOCK, UNAVAILABLE) instead of holding it for the lease's
    // break time; a regular file's reads do not heed it.
    UniqueFd file(open(self.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
    if (!file && errno == EWOULDBLOCK) {
      return absl::UnavailableError(absl::StrCat(
          "'", Shown(entry.path), "' is leased by a process of the container; try again"));
    }
    if (!file) return ErrnoError(errno, absl::StrCat("open '", Shown(entry.path), "'"));
    entry.type = TarEntry::Type::kFile;
    entry.size = static_cast<uint64_t>(st.st_size);
    RETURN_IF_ERROR(tar_->WriteHeader(entry));
    // Exactly the size announced, even if the file changes meanwhile.
    std::vector<char> buf(64 * 1024);
    uint64_t left = entry.size;
    while (left > 0) {
      ssize_t n = read(file.get(), buf.data(), std::min<uint64_t>(left, buf.size()));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return ErrnoError(errno, absl::StrCat("read '", Shown(entry.path), "'"));
      if (n == 0) {  // shrunk: pad with zeros
        std::fill(buf.begin(), buf.end(), 0);
        n = static_cast<ssize_t>(std::min<uint64_t>(left, buf.size()));
      }
      RETURN_IF_ERROR(tar_->WriteData(absl::string_view(buf.data(), static_cast<size_t>(n))));
      left -= static_cast<uint64_t>(n);
    }
    return absl::OkStatus();
  }

  absl::Status WriteDir(int fd, TarEntry& entry, const struct stat& st, int depth) {
    entry.type = TarEntry::Type::kDirectory;
    if (!entry.path.empty()) RETURN_IF_ERROR(tar_->WriteHeader(entry));
    if (st.st_dev != device_) return absl::OkStatus();  // another mount: not entered
    if (depth >= ContainerFiles::kMaxCopyOutDepth) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "CopyOut: '", Shown(entry.path), "' is nested ", depth,
          " directories deep, and no more than ", ContainerFiles::kMaxCopyOutDepth, " are copied"));
    }
    const std::string self = absl::StrCat("/proc/self/fd/", fd);
    UniqueFd dir(open(self.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dir) return ErrnoError(errno, absl::StrCat("open directory '", Shown(entry.path), "'"));
    std::vector<std::string> names;
    {
      DIR* d = fdopendir(fcntl(dir.get(), F_DUPFD_CLOEXEC, 0));
      if (d == nullptr) return ErrnoError(errno, absl::StrCat("list '", Shown(entry.path), "'"));
      while (struct dirent* e = readdir(d)) {
        std::string n = e->d_name;
        if (n == "." || n == "..") continue;
        if (names.size() == ContainerFiles::kMaxCopyOutDirEntries) {
          closedir(d);
          return absl::ResourceExhaustedError(
              absl::StrCat("CopyOut: directory '", Shown(entry.path), "' holds more than ",
                           ContainerFiles::kMaxCopyOutDirEntries, " entries"));
        }
        names.push_back(std::move(n));
      }
      closedir(d);
    }
    std::sort(names.begin(), names.end());
    for (const std::string& n : names) {
      const std::string path = entry.path.empty() ? n : absl::StrCat(entry.path, "/", n);
      UniqueFd child(openat(dir.get(), n.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
      if (!child) {
        if (errno == ENOENT) continue;  // gone meanwhile
        // Never an archive that leaves it out without a word (EMFILE, ...).
        return ErrnoError(errno, absl::StrCat("open '", Shown(path), "'"));
      }
      struct stat cst;
      if (fstatat(child.get(), "", &cst, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) != 0) {
        return ErrnoError(errno, absl::StrCat("stat '", Shown(path), "'"));
      }
      RETURN_IF_ERROR(Write(child.get(), path, cst, depth + 1));
    }
    return absl::OkStatus();
  }

  TarWriter* const tar_;
  const specutils::WorkloadIds* ids_;
  const dev_t device_;
  const std::string base_;
};

}  // namespace

absl::Status ContainerFiles::CopyOut(const std::string& path,
                                     const std::function<absl::Status(absl::string_view)>& sink) {
  ScopedFsIds fs_ids(root_uid_, root_gid_);
  RETURN_IF_ERROR(fs_ids.status());
  // The last component is not followed: a symlink is copied as one.
  const size_t last = path.find_last_not_of('/');
  const std::string trimmed = last == std::string::npos ? "" : path.substr(0, last + 1);
  const size_t slash = trimmed.rfind('/');
  const std::string parent = slash == std::string::npos || slash == 0 ? "/" : trimmed.substr(0, slash);
  const std::string name = slash == std::string::npos ? trimmed : trimmed.substr(slash + 1);
  if (name == "." || name == "..") {
    return absl::InvalidArgumentError(absl::StrCat("path: '", path, "' must name an object"));
  }
  ASSIGN_OR_RETURN(UniqueFd dir, OpenInRoot(root_.get(), parent, O_PATH | O_DIRECTORY));
  UniqueFd target = name.empty() ? std::move(dir)
                                 : UniqueFd(openat(dir.get(), name.c_str(),
                                                   O_PATH | O_NOFOLLOW | O_CLOEXEC));
  if (!target) return ErrnoError(errno, absl::StrCat("open '", path, "' in the container"));
  struct stat st;
  if (fstatat(target.get(), "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) != 0) {
    return ErrnoError(errno, absl::StrCat("stat '", path, "' in the container"));
  }
  TarWriter tar(sink);
  TreeWriter writer(&tar, &ids_, st.st_dev, parent);
  RETURN_IF_ERROR(writer.Write(target.get(), name, st));
  return tar.Finish();
}

}  // namespace runsc::sandbox
