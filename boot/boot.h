// `runsc boot`: the sandbox's programs. Internal; only the spawner's child
// runs them (stage 1 is that child's, sandbox/stage1.h), with the fd layout
// of runsc/util/boot_fds.h.
//
//   /runsc boot               the supervisor: nobody, no capabilities, empty
//                             environment; installs the seccomp filter and
//                             serves the Control service on fd 3. It reports
//                             a failure on the sync fd as (stage, errno,
//                             text) and exits 1, and kReady once it serves.
//   runsc boot --launcher     the container's launcher (boot/launcher.h):
//                             uid 0 of the sandbox's user namespace; it
//                             reports on its socket, fd 7.
#ifndef RUNSC_BOOT_BOOT_H_
#define RUNSC_BOOT_BOOT_H_

namespace runsc::boot {

// argv[0] is "boot". Returns the process exit code.
int BootMain(int argc, char** argv);

}  // namespace runsc::boot

#endif  // RUNSC_BOOT_BOOT_H_
