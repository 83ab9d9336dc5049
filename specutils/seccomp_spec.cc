#include "specutils/seccomp_spec.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace runsc::specutils {

using runsc::boot::v1::SeccompProgram;
using runsc::boot::v1::SeccompRule;

namespace {

absl::StatusOr<uint32_t> ParseAction(const std::string& action,
                                     const uint32_t* errno_ret,
                                     absl::string_view field) {
  const uint32_t err = errno_ret != nullptr ? *errno_ret : EPERM;
  if (action == "SCMP_ACT_ALLOW") return SCMP_ACT_ALLOW;
  if (action == "SCMP_ACT_ERRNO") return SCMP_ACT_ERRNO(err);
  if (action == "SCMP_ACT_KILL" || action == "SCMP_ACT_KILL_THREAD") {
    return SCMP_ACT_KILL_THREAD;
  }
  if (action == "SCMP_ACT_KILL_PROCESS") return SCMP_ACT_KILL_PROCESS;
  if (action == "SCMP_ACT_TRAP") return SCMP_ACT_TRAP;
  if (action == "SCMP_ACT_TRACE") return SCMP_ACT_TRACE(err);
  if (action == "SCMP_ACT_LOG") return SCMP_ACT_LOG;
  if (action == "SCMP_ACT_NOTIFY") {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": SCMP_ACT_NOTIFY is not supported"));
  }
  return absl::InvalidArgumentError(
      absl::StrCat(field, ": unknown action '", action, "'"));
}

absl::StatusOr<uint32_t> ParseOp(const std::string& op, absl::string_view field) {
  static constexpr struct {
    const char* name;
    scmp_compare op;
  } kOps[] = {
      {"SCMP_CMP_NE", SCMP_CMP_NE}, {"SCMP_CMP_LT", SCMP_CMP_LT},
      {"SCMP_CMP_LE", SCMP_CMP_LE}, {"SCMP_CMP_EQ", SCMP_CMP_EQ},
      {"SCMP_CMP_GE", SCMP_CMP_GE}, {"SCMP_CMP_GT", SCMP_CMP_GT},
      {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
  };
  for (const auto& entry : kOps) {
    if (op == entry.name) return static_cast<uint32_t>(entry.op);
  }
  return absl::InvalidArgumentError(
      absl::StrCat(field, ": unknown operator '", op, "'"));
}

absl::StatusOr<uint32_t> ParseArch(const std::string& arch, absl::string_view field) {
  if (!absl::StartsWith(arch, "SCMP_ARCH_")) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": unknown architecture '", arch, "'"));
  }
  std::string name = absl::AsciiStrToLower(arch.substr(10));
  uint32_t token = seccomp_arch_resolve_name(name.c_str());
  if (token == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": unknown architecture '", arch, "'"));
  }
  return token;
}

void AddRule(SeccompProgram& program, const char* name, uint32_t action) {
  int nr = seccomp_syscall_resolve_name(name);
  if (nr == __NR_SCMP_ERROR) return;
  SeccompRule* rule = program.add_rules();
  rule->set_syscall(nr);
  rule->set_action(action);
}

}  // namespace

