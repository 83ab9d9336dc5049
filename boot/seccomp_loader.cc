#include "boot/seccomp_loader.h"

#include <seccomp.h>

#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "runsc/util/errno_status.h"

namespace runsc::boot {

absl::Status LoadSeccompProgram(const runsc::boot::v1::SeccompProgram& program) {
  std::unique_ptr<void, void (*)(scmp_filter_ctx)> ctx(
      seccomp_init(program.default_action()), seccomp_release);
  if (ctx == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("seccomp: invalid default action ", program.default_action()));
  }
  int rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_NNP, 0);
  if (rc < 0) return util::ErrnoError(-rc, "seccomp: clear CTL_NNP");
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
      return util::ErrnoError(-rc, absl::StrCat("seccomp: add rule for syscall ",
                                                rule.syscall()));
    }
  }
  rc = seccomp_load(ctx.get());
  if (rc < 0) return util::ErrnoError(-rc, "seccomp: load filter");
  return absl::OkStatus();
}

}  // namespace runsc::boot
