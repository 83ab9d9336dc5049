#include "runsc/flags.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace runsc::cli {

std::string ParsedFlags::Get(const std::string& name, const std::string& fallback) const {
  auto it = values.find(name);
  return it == values.end() || it->second.empty() ? fallback : it->second.back();
}

absl::StatusOr<ParsedFlags> ParseFlags(int argc, char** argv, const FlagSpec& spec,
                                       size_t positional_before_passthrough) {
  ParsedFlags out;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (out.positional.size() >= positional_before_passthrough) {
      out.positional.push_back(arg);
      continue;
    }
    if (arg == "--") {
      for (++i; i < argc; ++i) out.positional.push_back(argv[i]);
      break;
    }
    if (!absl::StartsWith(arg, "-") || arg == "-") {
      out.positional.push_back(arg);
      continue;
    }
    std::string name = arg.substr(absl::StartsWith(arg, "--") ? 2 : 1);
    std::string value;
    bool has_value = false;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    if (auto a = spec.aliases.find(name); a != spec.aliases.end()) name = a->second;
    if (spec.booleans.count(name)) {
      if (has_value && value != "true" && value != "false") {
        return absl::InvalidArgumentError(
            absl::StrCat("invalid boolean value \"", value, "\" for -", name));
      }
      if (!has_value || value == "true") out.set.insert(name);
    } else if (spec.with_value.count(name)) {
      if (!has_value) {
        if (i + 1 >= argc) return absl::InvalidArgumentError(
            absl::StrCat("flag needs an argument: -", name));
        value = argv[++i];
      }
      out.values[name].push_back(value);
    } else {
      return absl::InvalidArgumentError(absl::StrCat("flag provided but not defined: -", name));
    }
  }
  return out;
}

}  // namespace runsc::cli
