// Formatting of the one-line error messages of prunecert.
#include "src/util/errors.h"

namespace util {

static std::string format_input_error(const std::string& file, const std::string& place,
                                      const std::string& what) {
  std::string s = file;
  if (!place.empty()) s += ": " + place;
  return s + ": " + what;
}

InputError::InputError(const std::string& file, const std::string& place, const std::string& what)
    : std::runtime_error(format_input_error(file, place, what)), file_(file), place_(place), problem_(what) {}

}  // namespace util
