#include "boot/seccomp_cache.h"

#include "boot/seccomp_loader.h"

namespace runsc::boot {
namespace {

constexpr unsigned char kDefaultProgram[] = {
#include "boot/default_seccomp_program.inc"
};

constexpr unsigned char kDefaultBpf[] = {
#include "boot/default_seccomp_bpf.inc"
};

}  // namespace

const std::string& BuiltDefaultSeccompProgram() {
  static const std::string* const program =
      new std::string(reinterpret_cast<const char*>(kDefaultProgram), sizeof(kDefaultProgram));
  return *program;
}

const std::string& BuiltDefaultSeccompBpf() {
  static const std::string* const bpf =
      new std::string(reinterpret_cast<const char*>(kDefaultBpf), sizeof(kDefaultBpf));
  return *bpf;
}

SeccompCache::SeccompCache() {
  compiled_.emplace(BuiltDefaultSeccompProgram(), BuiltDefaultSeccompBpf());
}

absl::StatusOr<const std::string*> SeccompCache::Compiled(
    const runsc::boot::v1::SeccompProgram& program) {
  std::string key;
  if (!program.SerializeToString(&key)) {
    return absl::InternalError("seccomp: cannot serialise the program");
  }
  auto it = compiled_.find(key);
  if (it == compiled_.end()) {
    ++compilations_;
    absl::StatusOr<std::string> bpf = CompileSeccompProgram(program);
    if (!bpf.ok()) return bpf.status();
    it = compiled_.emplace(std::move(key), std::move(*bpf)).first;
  }
  return &it->second;
}

}  // namespace runsc::boot
