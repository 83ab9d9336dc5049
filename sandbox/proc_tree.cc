#include "sandbox/proc_tree.h"

#include <dirent.h>
#include <errno.h>

#include <string>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "runsc/util/errno_status.h"
#include "runsc/util/file_util.h"
#include "runsc/util/status_macros.h"

namespace runsc::sandbox {

namespace {

// A /proc file's text; empty once its process is gone (ENOENT, ESRCH),
// and an error where it could not be read (EMFILE, say), which says
// nothing of the process.
absl::StatusOr<std::string> ReadProcFile(const std::string& path) {
  absl::StatusOr<std::string> text = util::ReadFile(path);
  if (absl::IsNotFound(text.status())) return std::string();
  return text;
}

// The pids of a `children` file's text.
std::vector<pid_t> Pids(absl::string_view text) {
  std::vector<pid_t> out;
  for (absl::string_view word : absl::StrSplit(text, ' ', absl::SkipWhitespace())) {
    pid_t pid = 0;
    if (absl::SimpleAtoi(word, &pid)) out.push_back(pid);
  }
  return out;
}

// The children of every thread of `pid`: none once it is gone, an error
// where /proc could not be read.
absl::StatusOr<std::vector<pid_t>> ReadChildren(pid_t pid) {
  std::vector<pid_t> out;
  DIR* dir = opendir(absl::StrCat("/proc/", pid, "/task").c_str());
  if (dir == nullptr) {
    if (errno == ENOENT || errno == ESRCH) return out;
    return util::ErrnoError(errno, absl::StrCat("open /proc/", pid, "/task"));
  }
  std::vector<std::string> tasks;
  while (struct dirent* e = readdir(dir)) {
    if (e->d_name[0] != '.') tasks.push_back(e->d_name);
  }
  closedir(dir);
  for (const std::string& task : tasks) {
    ASSIGN_OR_RETURN(const std::string text,
                     ReadProcFile(absl::StrCat("/proc/", pid, "/task/", task, "/children")));
    for (pid_t child : Pids(text)) out.push_back(child);
  }
  return out;
}

// The last pid of a status file's NSpid line (its pid in the innermost
// PID namespace), if there is one.
std::optional<int> InnermostOf(absl::string_view status) {
  const std::vector<std::string> ids =
      absl::StrSplit(util::StatusTextField(status, "NSpid"), '\t', absl::SkipWhitespace());
  int inner = 0;
  if (ids.empty() || !absl::SimpleAtoi(ids.back(), &inner)) return std::nullopt;
  return inner;
}

// The NSpid line of `pid`: its pid in each PID namespace, host's first.
std::vector<std::string> NsPids(pid_t pid) {
  return absl::StrSplit(util::ProcStatusField(pid, "NSpid"), '\t', absl::SkipWhitespace());
}

}  // namespace

std::vector<pid_t> ChildrenOf(pid_t pid) {
  return ReadChildren(pid).value_or(std::vector<pid_t>{});
}

std::optional<int> InnermostPid(pid_t pid) {
  return InnermostOf(util::ReadFileOrEmpty(absl::StrCat("/proc/", pid, "/status")));
}

absl::StatusOr<bool> HasLiveChild(pid_t parent, int inner) {
  ASSIGN_OR_RETURN(const std::vector<pid_t> children, ReadChildren(parent));
  for (pid_t child : children) {
    ASSIGN_OR_RETURN(const std::string status,
                     ReadProcFile(absl::StrCat("/proc/", child, "/status")));
    if (InnermostOf(status) != inner) continue;
    const std::string state = util::StatusTextField(status, "State");
    return !state.empty() && state[0] != 'Z' && state[0] != 'X';
  }
  return false;
}

absl::StatusOr<pid_t> OnlyChild(pid_t pid) {
  ASSIGN_OR_RETURN(const std::string text,
                   ReadProcFile(absl::StrCat("/proc/", pid, "/task/", pid, "/children")));
  std::vector<pid_t> pids = Pids(text);
  if (pids.size() != 1) {
    return absl::InternalError(
        absl::StrCat("sandbox process ", pid, " has children '", text, "', not one launcher"));
  }
  return pids[0];
}

size_t PidNamespaceDepth(pid_t pid) { return NsPids(pid).size(); }

std::optional<int> PidAtDepth(pid_t pid, size_t depth) {
  const std::vector<std::string> ids = NsPids(pid);
  int at = 0;
  if (depth == 0 || ids.size() < depth || !absl::SimpleAtoi(ids[depth - 1], &at)) {
    return std::nullopt;
  }
  return at;
}

std::map<int, pid_t> DescendantsByPidInNamespaceOf(pid_t root) {
  std::map<int, pid_t> out;
  const size_t depth = PidNamespaceDepth(root);
  if (depth == 0) return out;  // gone
  std::vector<pid_t> todo = {root};
  while (!todo.empty()) {
    const pid_t pid = todo.back();
    todo.pop_back();
    if (std::optional<int> at = PidAtDepth(pid, depth); at.has_value()) out[*at] = pid;
    for (pid_t child : ChildrenOf(pid)) todo.push_back(child);
  }
  return out;
}

}  // namespace runsc::sandbox
