#include "specutils/sandbox_id.h"

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace runsc::specutils {

absl::Status ValidateSandboxId(absl::string_view id) {
  if (id.empty()) return absl::InvalidArgumentError("id: must not be empty");
  if (id.size() > 64) {
    return absl::InvalidArgumentError(
        absl::StrCat("id: '", id.substr(0, 64), "...' is longer than 64 characters"));
  }
  if (id[0] == '.' || id[0] == '-') {
    return absl::InvalidArgumentError(
        absl::StrCat("id: '", id, "' must not start with '.' or '-'"));
  }
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '+' ||
              c == '-';
    if (!ok) {
      return absl::InvalidArgumentError(absl::StrCat(
          "id: '", id, "' may only contain letters, digits and _.+-"));
    }
  }
  return absl::OkStatus();
}

std::string GenerateSandboxId() {
  absl::BitGen gen;
  return absl::StrFormat("%016x", absl::Uniform<uint64_t>(gen));
}

}  // namespace runsc::specutils
