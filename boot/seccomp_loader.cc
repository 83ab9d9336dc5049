#include "boot/seccomp_loader.h"

#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "runsc/util/errno_status.h"
#include "runsc/util/unique_fd.h"

namespace runsc::boot {

absl::StatusOr<std::string> CompileSeccompProgram(
    const runsc::boot::v1::SeccompProgram& program) {
  std::unique_ptr<void, void (*)(scmp_filter_ctx)> ctx(seccomp_init(program.default_action()),
                                                        seccomp_release);
  if (ctx == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("seccomp: invalid default action ", program.default_action()));
  }
  int rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_NNP, 0);
  if (rc < 0) return util::ErrnoError(-rc, "seccomp: clear CTL_NNP");
  // A binary search over the syscall numbers, not libseccomp's default
  // chain of one test after another. Loading a filter, the kernel runs it
  // for every syscall number of every architecture, with the task's signal
  // lock held, to find the ones it always allows (seccomp_cache_prepare):
  // through a chain, most numbers walk all of it. Medians of 200 loads
  // here: our default profile (50 rules) 97 us as a chain, 77 as a tree;
  // an allowlist of 300 syscalls, as Docker's is, 453 and 166-199 us.
  // Only with rules (libseccomp before 2.5.4 lost the default action of a
  // tree without any), and a speed-up only: a chain if refused.
  if (program.rules_size() > 0) (void)seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_OPTIMIZE, 2);
  for (uint32_t arch : program.architectures()) {
    rc = seccomp_arch_add(ctx.get(), arch);
    if (rc < 0 && rc != -EEXIST) {
      return util::ErrnoError(-rc, absl::StrCat("seccomp: add architecture ", arch));
    }
  }
  for (const auto& rule : program.rules()) {
    std::vector<struct scmp_arg_cmp> args;
    for (const auto& c : rule.conditions()) {
      args.push_back({c.index(), static_cast<enum scmp_compare>(c.op()), c.value(),
                      c.value_two()});
    }
    rc = seccomp_rule_add_array(ctx.get(), rule.action(), rule.syscall(),
                                static_cast<unsigned>(args.size()), args.data());
    if (rc < 0) {
      return util::ErrnoError(-rc, absl::StrCat("seccomp: add rule for syscall ", rule.syscall()));
    }
  }
  // libseccomp writes the program to an fd; a memfd keeps it off any disk.
  util::UniqueFd out(memfd_create("runsc-seccomp-bpf", MFD_CLOEXEC));
  if (!out) return util::ErrnoError(errno, "memfd_create for the seccomp program");
  rc = seccomp_export_bpf(ctx.get(), out.get());
  if (rc < 0) return util::ErrnoError(-rc, "seccomp: export the program");
  struct stat st;
  if (fstat(out.get(), &st) != 0) return util::ErrnoError(errno, "fstat the seccomp program");
  std::string bpf(static_cast<size_t>(st.st_size), '\0');
  if (pread(out.get(), bpf.data(), bpf.size(), 0) != static_cast<ssize_t>(bpf.size())) {
    return util::ErrnoError(errno, "read back the seccomp program");
  }
  if (bpf.empty() || bpf.size() % sizeof(struct sock_filter) != 0) {
    return absl::InternalError(
        absl::StrCat("seccomp: libseccomp exported ", bpf.size(), " bytes, not a BPF program"));
  }
  if (bpf.size() / sizeof(struct sock_filter) > BPF_MAXINSNS) {
    return absl::InvalidArgumentError(
        absl::StrCat("seccomp: the profile compiles to ", bpf.size() / sizeof(struct sock_filter),
                     " instructions, more than the kernel's ", BPF_MAXINSNS));
  }
  return bpf;
}

int InstallSeccompBpf(const std::string& bpf, unsigned int flags) {
  struct sock_fprog prog;
  prog.len = static_cast<unsigned short>(bpf.size() / sizeof(struct sock_filter));
  prog.filter = reinterpret_cast<struct sock_filter*>(const_cast<char*>(bpf.data()));
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog) != 0) return errno;
  return 0;
}

}  // namespace runsc::boot
