// A container's processes as the launcher lists them, in one packet: every
// process listed, each one's arguments cut so that the whole fits. The
// arguments of a process come from its own memory (/proc/<pid>/cmdline), up
// to ARG_MAX and more, and the list goes to the supervisor as one packet
// (util::kMaxPacketSize): a workload's long command line must shorten its
// own entry, not cost the list, or the launcher its socket.
#ifndef RUNSC_BOOT_PROCESS_LIST_H_
#define RUNSC_BOOT_PROCESS_LIST_H_

#include <sys/types.h>

#include <cstddef>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "proto/control.pb.h"
#include "proto/launcher.pb.h"

namespace runsc::boot {

struct ListedProcess {
  pid_t pid = 0;
  bool main = false;
  std::vector<std::string> args;
};

// `text` with every byte that does not begin a well-formed UTF-8 sequence
// as '?': a list's arguments are protobuf strings, which must be UTF-8,
// and a process's own arguments need not be (nor a cut that split one).
std::string WellFormedUtf8(absl::string_view text);

// The arguments of process `pid` from the procfs `proc_dir` (read up to
// `max_bytes`): what the process has in its memory, which it may have
// changed. None if it is gone (or a zombie). A FIFO or a link in the place
// of a procfs file is neither waited on nor followed.
std::vector<std::string> ReadCommandLine(int proc_dir, pid_t pid, size_t max_bytes);

// How many bytes of arguments a process keeps when the list has room.
inline constexpr size_t kMaxListedArgsBytes = 4096;

// The most a process list's encoding takes: it fits one stdio-socket
// packet (64 KiB) with room to spare.
inline constexpr size_t kProcessListBudget = 48 * 1024;

// `processes` (in pid order) as a list whose encoding takes at most
// `budget` bytes. Arguments past a process's share are cut, the last one
// kept ending in "..."; if even the pids alone do not fit, the list ends
// early and `*left_out` (if given) says how many did not fit. Every
// argument is made well-formed UTF-8 (WellFormedUtf8), and a cut never
// splits a character.
runsc::launcher::v1::ProcessList BoundedProcessList(std::vector<ListedProcess> processes,
                                                    size_t budget, size_t* left_out = nullptr);

// `list` as a Control.ListProcesses answer: each of its processes, running.
runsc::control::v1::ListProcessesResponse ToListProcessesResponse(
    const runsc::launcher::v1::ProcessList& list);

}  // namespace runsc::boot

#endif  // RUNSC_BOOT_PROCESS_LIST_H_
