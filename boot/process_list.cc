#include "boot/process_list.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "runsc/util/json_string.h"
#include "runsc/util/unique_fd.h"

namespace runsc::boot {

std::vector<std::string> ReadCommandLine(int proc_dir, pid_t pid, size_t max_bytes) {
  std::vector<std::string> args;
  util::UniqueFd fd(openat(proc_dir, absl::StrCat(pid, "/cmdline").c_str(),
                           O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
  if (!fd) return args;
  std::string text(max_bytes, '\0');
  size_t got = 0;
  while (got < max_bytes) {
    const ssize_t n = read(fd.get(), text.data() + got, max_bytes - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  text.resize(got);
  for (absl::string_view a : absl::StrSplit(text, '\0', absl::SkipEmpty())) {
    args.emplace_back(a);
  }
  return args;
}

namespace {

// An entry's encoding besides its arguments: its tag and length, the pid
// (up to 5 bytes of varint), the main flag.
constexpr size_t kEntryOverhead = 16;
// A string's tag and length prefix (lengths under 16 KiB).
constexpr size_t kStringOverhead = 3;
constexpr char kCut[] = "...";

// The longest prefix of well-formed `text` that takes at most `max` bytes:
// a cut never splits a character.
absl::string_view PrefixOfCharacters(absl::string_view text, size_t max) {
  size_t end = 0;
  while (end < text.size()) {
    const size_t n = util::Utf8SequenceLength(text.substr(end));
    if (n == 0 || end + n > max) break;
    end += n;
  }
  return text.substr(0, end);
}

// `args` within `limit` bytes of encoding.
void AddArgs(const std::vector<std::string>& args, size_t limit,
             runsc::launcher::v1::Process* out) {
  size_t used = 0;
  for (const std::string& raw : args) {
    const std::string arg = WellFormedUtf8(raw);
    const size_t cost = arg.size() + kStringOverhead;
    if (used + cost <= limit) {
      out->add_args(arg);
      used += cost;
      continue;
    }
    // The first that does not fit is kept in part, if any of it fits.
    const size_t room = limit - used;
    if (room > kStringOverhead + sizeof(kCut) - 1) {
      out->add_args(
          absl::StrCat(PrefixOfCharacters(arg, room - kStringOverhead - (sizeof(kCut) - 1)), kCut));
    }
    return;
  }
}

}  // namespace

std::string WellFormedUtf8(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  while (!text.empty()) {
    const size_t n = util::Utf8SequenceLength(text);
    if (n == 0) {
      out.push_back('?');
      text.remove_prefix(1);
    } else {
      out.append(text.data(), n);
      text.remove_prefix(n);
    }
  }
  return out;
}

runsc::launcher::v1::ProcessList BoundedProcessList(std::vector<ListedProcess> processes,
                                                    size_t budget, size_t* left_out) {
  std::sort(processes.begin(), processes.end(),
            [](const ListedProcess& a, const ListedProcess& b) { return a.pid < b.pid; });
  const size_t fit = std::min(processes.size(), budget / kEntryOverhead);
  if (left_out != nullptr) *left_out = processes.size() - fit;
  runsc::launcher::v1::ProcessList list;
  if (fit == 0) return list;
  // Each process gets an equal share of what the entries leave; what one
  // leaves unused goes to those after it.
  size_t room = budget - fit * kEntryOverhead;
  for (size_t i = 0; i < fit; ++i) {
    const size_t share = std::min(kMaxListedArgsBytes, room / (fit - i));
    auto* p = list.add_processes();
    p->set_pid(processes[i].pid);
    p->set_main(processes[i].main);
    AddArgs(processes[i].args, share, p);
    size_t used = 0;
    for (const std::string& a : p->args()) used += a.size() + kStringOverhead;
    room -= used;
  }
  return list;
}

runsc::control::v1::ListProcessesResponse ToListProcessesResponse(
    const runsc::launcher::v1::ProcessList& list) {
  runsc::control::v1::ListProcessesResponse response;
  for (const auto& p : list.processes()) {
    auto* out = response.add_processes();
    out->set_pid(p.pid());
    *out->mutable_args() = p.args();
    out->set_main(p.main());
    out->set_running(true);
  }
  return response;
}

}  // namespace runsc::boot
