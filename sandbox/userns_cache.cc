#include "sandbox/userns_cache.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "runsc/util/errno_status.h"
#include "runsc/util/file_util.h"
#include "runsc/util/status_macros.h"
#include "sandbox/child_process.h"

namespace runsc::sandbox {

using specutils::IdMapping;
using util::ErrnoError;
using util::UniqueFd;

namespace {

std::string SortedLines(std::vector<IdMapping> map) {
  std::sort(map.begin(), map.end(), [](const IdMapping& a, const IdMapping& b) {
    return std::tie(a.container_id, a.host_id, a.size) <
           std::tie(b.container_id, b.host_id, b.size);
  });
  return specutils::FormatIdMap(map);
}


}  // namespace

std::string UsernsCache::MappingKey(const std::vector<IdMapping>& uid_map,
                                    const std::vector<IdMapping>& gid_map) {
  return absl::StrCat("u:", SortedLines(uid_map), "g:", SortedLines(gid_map));
}

int UsernsCache::created() const {
  absl::MutexLock lock(&mu_);
  return created_;
}

size_t UsernsCache::size() const {
  absl::MutexLock lock(&mu_);
  return entries_.size();
}

absl::StatusOr<UniqueFd> UsernsCache::Get(const std::vector<IdMapping>& uid_map,
                                          const std::vector<IdMapping>& gid_map) {
  RETURN_IF_ERROR(specutils::ValidateIdMap(uid_map));
  RETURN_IF_ERROR(specutils::ValidateIdMap(gid_map));
  const std::string key = MappingKey(uid_map, gid_map);
  absl::MutexLock lock(&mu_);
  auto dup_of = [](const UniqueFd& fd) -> absl::StatusOr<UniqueFd> {
    UniqueFd copy(fcntl(fd.get(), F_DUPFD_CLOEXEC, 0));
    if (!copy) return ErrnoError(errno, "dup a user namespace fd");
    return copy;
  };
  auto it = entries_.find(key);
  if (it != entries_.end()) {
    it->second.last_used = ++uses_;
    return dup_of(it->second.fd);
  }

  // A child that only exists to own the namespace: it waits in read() on a
  // pipe until we hold the ns fd. Async-signal-safe calls only in it.
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) return ErrnoError(errno, "pipe2");
  UniqueFd rd(pipe_fds[0]), wr(pipe_fds[1]);
  int pidfd = -1;
  struct clone_args args = {};
  args.flags = CLONE_NEWUSER | CLONE_PIDFD;
  args.pidfd = reinterpret_cast<uint64_t>(&pidfd);
  args.exit_signal = SIGCHLD;
  long pid = syscall(SYS_clone3, &args, sizeof(args));
  if (pid == 0) {
    close(wr.get());  // our copy would keep the pipe open forever
    char c;
    ssize_t ignored = read(rd.get(), &c, 1);
    (void)ignored;
    _exit(0);
  }
  if (pid < 0) return ErrnoError(errno, "clone3(CLONE_NEWUSER) for an idmap namespace");
  ChildProcess holder(static_cast<pid_t>(pid), UniqueFd(pidfd));
  const std::string proc = absl::StrCat("/proc/", holder.pid(), "/");
  RETURN_IF_ERROR(util::WriteKernelFile(proc + "uid_map", specutils::FormatIdMap(uid_map)));
  RETURN_IF_ERROR(util::WriteKernelFile(proc + "gid_map", specutils::FormatIdMap(gid_map)));
  std::string ns_path = absl::StrCat("/proc/", holder.pid(), "/ns/user");
  UniqueFd ns(open(ns_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!ns) return ErrnoError(errno, absl::StrCat("open '", ns_path, "'"));
  wr.reset();  // lets the holder exit; the ns lives on through our fd
  absl::StatusOr<ExitStatus> exit = holder.Wait(absl::Seconds(10));
  if (!exit.ok()) return exit.status();
  ++created_;
  absl::StatusOr<UniqueFd> out = dup_of(ns);
  if (!out.ok()) return out.status();
  if (entries_.size() >= capacity_ && !entries_.empty()) {
    auto oldest = std::min_element(entries_.begin(), entries_.end(), [](auto& a, auto& b) {
      return a.second.last_used < b.second.last_used;
    });
    entries_.erase(oldest);
  }
  if (capacity_ > 0) entries_[key] = Entry{std::move(ns), ++uses_};
  return out;
}

}  // namespace runsc::sandbox
