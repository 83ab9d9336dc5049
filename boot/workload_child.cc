#include "boot/workload_child.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include <memory>

#include "runsc/util/errno_status.h"
#include "runsc/util/status_macros.h"
#include "runsc/util/unique_fd.h"
#include "runsc/util/vm_clone.h"

namespace runsc::boot {

using util::ErrnoError;
using util::UniqueFd;

namespace {

int ChildMain(void* arg) {
  const ChildArgs& a = *static_cast<const ChildArgs*>(arg);
  if (a.close_fd >= 0) close(a.close_fd);
  ExecWorkload(*a.plan, *a.reset_signals, a.userns, a.stdio, a.extra, a.extra_count, a.error_fd,
               a.hold_fd);
}

absl::StatusOr<char*> ChildStackTop(StackUse use) {
  static util::ChildStack* stacks[2] = {nullptr, nullptr};
  util::ChildStack*& stack = stacks[use == StackUse::kHeld ? 1 : 0];
  if (stack == nullptr) {
    auto fresh = std::make_unique<util::ChildStack>(256 * 1024);
    RETURN_IF_ERROR(fresh->Map());
    stack = fresh.release();
  }
  return static_cast<char*>(stack->low()) + stack->size();
}

}  // namespace

absl::StatusOr<pid_t> SpawnChild(ChildArgs& args, StackUse use, bool borrow) {
  absl::StatusOr<char*> stack = ChildStackTop(use);
  if (!stack.ok()) return stack.status();
  pid_t pid;
  int err;
  {
    util::AllSignalsBlocked blocked;
    pid = clone(ChildMain, *stack, (borrow ? CLONE_VM : 0) | SIGCHLD, &args);
    err = errno;
  }
  if (pid < 0) return ErrnoError(err, "clone workload");
  return pid;
}

bool ChildMayBorrowMemory(int proc) {
  UniqueFd file(openat(proc, "sys/fs/suid_dumpable", O_RDONLY | O_CLOEXEC));
  char value[4] = {};
  return file && read(file.get(), value, sizeof(value)) > 0 && value[0] != '1';
}

}  // namespace runsc::boot
