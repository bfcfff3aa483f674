// The rows of options.def as data, for the CLI parser and --help.
#include "src/util/options.h"

#include <sstream>

namespace util {

namespace {
template <class T>
double num(T v) {
  if constexpr (std::is_arithmetic_v<T>) return static_cast<double>(v); else return 0.0;
}
template <class T>
const char* txt(T v) {
  if constexpr (std::is_arithmetic_v<T>) return ""; else return v;
}
}  // namespace

const std::vector<OptionInfo>& option_table() {
  static const std::vector<OptionInfo> table = {
#define OPT(kind, field, cli, def, lo, hi, cmds, hlp) \
  {OptionKind::kind, cli, num(def), txt(def), double(lo), double(hi), cmds, hlp},
#include "src/util/options.def"
#undef OPT
  };
  return table;
}

bool option_applies(const OptionInfo& info, const std::string& command) {
  std::string cmds = info.commands;
  if (cmds == "*") return true;
  std::istringstream in(cmds);
  std::string c;
  while (in >> c)
    if (c == command) return true;
  return false;
}

}  // namespace util
