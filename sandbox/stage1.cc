#include "sandbox/stage1.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/mount.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "runsc/util/vm_clone.h"
#include "specutils/id_map.h"

namespace runsc::sandbox::stage1 {
namespace {

using util::RawSyscall;
using util::SetupStage;

constexpr long kNobody = specutils::kNobodyId;
constexpr long kKeyctlJoinSessionKeyring = 1;  // KEYCTL_JOIN_SESSION_KEYRING

// Records a failed call (`rc` is its -errno), named by `what` and then
// `object` in quotes if there is one, and returns false. Copies by hand:
// no libc here.
bool Fail(Failure* failure, SetupStage stage, long rc, const char* what,
          const char* object = nullptr, size_t object_length = 0) {
  failure->stage = stage;
  failure->err = -rc;
  const size_t cap = sizeof(failure->what) - 1;
  size_t n = 0;
  for (const char* p = what; *p != '\0' && n < cap; ++p) failure->what[n++] = *p;
  if (object != nullptr) {
    // "call 'object'", or "option='value'".
    if (n > 0 && failure->what[n - 1] != '=' && n < cap) failure->what[n++] = ' ';
    if (n < cap) failure->what[n++] = '\'';
    for (size_t i = 0; i < object_length && n < cap; ++i) failure->what[n++] = object[i];
    if (n < cap) failure->what[n++] = '\'';
  }
  failure->what[n] = '\0';
  return false;
}

size_t Length(const char* s) {
  size_t n = 0;
  while (s[n] != '\0') ++n;
  return n;
}

long Ptr(const void* p) { return reinterpret_cast<long>(p); }

// Each change of effective ids (commit_creds) makes the memory dumpable as
// fs.suid_dumpable says, and this memory is the spawner's: said again after
// them, whatever the sysctl (spawner.cc says it before the clone).
long KeepUndumpable() { return RawSyscall(SYS_prctl, PR_SET_DUMPABLE, 0, 0, 0, 0); }

bool BringUpLoopback(Failure* failure) {
  const long sock = RawSyscall(SYS_socket, AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0) return Fail(failure, SetupStage::kLoopback, sock, "socket(AF_INET) for 'lo'");
  struct ifreq ifr = {};
  ifr.ifr_name[0] = 'l';
  ifr.ifr_name[1] = 'o';
  long rc = RawSyscall(SYS_ioctl, sock, SIOCGIFFLAGS, Ptr(&ifr));
  if (rc == 0) {
    ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP | IFF_RUNNING);
    rc = RawSyscall(SYS_ioctl, sock, SIOCSIFFLAGS, Ptr(&ifr));
    if (rc != 0) {
      RawSyscall(SYS_close, sock);
      return Fail(failure, SetupStage::kLoopback, rc, "SIOCSIFFLAGS(IFF_UP) 'lo'");
    }
  }
  RawSyscall(SYS_close, sock);
  if (rc != 0) return Fail(failure, SetupStage::kLoopback, rc, "SIOCGIFFLAGS 'lo'");
  return true;
}

bool SetReadOnly(const char* path, const char* what, SetupStage stage, Failure* failure) {
  struct mount_attr attr = {};
  attr.attr_set = MOUNT_ATTR_RDONLY;
  const long rc =
      RawSyscall(SYS_mount_setattr, AT_FDCWD, Ptr(path), 0, Ptr(&attr), sizeof(attr));
  if (rc != 0) return Fail(failure, stage, rc, what);
  return true;
}

// The tmpfs, stacked over / and entered (our cwd), with its two mount
// points.
bool CreateRootTmpfs(const char* size, Failure* failure) {
  constexpr SetupStage kStage = SetupStage::kRootTmpfs;
  const long fs = RawSyscall(SYS_fsopen, Ptr("tmpfs"), FSOPEN_CLOEXEC);
  if (fs < 0) return Fail(failure, kStage, fs, "fsopen 'tmpfs'");
  long rc = RawSyscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, Ptr("size"), Ptr(size), 0);
  if (rc != 0) {
    RawSyscall(SYS_close, fs);
    return Fail(failure, kStage, rc, "fsconfig tmpfs size=", size, Length(size));
  }
  const char* what = "";
  rc = RawSyscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, Ptr("mode"), Ptr("0755"), 0);
  what = "fsconfig tmpfs mode='0755'";
  if (rc == 0) {
    rc = RawSyscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, 0, 0, 0);
    what = "fsconfig(CMD_CREATE) 'tmpfs'";
  }
  long mnt = -1;
  if (rc == 0) {
    mnt = RawSyscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC,
                     MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
    if (mnt < 0) rc = mnt;
    what = "fsmount 'tmpfs'";
  }
  RawSyscall(SYS_close, fs);
  if (rc != 0) return Fail(failure, kStage, rc, what);
  rc = RawSyscall(SYS_move_mount, mnt, Ptr(""), AT_FDCWD, Ptr("/"), MOVE_MOUNT_F_EMPTY_PATH);
  what = "move_mount root tmpfs onto '/'";
  if (rc == 0) {
    rc = RawSyscall(SYS_fchdir, mnt);
    what = "fchdir root tmpfs";
  }
  RawSyscall(SYS_close, mnt);
  if (rc != 0) return Fail(failure, kStage, rc, what);
  rc = RawSyscall(SYS_mkdirat, AT_FDCWD, Ptr("proc"), 0555);
  if (rc != 0) return Fail(failure, kStage, rc, "mkdir 'proc'");
  const long target = RawSyscall(SYS_openat, AT_FDCWD, Ptr("runsc"),
                                 O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0555);
  if (target < 0) return Fail(failure, kStage, target, "create mount point 'runsc'");
  RawSyscall(SYS_close, target);
  return true;
}

