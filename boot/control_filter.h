// The control server's seccomp filter (boot/seccomp_policy.h) as BPF,
// compiled when runsc is built: seccomp_gen runs libseccomp on
// ControlServerProgram() and the build embeds what it wrote. libseccomp took
// about 0.4 ms of every `runsc run` and `runsc create`, each a fresh process
// that compiled the same program again. seccomp_policy_test checks that the
// embedded filter is what libseccomp makes of the program now.
#ifndef RUNSC_BOOT_CONTROL_FILTER_H_
#define RUNSC_BOOT_CONTROL_FILTER_H_

#include <string>

namespace runsc::boot {

// An array of struct sock_filter, for InstallControlServerFilter.
const std::string& ControlServerFilter();

}  // namespace runsc::boot

#endif  // RUNSC_BOOT_CONTROL_FILTER_H_
