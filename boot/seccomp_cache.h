// SeccompCache: the launcher's compiled seccomp programs, by their
// serialised source, so that each distinct program is compiled once
// (libseccomp; CompileSeccompProgram) and every later workload child only
// loads it.
//
// The workloads' default program (specutils::DefaultSeccompProgram: every
// container whose spec has no seccomp section) is compiled when runsc is
// built: seccomp_gen runs libseccomp on it and the build embeds the
// program and its BPF, which every cache starts with. Each sandbox's
// launcher is a fresh process, and compiling that program there took about
// 0.4 ms of a create (cold code and heap), on the way to the main process's
// start. A program that differs in any byte is compiled as before;
// seccomp_cache_test checks that the embedded BPF is what libseccomp makes
// of the program now.
//
// Thread safety: not thread-safe.
#ifndef RUNSC_BOOT_SECCOMP_CACHE_H_
#define RUNSC_BOOT_SECCOMP_CACHE_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "proto/boot.pb.h"

namespace runsc::boot {

class SeccompCache final {
 public:
  SeccompCache();

  // The compiled program; it lives as long as the cache. A program that
  // does not compile is not cached: each call reports its error.
  absl::StatusOr<const std::string*> Compiled(const runsc::boot::v1::SeccompProgram& program);

  // How many programs this cache has handed to libseccomp.
  int compilations() const { return compilations_; }

 private:
  std::map<std::string, std::string> compiled_;
  int compilations_ = 0;
};

// The build's copy of the default program, serialised, and its BPF.
const std::string& BuiltDefaultSeccompProgram();
const std::string& BuiltDefaultSeccompBpf();

}  // namespace runsc::boot

#endif  // RUNSC_BOOT_SECCOMP_CACHE_H_