absl::StatusOr<SeccompProgram> ToSeccompProgram(
    const runsc::oci::v1::Seccomp& seccomp) {
  SeccompProgram program;
  const std::string base = "linux.seccomp";
  if (seccomp.default_action().empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(base, ".defaultAction: must be set"));
  }
  uint32_t default_errno = seccomp.has_default_errno_ret()
                               ? seccomp.default_errno_ret()
                               : EPERM;
  absl::StatusOr<uint32_t> default_action = ParseAction(
      seccomp.default_action(), &default_errno, base + ".defaultAction");
  if (!default_action.ok()) return default_action.status();
  program.set_default_action(*default_action);

  for (int i = 0; i < seccomp.architectures_size(); ++i) {
    absl::StatusOr<uint32_t> arch = ParseArch(
        seccomp.architectures(i), absl::StrCat(base, ".architectures[", i, "]"));
    if (!arch.ok()) return arch.status();
    if (*arch != seccomp_arch_native()) program.add_architectures(*arch);
  }
  for (int i = 0; i < seccomp.flags_size(); ++i) {
    const std::string& flag = seccomp.flags(i);
    if (flag == "SECCOMP_FILTER_FLAG_LOG") {
      program.set_filter_flags(program.filter_flags() | SECCOMP_FILTER_FLAG_LOG);
    } else if (flag == "SECCOMP_FILTER_FLAG_SPEC_ALLOW") {
      program.set_filter_flags(program.filter_flags() | SECCOMP_FILTER_FLAG_SPEC_ALLOW);
    } else if (flag != "SECCOMP_FILTER_FLAG_TSYNC") {
      // TSYNC: the filter goes in before the exec, in a process of one
      // thread; there is nothing to synchronize.
      return absl::InvalidArgumentError(
          absl::StrCat(base, ".flags[", i, "]: unsupported flag '", flag, "'"));
    }
  }
  if (!seccomp.listener_path().empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        base, ".listenerPath: runsc has no seccomp notify (SCMP_ACT_NOTIFY) to hand a listener"));
  }

  for (int i = 0; i < seccomp.syscalls_size(); ++i) {
    const auto& entry = seccomp.syscalls(i);
    const std::string field = absl::StrCat(base, ".syscalls[", i, "]");
    if (entry.names().empty()) {
      return absl::InvalidArgumentError(absl::StrCat(field, ".names: must not be empty"));
    }
    uint32_t errno_ret = entry.has_errno_ret() ? entry.errno_ret() : EPERM;
    absl::StatusOr<uint32_t> action =
        ParseAction(entry.action(), &errno_ret, field + ".action");
    if (!action.ok()) return action.status();
    std::vector<runsc::boot::v1::SeccompCondition> conditions;
    for (int a = 0; a < entry.args_size(); ++a) {
      const auto& arg = entry.args(a);
      const std::string arg_field = absl::StrCat(field, ".args[", a, "]");
      if (arg.index() > 5) {
        return absl::InvalidArgumentError(absl::StrCat(
            arg_field, ".index: ", arg.index(), " is not an argument index (0-5)"));
      }
      absl::StatusOr<uint32_t> op = ParseOp(arg.op(), arg_field + ".op");
      if (!op.ok()) return op.status();
      runsc::boot::v1::SeccompCondition c;
      c.set_index(arg.index());
      c.set_op(*op);
      c.set_value(arg.value());
      c.set_value_two(arg.value_two());
      conditions.push_back(c);
    }
    // A rule whose action equals the default is a no-op that libseccomp
    // refuses; drop it as runc does.
    if (*action == program.default_action()) continue;
    for (const std::string& name : entry.names()) {
      int nr = seccomp_syscall_resolve_name(name.c_str());
      if (nr == __NR_SCMP_ERROR) continue;  // unknown here: skipped, as runc
      SeccompRule* rule = program.add_rules();
      rule->set_syscall(nr);
      rule->set_action(*action);
      for (const auto& c : conditions) *rule->add_conditions() = c;
    }
  }
  return program;
}

SeccompProgram DefaultSeccompProgram() {
  SeccompProgram program;
  program.set_default_action(SCMP_ACT_ALLOW);
  const uint32_t eperm = SCMP_ACT_ERRNO(EPERM);
  for (const char* name :
       {"keyctl", "add_key", "request_key", "bpf", "perf_event_open",
        "kexec_load", "kexec_file_load", "open_by_handle_at",
        "name_to_handle_at", "init_module", "finit_module", "delete_module",
        "create_module", "userfaultfd", "lookup_dcookie", "unshare", "setns",
        "mount", "umount2", "pivot_root", "move_mount", "open_tree", "fsopen",
        "fsmount", "fsconfig", "fspick", "mount_setattr", "swapon", "swapoff",
        "reboot", "syslog", "acct", "quotactl", "iopl", "ioperm", "vhangup",
        "settimeofday", "clock_settime", "clock_adjtime", "adjtimex",
        "uselib", "nfsservctl", "get_kernel_syms", "query_module",
        "fanotify_init", "process_vm_writev", "vm86", "vm86old"}) {
    AddRule(program, name, eperm);
  }
  // clone3's flags are in memory seccomp cannot read: ENOSYS makes libc use
  // clone, whose flags (argument 0 on x86_64) are checked below.
  AddRule(program, "clone3", SCMP_ACT_ERRNO(ENOSYS));
  int clone_nr = seccomp_syscall_resolve_name("clone");
  for (uint64_t flag : {CLONE_NEWUSER, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWNET,
                        CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWCGROUP, CLONE_NEWTIME}) {
    SeccompRule* rule = program.add_rules();
    rule->set_syscall(clone_nr);
    rule->set_action(eperm);
    auto* c = rule->add_conditions();
    c->set_index(0);
    c->set_op(SCMP_CMP_MASKED_EQ);
    c->set_value(flag);
    c->set_value_two(flag);
  }
  return program;
}

}  // namespace runsc::specutils
