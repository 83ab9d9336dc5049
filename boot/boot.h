// `runsc boot`: the sandbox process. Internal; only the spawner runs it, with
// the fd layout of runsc/util/boot_fds.h.
//
//   runsc boot --setup-root   stage 1, uid 0 of the sandbox's user namespace:
//                             builds the root (boot/setup_root.h), drops to
//                             nobody (boot/privileges.h) and execs stage 2.
//   /runsc boot               stage 2, nobody, no capabilities, empty
//                             environment: installs the seccomp filter and
//                             serves the Control service on fd 3.
//
// Either stage reports a failure on the sync fd as (stage, errno, text) and
// exits 1; stage 2 reports kReady once it serves.
#ifndef RUNSC_BOOT_BOOT_H_
#define RUNSC_BOOT_BOOT_H_

namespace runsc::boot {

// argv[0] is "boot". Returns the process exit code.
int BootMain(int argc, char** argv);

}  // namespace runsc::boot

#endif  // RUNSC_BOOT_BOOT_H_
