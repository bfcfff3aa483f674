// Replays the parser fuzzers' regression inputs (tests/fuzz/regressions/{nnet,vnnlib}, see
// tests/fuzz/README.md): each must be read or rejected with util::InputError; any other exception
// fails the test, and a crash or hang fails the whole run.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

#include "src/net/io.h"
#include "src/spec/vnnlib.h"
#include "src/util/errors.h"

namespace fs = std::filesystem;

namespace {

void replay(const std::string& folder, const std::function<void(const std::string&)>& parse) {
  const fs::path dir = fs::path(PRUNECERT_SOURCE_DIR) / "tests/fuzz/regressions" / folder;
  int count = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    SCOPED_TRACE(e.path().string());
    std::ifstream f(e.path(), std::ios::binary);
    std::ostringstream text;
    text << f.rdbuf();
    try {
      parse(text.str());
    } catch (const util::InputError&) {
    }
    ++count;
  }
  EXPECT_GT(count, 0) << "no regression files in " << dir;
}

}  // namespace

TEST(ParserRegressions, NNetInputsAreReadOrRejectedWithInputError) {
  replay("nnet", [](const std::string& text) { net::read_nnet_text(text, "regression").layered(); });
}

TEST(ParserRegressions, VnnLibInputsAreReadOrRejectedWithInputError) {
  replay("vnnlib", [](const std::string& text) { spec::parse_vnnlib(text, "regression"); });
}