// The binary, by its fd: the file this process was told to run, in a mount
// of this namespace (the caller opened it here), not whatever a path would
// name now.
bool BindSelf(int exe_fd, Failure* failure) {
  constexpr SetupStage kStage = SetupStage::kBindSelf;
  const long tree = RawSyscall(SYS_open_tree, exe_fd, Ptr(""),
                               OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
  if (tree < 0) return Fail(failure, kStage, tree, "open_tree(OPEN_TREE_CLONE) the runsc binary");
  const long rc =
      RawSyscall(SYS_move_mount, tree, Ptr(""), AT_FDCWD, Ptr("runsc"), MOVE_MOUNT_F_EMPTY_PATH);
  RawSyscall(SYS_close, tree);
  if (rc != 0) return Fail(failure, kStage, rc, "move_mount the runsc binary onto 'runsc'");
  return SetReadOnly("runsc", "mount_setattr(RDONLY) 'runsc'", kStage, failure);
}

}  // namespace

bool MoveSelfIntoCgroups(const int* fds, const char* const* paths, int count, Failure* failure) {
  for (int i = 0; i < count; ++i) {
    const long rc = RawSyscall(SYS_write, fds[i], Ptr("0"), 1);
    if (rc != 1) {
      return Fail(failure, SetupStage::kCgroup, rc < 0 ? rc : -EIO, "write '0' to", paths[i],
                  Length(paths[i]));
    }
  }
  return true;
}

bool NewCgroupNamespace(Failure* failure) {
  const long rc = RawSyscall(SYS_unshare, CLONE_NEWCGROUP);
  if (rc != 0) return Fail(failure, SetupStage::kCgroup, rc, "unshare(CLONE_NEWCGROUP)");
  return true;
}

bool LeaveHostIdentity(Failure* failure) {
  long rc = RawSyscall(SYS_setresuid, 0, 0, 0);
  if (rc != 0)
    return Fail(failure, SetupStage::kSpawn, rc, "setresuid(0) in the new user namespace");
  rc = RawSyscall(SYS_keyctl, kKeyctlJoinSessionKeyring, 0);
  if (rc < 0 && rc != -ENOSYS) {
    return Fail(failure, SetupStage::kKeyring, rc, "join a new session keyring");
  }
  rc = RawSyscall(SYS_setgroups, 0, 0);
  if (rc != 0) return Fail(failure, SetupStage::kDropPrivileges, rc, "setgroups([])");
  rc = RawSyscall(SYS_setresgid, kNobody, kNobody, kNobody);
  if (rc != 0) return Fail(failure, SetupStage::kDropPrivileges, rc, "setresgid(65534)");
  rc = KeepUndumpable();
  if (rc != 0) return Fail(failure, SetupStage::kDropPrivileges, rc, "prctl(PR_SET_DUMPABLE, 0)");
  rc = RawSyscall(SYS_mount, 0, Ptr("/"), 0, MS_REC | MS_PRIVATE, 0);
  if (rc != 0) {
    return Fail(failure, SetupStage::kMountPropagation, rc, "mount(MS_REC|MS_PRIVATE) '/'");
  }
  return true;
}

bool EnterNewNetwork(bool loopback, long launcher_sock, Failure* failure) {
  constexpr SetupStage kStage = SetupStage::kNetwork;
  long rc = RawSyscall(SYS_unshare, CLONE_NEWNET);
  if (rc != 0) return Fail(failure, kStage, rc, "unshare(CLONE_NEWNET)");
  if (loopback && !BringUpLoopback(failure)) return false;
  if (launcher_sock < 0) return true;
  // Our /proc is still the host's (this mount namespace's copy of it).
  const long ns =
      RawSyscall(SYS_openat, AT_FDCWD, Ptr("/proc/thread-self/ns/net"), O_RDONLY | O_CLOEXEC);
  if (ns < 0) return Fail(failure, kStage, ns, "open '/proc/thread-self/ns/net'");
  char byte = 0;  // util::SendPacket's encoding of an empty message
  struct iovec iov = {&byte, 1};
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  struct msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  struct cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN(sizeof(int));
  const int fd = static_cast<int>(ns);
  // No memcpy: raw stores only.
  const char* from = reinterpret_cast<const char*>(&fd);
  char* to = reinterpret_cast<char*>(CMSG_DATA(cmsg));
  for (size_t i = 0; i < sizeof(fd); ++i) to[i] = from[i];
  do {
    rc = RawSyscall(SYS_sendmsg, launcher_sock, Ptr(&msg), MSG_NOSIGNAL);
  } while (rc == -EINTR);
  RawSyscall(SYS_close, ns);
  if (rc != 1)
    return Fail(failure, kStage, rc < 0 ? rc : -EIO, "send the network namespace to the launcher");
  return true;
}

