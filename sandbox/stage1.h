// Stage 1 of a sandbox process: what it does as uid 0 of its new user
// namespace before it execs the supervisor. It runs in the spawner's child
// (sandbox/spawner.cc), which still borrows the caller's memory (CLONE_VM),
// so every function here makes raw system calls only (util::RawSyscall):
// no libc call, no errno, no allocation, no lock (runsc/util/vm_clone.h).
//
// Each function returns true, or false with the failed step in `failure`:
// the stage the host reports, a positive errno and a text naming the call
// and its object.
#ifndef RUNSC_SANDBOX_STAGE1_H_
#define RUNSC_SANDBOX_STAGE1_H_

#include <stddef.h>

#include "runsc/util/sync_message.h"

namespace runsc::sandbox::stage1 {

struct Failure {
  util::SetupStage stage = util::SetupStage::kNone;
  long err = 0;
  char what[192] = {};  // NUL-terminated
};

// lo comes up with the network namespace (EnterNewNetwork).
struct NamespaceSetup {
  const char* hostname = nullptr;  // set it (a new UTS namespace); null: leave it
  size_t hostname_length = 0;
};

// Moves the calling thread (a process of one thread: the spawner's child,
// or the launcher's) into each of the `count` cgroup v1 hierarchies whose
// `tasks` file `fds` holds open for writing (`paths` name them in errors).
// A thread that moves itself spares the kernel the threadgroup lock's write
// side (sandbox/cgroup.h). Needs no privilege: the host opened the files.
bool MoveSelfIntoCgroups(const int* fds, const char* const* paths, int count, Failure* failure);

// Enters a new cgroup namespace, rooted at the caller's cgroups.
bool NewCgroupNamespace(Failure* failure);

// Becomes uid 0 of the new user namespace (the host's 65533: an exec keeps
// capabilities only for the namespace's root), leaves the caller's session
// keyring for a new anonymous one, clears the supplementary groups and
// takes gid 65534 (files created from here on have a mapped group), and
// makes every mount of its mount namespace private.
bool LeaveHostIdentity(Failure* failure);

// Sets the hostname, as `setup` asks (needs the capabilities of a new user
// namespace's creator, not its uid 0).
bool PrepareNamespaces(const NamespaceSetup& setup, Failure* failure);

// Moves the caller into a new network namespace and brings up its lo if
// `loopback`. The spawner's clone leaves the network namespace to this
// call, made after the launcher's clone, so that the kernel's setup of the
// namespace (0.6 ms here, most of a clone's) overlaps the launcher's exec
// instead of preceding it. With `launcher_sock` (the supervisor's end of
// the launcher's socket, or -1), the namespace then goes to the launcher
// as the fd of a NetworkNamespace packet (proto/launcher.proto), which it
// joins first thing (boot::LauncherMain), before any mount or workload.
bool EnterNewNetwork(bool loopback, long launcher_sock, Failure* failure);

// Builds the sandbox's root and moves into it: a tmpfs (size option
// `tmpfs_size`, NUL-terminated) stacked over /, holding a fresh read-only
// procfs at /proc and the file `exe_fd` refers to (an O_PATH fd opened in
// this mount namespace) bound read-only at /runsc; then the tmpfs is made
// read-only, pivot_root'ed into, and the old root detached. No host
// directory is written.
bool BuildRoot(const char* tmpfs_size, int exe_fd, Failure* failure);

// Drops to uid and gid 65534 with no supplementary groups and no
// capability in any set (bounding and ambient included), sets
// no_new_privs, and checks that nothing is left. `cap_count` is how many
// capabilities the kernel has (libcap's cap_max_bits(), which libcap
// finds once per process), read by the parent: probing it here took 42
// system calls of every create, and checking each capability again 41
// more (about 1 us each on a host that traps them). Each drop's result is
// checked instead, and that capability `cap_count` does not exist, so that
// a count too low fails closed.
bool DropToNobody(int cap_count, Failure* failure);

}  // namespace runsc::sandbox::stage1

#endif  // RUNSC_SANDBOX_STAGE1_H_
