#include "specutils/device_rules.h"

#include <optional>

#include "absl/strings/str_cat.h"

namespace runsc::specutils {

namespace {

constexpr uint8_t kRead = 1, kWrite = 2, kMknod = 4;

// "rwm" and its subsets as bits; nullopt for an empty or unknown access.
std::optional<uint8_t> Perms(absl::string_view access) {
  uint8_t perms = 0;
  for (char c : access) {
    if (c == 'r') {
      perms |= kRead;
    } else if (c == 'w') {
      perms |= kWrite;
    } else if (c == 'm') {
      perms |= kMknod;
    } else {
      return std::nullopt;
    }
  }
  if (perms == 0) return std::nullopt;
  return perms;
}

bool Matches(int64_t rule, int64_t number) { return rule < 0 || rule == number; }

}  // namespace

absl::StatusOr<DeviceRules> DeviceRules::FromSpec(
    const google::protobuf::RepeatedPtrField<runsc::oci::v1::DeviceCgroup>& rules,
    absl::string_view field) {
  DeviceRules out;
  for (int i = 0; i < rules.size(); ++i) {
    const auto& rule = rules[i];
    const std::string f = absl::StrCat(field, "[", i, "]");
    const std::string& type = rule.type().empty() ? "a" : rule.type();
    if (type != "a" && type != "b" && type != "c") {
      return absl::InvalidArgumentError(absl::StrCat(f, ".type: '", type, "' is not a, b or c"));
    }
    std::optional<uint8_t> perms = Perms(rule.access());
    if (!perms.has_value()) {
      return absl::InvalidArgumentError(
          absl::StrCat(f, ".access: '", rule.access(), "' is not a set of r, w and m"));
    }
    absl::Status applied = out.Apply(rule.allow(), type[0], rule.has_major() ? rule.major() : -1,
                                     rule.has_minor() ? rule.minor() : -1, *perms);
    if (!applied.ok()) return absl::InvalidArgumentError(absl::StrCat(f, ": ", applied.message()));
  }
  // runc's own, after the spec's (libcontainer/specconv's AllowedDevices).
  constexpr struct {
    char type;
    int64_t major, minor;
    uint8_t perms;
  } kRuncAllows[] = {
      {'c', -1, -1, kMknod}, {'b', -1, -1, kMknod}, {'c', 1, 3, 7},    {'c', 1, 8, 7},
      {'c', 1, 7, 7},        {'c', 5, 0, 7},        {'c', 1, 5, 7},    {'c', 1, 9, 7},
      {'c', 136, -1, 7},     {'c', 5, 2, 7},        {'c', 10, 200, 7},
  };
  for (const auto& a : kRuncAllows) {
    absl::Status applied = out.Apply(true, a.type, a.major, a.minor, a.perms);
    if (!applied.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(field, ": runc's own allowance of ",
                                                     std::string(1, a.type), " ", a.major, ":",
                                                     a.minor, " after them: ", applied.message()));
    }
  }
  return out;
}

absl::Status DeviceRules::Apply(bool allow, char type, int64_t major, int64_t minor,
                                uint8_t perms) {
  if (type == 'a') {  // all devices: the list starts again, all allowed or all denied
    default_allow_ = allow;
    rules_.clear();
    return absl::OkStatus();
  }
  major = major < 0 ? -1 : major;
  minor = minor < 0 ? -1 : minor;
  const Key key{type, major, minor};
  if (allow != default_allow_) {  // an exception to the default, or more of one
    rules_[key] |= perms;
    return absl::OkStatus();
  }
  // Less of an exception: only one of exactly these numbers. A wider one
  // that overlaps stays whole in the kernel, which runc refuses to hide.
  for (const Key& wider : {Key{type, -1, minor}, Key{type, major, -1}, Key{type, -1, -1}}) {
    if (wider == key) continue;
    auto it = rules_.find(wider);
    if (it != rules_.end() && (it->second & perms) != 0) {
      const std::string t(1, type);
      return absl::InvalidArgumentError(absl::StrCat(
          "cannot take ", t, " ", major, ":", minor, " out of the wider rule ", t, " ",
          std::get<1>(wider), ":", std::get<2>(wider), " (the device cgroup would not)"));
    }
  }
  auto it = rules_.find(key);
  if (it != rules_.end()) {
    it->second &= static_cast<uint8_t>(~perms);
    if (it->second == 0) rules_.erase(it);
  }
  return absl::OkStatus();
}

bool DeviceRules::Allows(char type, int64_t major, int64_t minor, absl::string_view access) const {
  const uint8_t want = Perms(access).value_or(0);
  for (const auto& [key, perms] : rules_) {
    const auto& [t, rule_major, rule_minor] = key;
    if (t != type || !Matches(rule_major, major) || !Matches(rule_minor, minor)) continue;
    if (default_allow_ && (perms & want) != 0) return false;     // denied in part
    if (!default_allow_ && (perms & want) == want) return true;  // allowed whole
  }
  return default_allow_;
}

}  // namespace runsc::specutils