bool PrepareNamespaces(const NamespaceSetup& setup, Failure* failure) {
  if (setup.hostname != nullptr) {
    const long rc =
        RawSyscall(SYS_sethostname, Ptr(setup.hostname), static_cast<long>(setup.hostname_length));
    if (rc != 0) {
      return Fail(failure, SetupStage::kHostname, rc, "sethostname", setup.hostname,
                  setup.hostname_length);
    }
  }
  return true;
}

bool BuildRoot(const char* tmpfs_size, int exe_fd, Failure* failure) {
  if (!CreateRootTmpfs(tmpfs_size, failure)) return false;
  long rc = RawSyscall(SYS_mount, Ptr("proc"), Ptr("proc"), Ptr("proc"),
                       MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, 0);
  if (rc != 0) return Fail(failure, SetupStage::kProcMount, rc, "mount proc on 'proc'");
  if (!BindSelf(exe_fd, failure)) return false;
  if (!SetReadOnly(".", "mount_setattr(RDONLY) root tmpfs", SetupStage::kRemountRoot, failure)) {
    return false;
  }
  rc = RawSyscall(SYS_pivot_root, Ptr("."), Ptr("."));
  if (rc != 0) return Fail(failure, SetupStage::kPivotRoot, rc, "pivot_root('.', '.')");
  // The old root is now stacked under the new one; detach it.
  rc = RawSyscall(SYS_umount2, Ptr("."), MNT_DETACH);
  if (rc != 0) return Fail(failure, SetupStage::kPivotRoot, rc, "umount2('.', MNT_DETACH) old root");
  rc = RawSyscall(SYS_chdir, Ptr("/"));
  if (rc != 0) return Fail(failure, SetupStage::kPivotRoot, rc, "chdir '/'");
  return true;
}

bool DropToNobody(int cap_count, Failure* failure) {
  constexpr SetupStage kStage = SetupStage::kDropPrivileges;
  if (cap_count <= 0 || cap_count > 64) {
    return Fail(failure, kStage, -EINVAL, "no capability count");
  }
  // The bounding set can only be lowered while CAP_SETPCAP is held. A drop
  // that returns 0 has removed its capability (commit_creds).
  for (int cap = 0; cap < cap_count; ++cap) {
    const long rc = RawSyscall(SYS_prctl, PR_CAPBSET_DROP, cap, 0, 0, 0);
    if (rc != 0) return Fail(failure, kStage, rc, "prctl(PR_CAPBSET_DROP)");
  }
  long rc = RawSyscall(SYS_prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
  if (rc != 0) return Fail(failure, kStage, rc, "prctl(PR_CAP_AMBIENT_CLEAR_ALL)");
  rc = RawSyscall(SYS_setgroups, 0, 0);
  if (rc != 0) return Fail(failure, kStage, rc, "setgroups([])");
  rc = RawSyscall(SYS_setresgid, kNobody, kNobody, kNobody);
  if (rc != 0) return Fail(failure, kStage, rc, "setresgid(65534)");
  // Leaving uid 0 clears the permitted and effective sets (no KEEPCAPS).
  rc = RawSyscall(SYS_setresuid, kNobody, kNobody, kNobody);
  if (rc != 0) return Fail(failure, kStage, rc, "setresuid(65534)");
  struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  rc = RawSyscall(SYS_capset, Ptr(&header), Ptr(data));
  if (rc != 0) return Fail(failure, kStage, rc, "capset(empty)");
  header = {_LINUX_CAPABILITY_VERSION_3, 0};
  rc = RawSyscall(SYS_capget, Ptr(&header), Ptr(data));
  if (rc != 0) return Fail(failure, kStage, rc, "capget");
  for (const auto& word : data) {
    if (word.effective != 0 || word.permitted != 0 || word.inheritable != 0) {
      return Fail(failure, kStage, -EPERM, "capabilities remain after the drop");
    }
  }
  // Every capability the kernel has was dropped: none lies past the count.
  if (RawSyscall(SYS_prctl, PR_CAPBSET_READ, cap_count, 0, 0, 0) != -EINVAL) {
    return Fail(failure, kStage, -EPERM, "a capability past the count remains in the bounding set");
  }
  rc = KeepUndumpable();
  if (rc != 0) return Fail(failure, kStage, rc, "prctl(PR_SET_DUMPABLE, 0)");
  rc = RawSyscall(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  if (rc != 0) return Fail(failure, kStage, rc, "prctl(PR_SET_NO_NEW_PRIVS)");
  return true;
}

}  // namespace runsc::sandbox::stage1
