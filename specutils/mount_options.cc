#include "specutils/mount_options.h"

#include <sys/mount.h>

#include "absl/strings/str_cat.h"

namespace runsc::specutils {

MountOptions ParseMountOptions(const std::vector<std::string>& options) {
  static constexpr struct {
    const char* name;
    bool clear;
    uint64_t flag;
  } kFlags[] = {
      {"ro", false, MS_RDONLY},
      {"rw", true, MS_RDONLY},
      {"nosuid", false, MS_NOSUID},
      {"suid", true, MS_NOSUID},
      {"nodev", false, MS_NODEV},
      {"dev", true, MS_NODEV},
      {"noexec", false, MS_NOEXEC},
      {"exec", true, MS_NOEXEC},
      {"sync", false, MS_SYNCHRONOUS},
      {"async", true, MS_SYNCHRONOUS},
      {"dirsync", false, MS_DIRSYNC},
      {"remount", false, MS_REMOUNT},
      {"mand", false, MS_MANDLOCK},
      {"nomand", true, MS_MANDLOCK},
      {"atime", true, MS_NOATIME},
      {"noatime", false, MS_NOATIME},
      {"diratime", true, MS_NODIRATIME},
      {"nodiratime", false, MS_NODIRATIME},
      {"relatime", false, MS_RELATIME},
      {"norelatime", true, MS_RELATIME},
      {"strictatime", false, MS_STRICTATIME},
      {"nostrictatime", true, MS_STRICTATIME},
      {"silent", false, MS_SILENT},
      {"loud", true, MS_SILENT},
      {"nosymfollow", false, MS_NOSYMFOLLOW},
      {"symfollow", true, MS_NOSYMFOLLOW},
      // runc's recursive forms (mount_setattr with AT_RECURSIVE). A bind's
      // attributes apply to its whole tree here, and any other mount has
      // no submounts: each is its plain form.
      {"rro", false, MS_RDONLY},
      {"rrw", true, MS_RDONLY},
      {"rnosuid", false, MS_NOSUID},
      {"rsuid", true, MS_NOSUID},
      {"rnodev", false, MS_NODEV},
      {"rdev", true, MS_NODEV},
      {"rnoexec", false, MS_NOEXEC},
      {"rexec", true, MS_NOEXEC},
      {"rnoatime", false, MS_NOATIME},
      {"ratime", true, MS_NOATIME},
      {"rnodiratime", false, MS_NODIRATIME},
      {"rdiratime", true, MS_NODIRATIME},
      {"rrelatime", false, MS_RELATIME},
      {"rnorelatime", true, MS_RELATIME},
      {"rstrictatime", false, MS_STRICTATIME},
      {"rnostrictatime", true, MS_STRICTATIME},
      {"rnosymfollow", false, MS_NOSYMFOLLOW},
      {"rsymfollow", true, MS_NOSYMFOLLOW},
  };
  static constexpr struct {
    const char* name;
    uint64_t flag;
  } kPropagation[] = {
      {"private", MS_PRIVATE},           {"rprivate", MS_PRIVATE | MS_REC},
      {"shared", MS_SHARED},             {"rshared", MS_SHARED | MS_REC},
      {"slave", MS_SLAVE},               {"rslave", MS_SLAVE | MS_REC},
      {"unbindable", MS_UNBINDABLE},     {"runbindable", MS_UNBINDABLE | MS_REC},
  };
  MountOptions out;
  for (const std::string& option : options) {
    bool known = false;
    for (const auto& f : kFlags) {
      if (option == f.name) {
        if (f.clear) {
          out.flags &= ~f.flag;
        } else {
          out.flags |= f.flag;
        }
        known = true;
        break;
      }
    }
    for (const auto& p : kPropagation) {
      if (!known && option == p.name) {
        out.propagation = p.flag;
        known = true;
      }
    }
    if (!known && (option == "bind" || option == "rbind")) {
      out.bind = true;
      out.recursive = option == "rbind";
      out.flags |= MS_BIND | (out.recursive ? MS_REC : 0);
      known = true;
    }
    if (!known && option == "tmpcopyup") {
      out.copy_up = true;
      known = true;
    }
    if (!known) {
      if (!out.data.empty()) out.data += ",";
      out.data += option;
    }
  }
  return out;
}

}  // namespace runsc::specutils
