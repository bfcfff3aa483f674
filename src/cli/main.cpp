// prunecert entry point: dispatches to subcommands and maps errors to exit codes
// (0 answered, 1 internal error, 2 bad input; DESIGN.md "Contracts").
#include <cstdio>
#include <cstring>
#include <iostream>

#include "src/cli/cli.h"
#include "src/util/errors.h"

static void usage() {
  std::printf("prunecert: a verifier for ReLU networks (robustness, pruning-robustness)\n\n");
  std::printf("usage: prunecert <command> [options]   (prunecert <command> --help for its options)\n\n");
  for (const auto& c : cli::commands()) std::printf("  %-14s %s\n", c.name, c.summary);
  std::printf("\nWith no command, prunecert runs its demo: `verify` on the example shipped in examples/.\n");
}

int main(int argc, char** argv) {
  try {
    std::string name = argc >= 2 ? argv[1] : "demo";
    if (name == "--help" || name == "-h" || name == "help") {
      usage();
      return 0;
    }
    int shift = argc >= 2 ? 2 : 1;
    if (name == "demo") name = "verify";
    for (const auto& c : cli::commands()) {
      if (name != c.name) continue;
      util::Options options;
      // program_options skips argv[0]: hand it the subcommand name in that place.
      if (!cli::parse_options(c, argc - shift + 1, argv + shift - 1, options)) return 0;
      return c.run(options);
    }
    std::fprintf(stderr, "prunecert: unknown command '%s' (prunecert --help lists them)\n", name.c_str());
    return 2;
  } catch (const util::InputError& e) {
    std::fprintf(stderr, "prunecert: error: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "prunecert: internal error: %s\n", e.what());
    return 1;
  }
}
