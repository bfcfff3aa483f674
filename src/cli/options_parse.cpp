// Builds the Boost.Program_options description of a subcommand from the one options table
// (util/options.def) and fills the typed util::Options, checking ranges.
#include <boost/program_options.hpp>
#include <cstdio>
#include <iostream>

#include "src/cli/cli.h"
#include "src/util/errors.h"
#include "src/util/log.h"

namespace po = boost::program_options;

namespace cli {

namespace {

std::string fmt_number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

po::options_description describe(const Command& command) {
  po::options_description desc(std::string("options of 'prunecert ") + command.name + "'");
  desc.add_options()("help,h", "show this help");
  for (const auto& o : util::option_table()) {
    if (!util::option_applies(o, command.name)) continue;
    std::string help = o.help;
    switch (o.kind) {
      case util::OptionKind::Flag: desc.add_options()(o.cli_name, help.c_str()); break;
      case util::OptionKind::String:
        if (*o.default_text) help += " (default: " + std::string(o.default_text) + ")";
        desc.add_options()(o.cli_name, po::value<std::string>(), help.c_str());
        break;
      case util::OptionKind::Double:
      case util::OptionKind::Int:
        help += " (default: " + fmt_number(o.default_number) + ")";
        desc.add_options()(o.cli_name, po::value<std::string>(), help.c_str());
        break;
    }
  }
  return desc;
}

double parse_number(const util::OptionInfo& o, const std::string& text) {
  const std::string flag = "--" + std::string(o.cli_name).substr(0, std::string(o.cli_name).find(','));
  size_t used = 0;
  double v = 0;
  try {
    v = std::stod(text, &used);
  } catch (...) {
    used = 0;
  }
  if (used == 0 || used != text.size()) throw util::InputError(flag, "", "'" + text + "' is not a number");
  if (o.kind == util::OptionKind::Int && v != static_cast<double>(static_cast<long long>(v)))
    throw util::InputError(flag, "", "'" + text + "' is not an integer");
  if (!(v >= o.min && v <= o.max))
    throw util::InputError(flag, "", "'" + text + "' is out of range [" + fmt_number(o.min) + ", " + fmt_number(o.max) + "]");
  return v;
}

}  // namespace

bool parse_options(const Command& command, int argc, char** argv, util::Options& options) {
  po::options_description desc = describe(command);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(desc).run(), vm);
  } catch (const po::error& e) {
    throw util::InputError(std::string("prunecert ") + command.name, "", e.what());
  }
  if (vm.count("help")) {
    std::cout << command.summary << "\n\nexample: " << command.usage << "\n\n" << desc << "\n";
    return false;
  }
  // Fill the struct: one line per row of the table, generated.
  // "output,o" declares --output with the short form -o; the map knows it as "output".
  auto get = [&](const char* cli) -> const po::variable_value* {
    const std::string name = std::string(cli).substr(0, std::string(cli).find(','));
    return vm.count(name) ? &vm[name] : nullptr;
  };
  for (const auto& [name, value] : vm)
    if (!value.defaulted()) options.given.insert(name);
  size_t row = 0;
  const auto& table = util::option_table();
#define OPT_Double(field) if (auto v = get(o.cli_name)) options.field = parse_number(o, v->as<std::string>());
#define OPT_Int(field) if (auto v = get(o.cli_name)) options.field = static_cast<long long>(parse_number(o, v->as<std::string>()));
#define OPT_String(field) if (auto v = get(o.cli_name)) options.field = v->as<std::string>();
#define OPT_Flag(field) if (get(o.cli_name)) options.field = true;
#define OPT(kind, field, cli, def, lo, hi, cmds, hlp) \
  {                                                     \
    const auto& o = table[row++];                       \
    if (util::option_applies(o, command.name)) { OPT_##kind(field) } \
  }
#include "src/util/options.def"
#undef OPT
#undef OPT_Double
#undef OPT_Int
#undef OPT_String
#undef OPT_Flag
  // Per-command default: a training run has no wall-clock limit unless one is asked for (the
  // table's 300 s would silently cut long trainings short).
  if (std::string(command.name) == "train" && !get("timeout")) options.timeout = 0;
  util::set_log_level(static_cast<util::LogLevel>(options.verbosity));
  return true;
}

}  // namespace cli
