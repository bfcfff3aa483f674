// The typed options struct and the table it is generated from (src/util/options.def).
// Engines receive this struct (or pieces of it); they never parse strings.
#pragma once
#include <set>
#include <string>
#include <vector>

namespace util {

enum class OptionKind { Double, Int, String, Flag };

struct OptionInfo {
  OptionKind kind;
  const char* cli_name;     // as typed after "--"
  double default_number;    // Double/Int/Flag default
  const char* default_text; // String default
  double min, max;          // range for Double/Int
  const char* commands;     // space-separated subcommands, or "*"
  const char* help;
};

struct Options {
#define OPT_Double(field, def) double field = def;
#define OPT_Int(field, def) long long field = def;
#define OPT_String(field, def) std::string field = def;
#define OPT_Flag(field, def) bool field = def;
#define OPT(kind, field, cli, def, lo, hi, cmds, hlp) OPT_##kind(field, def)
#include "src/util/options.def"
#undef OPT
#undef OPT_Double
#undef OPT_Int
#undef OPT_String
#undef OPT_Flag
  // The options typed on the command line (their long names, without "--"; filled by the
  // parser), so that a command can tell an explicit value from the table's default.
  std::set<std::string> given;
  bool was_given(const std::string& name) const { return given.count(name) > 0; }
};

// All rows of the table, in order.
const std::vector<OptionInfo>& option_table();
// True when option `info` belongs to subcommand `command`.
bool option_applies(const OptionInfo& info, const std::string& command);

}  // namespace util
