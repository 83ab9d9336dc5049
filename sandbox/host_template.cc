#include "sandbox/host_template.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "runsc/util/errno_status.h"
#include "runsc/util/status_macros.h"
#include "specutils/capabilities.h"
#include "specutils/oci_spec.h"

namespace runsc::sandbox {

using util::ErrnoError;
using util::UniqueFd;

namespace {

// Top-level host directories the template shows, read-only.
constexpr const char* kSystemDirs[] = {"usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32"};
// Mount points and empty directories of the template root.
constexpr const char* kRootDirs[] = {"etc", "tmp", "proc", "dev", "sys", "root", "home", "run"};

absl::Status WriteFileAt(int dir, const char* name, const std::string& text, uint32_t owner) {
  UniqueFd fd(openat(dir, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644));
  if (!fd) return ErrnoError(errno, absl::StrCat("create '/etc/", name, "' in the template"));
  if (write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
    return ErrnoError(errno, absl::StrCat("write '/etc/", name, "' in the template"));
  }
  if (fchown(fd.get(), owner, owner) != 0) {
    return ErrnoError(errno, absl::StrCat("chown '/etc/", name, "' in the template"));
  }
  return absl::OkStatus();
}

void AddMount(runsc::oci::v1::Spec& spec, const std::string& dest, const std::string& type,
              const std::string& source, std::initializer_list<const char*> options) {
  auto* m = spec.add_mounts();
  m->set_destination(dest);
  m->set_type(type);
  m->set_source(source);
  for (const char* o : options) m->add_options(o);
}

}  // namespace

absl::StatusOr<runsc::boot::v1::ContainerConfig> HostTemplate(
    const HostTemplateOptions& options) {
  runsc::oci::v1::Spec spec;
  spec.set_oci_version("1.0.2");
  spec.mutable_root()->set_path("/");  // replaced by the synthetic root
  spec.mutable_root()->set_readonly(true);
  spec.set_hostname(options.hostname);
  for (const char* type : {"pid", "network", "ipc", "uts", "mount", "cgroup"}) {
    spec.mutable_linux()->add_namespaces()->set_type(type);
  }
  auto* p = spec.mutable_process();
  for (const std::string& a : options.args) p->add_args(a);
  p->add_env("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  p->add_env("TERM=xterm");
  for (const std::string& e : options.env) p->add_env(e);
  p->set_cwd(options.cwd);
  p->mutable_user()->set_uid(options.uid);
  p->mutable_user()->set_gid(options.gid);
  p->set_no_new_privileges(true);
  for (const std::string& cap : specutils::DefaultCapabilities()) {
    p->mutable_capabilities()->add_bounding(cap);
    p->mutable_capabilities()->add_effective(cap);
    p->mutable_capabilities()->add_permitted(cap);
  }
  auto* nofile = p->add_rlimits();
  nofile->set_type("RLIMIT_NOFILE");
  nofile->set_hard(1024);
  nofile->set_soft(1024);
  AddMount(spec, "/proc", "proc", "proc", {});
  AddMount(spec, "/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"});
  AddMount(spec, "/dev/pts", "devpts", "devpts",
           {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"});
  AddMount(spec, "/dev/shm", "tmpfs", "shm", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"});
  AddMount(spec, "/tmp", "tmpfs", "tmpfs", {"nosuid", "nodev", "mode=1777", "size=256m"});
  AddMount(spec, "/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"});
  for (const char* dir : kSystemDirs) {
    std::string host = absl::StrCat("/", dir);
    struct stat st;
    // Symlinks (merged /usr) are recreated in the root instead.
    if (lstat(host.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) continue;
    AddMount(spec, host, "bind", host, {"rbind", "ro", "nosuid", "nodev"});
  }
  for (const char* path : {"/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
                           "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
                           "/proc/scsi", "/sys/firmware"}) {
    spec.mutable_linux()->add_masked_paths(path);
  }
  for (const char* path : {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                           "/proc/sysrq-trigger"}) {
    spec.mutable_linux()->add_readonly_paths(path);
  }
  ASSIGN_OR_RETURN(runsc::boot::v1::ContainerConfig config,
                   specutils::ToContainerConfig(spec, "/"));
  config.set_rootfs("");
  config.set_synthetic_root(true);
  return config;
}

absl::StatusOr<UniqueFd> PrepareTemplateRoot(const runsc::boot::v1::ContainerConfig& config,
                                             uint32_t host_base) {
  UniqueFd fs(static_cast<int>(syscall(SYS_fsopen, "tmpfs", FSOPEN_CLOEXEC)));
  if (!fs) return ErrnoError(errno, "fsopen tmpfs for the template root");
  for (const auto& [key, value] : {std::pair<const char*, const char*>{"size", "1m"},
                                   {"mode", "0755"}}) {
    if (syscall(SYS_fsconfig, fs.get(), FSCONFIG_SET_STRING, key, value, 0) != 0) {
      return ErrnoError(errno, absl::StrCat("fsconfig template tmpfs ", key));
    }
  }
  if (syscall(SYS_fsconfig, fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0) {
    return ErrnoError(errno, "create the template tmpfs");
  }
  UniqueFd root(static_cast<int>(
      syscall(SYS_fsmount, fs.get(), FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV)));
  if (!root) return ErrnoError(errno, "fsmount the template tmpfs");
  if (fchownat(root.get(), "", host_base, host_base, AT_EMPTY_PATH) != 0) {
    return ErrnoError(errno, "chown the template root");
  }
  for (const char* dir : kRootDirs) {
    mode_t mode = std::string(dir) == "tmp" ? 01777 : 0755;
    if (mkdirat(root.get(), dir, mode) != 0) {
      return ErrnoError(errno, absl::StrCat("mkdir '/", dir, "' in the template"));
    }
    if (fchownat(root.get(), dir, host_base, host_base, 0) != 0) {
      return ErrnoError(errno, absl::StrCat("chown '/", dir, "' in the template"));
    }
  }
  for (const char* dir : kSystemDirs) {
    std::string host = absl::StrCat("/", dir);
    char target[256];
    ssize_t n = readlink(host.c_str(), target, sizeof(target) - 1);
    if (n > 0) {
      target[n] = '\0';
      if (symlinkat(target, root.get(), dir) != 0) {
        return ErrnoError(errno, absl::StrCat("symlink '/", dir, "' in the template"));
      }
    } else if (mkdirat(root.get(), dir, 0755) != 0 && errno != EEXIST) {
      return ErrnoError(errno, absl::StrCat("mkdir '/", dir, "' in the template"));
    }
  }
  UniqueFd etc(openat(root.get(), "etc", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!etc) return ErrnoError(errno, "open '/etc' in the template");
  const std::string& host = config.hostname();
  RETURN_IF_ERROR(WriteFileAt(etc.get(), "passwd",
                              "root:x:0:0:root:/root:/bin/sh\n"
                              "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
                              host_base));
  RETURN_IF_ERROR(WriteFileAt(etc.get(), "group", "root:x:0:\nnogroup:x:65534:\n", host_base));
  RETURN_IF_ERROR(WriteFileAt(etc.get(), "hosts",
                              absl::StrCat("127.0.0.1\tlocalhost\n::1\tlocalhost\n127.0.1.1\t",
                                           host, "\n"),
                              host_base));
  RETURN_IF_ERROR(WriteFileAt(etc.get(), "hostname", host + "\n", host_base));
  return root;
}

}  // namespace runsc::sandbox
