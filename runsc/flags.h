// A small flag parser for runc-style subcommands: `--name value`,
// `--name=value`, boolean `--name`, one-letter aliases, and positional
// arguments. Unknown flags are errors in runc's words.
#ifndef RUNSC_RUNSC_FLAGS_H_
#define RUNSC_RUNSC_FLAGS_H_

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace runsc::cli {

struct FlagSpec {
  std::set<std::string> with_value;  // names without "--"
  std::set<std::string> booleans;
  std::map<std::string, std::string> aliases;  // "d" -> "detach"
};

struct ParsedFlags {
  std::map<std::string, std::vector<std::string>> values;  // repeated allowed
  std::set<std::string> set;                               // booleans given
  std::vector<std::string> positional;

  std::string Get(const std::string& name, const std::string& fallback = "") const;
  bool Has(const std::string& name) const { return set.count(name) != 0; }
};

// For commands whose every argument is parsed as a flag or positional.
inline constexpr size_t kNoPassthrough = static_cast<size_t>(-1);

// argv[0] is the command. Parsing stops at "--" or, once
// `positional_before_passthrough` positional arguments have been seen, at
// anything (so `exec ID CMD --flag` keeps CMD's flags).
absl::StatusOr<ParsedFlags> ParseFlags(int argc, char** argv, const FlagSpec& spec,
                                       size_t positional_before_passthrough = 1);

}  // namespace runsc::cli

#endif  // RUNSC_RUNSC_FLAGS_H_
