#include "boot/process_list.h"

#include <algorithm>
#include <utility>

namespace runsc::boot {

namespace {

// An entry's encoding besides its arguments: its tag and length, the pid
// (up to 5 bytes of varint), the main flag.
constexpr size_t kEntryOverhead = 16;
// A string's tag and length prefix (lengths under 16 KiB).
constexpr size_t kStringOverhead = 3;
constexpr char kCut[] = "...";

// `args` within `limit` bytes of encoding.
void AddArgs(const std::vector<std::string>& args, size_t limit,
             runsc::launcher::v1::Process* out) {
  size_t used = 0;
  for (const std::string& arg : args) {
    const size_t cost = arg.size() + kStringOverhead;
    if (used + cost <= limit) {
      out->add_args(arg);
      used += cost;
      continue;
    }
    // The first that does not fit is kept in part, if any of it fits.
    const size_t room = limit - used;
    if (room > kStringOverhead + sizeof(kCut) - 1) {
      out->add_args(arg.substr(0, room - kStringOverhead - (sizeof(kCut) - 1)) + kCut);
    }
    return;
  }
}

}  // namespace

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

}  // namespace runsc::boot
