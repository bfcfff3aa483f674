// Errors, kept apart from verdicts (STYLE.md): an InputError is bad input from the user
// (exit code 2, one line naming the file, the place and the problem); anything else that
// escapes to the CLI is an internal error (exit code 1). A verdict is never an error.
#pragma once
#include <stdexcept>
#include <string>

namespace util {

class InputError : public std::runtime_error {
 public:
  // file: the path (or "<stdin>", "--budget", ...); place: "line 12", "node 'Gemm_3'", ... or empty.
  InputError(const std::string& file, const std::string& place, const std::string& what);
  const std::string& file() const { return file_; }
  const std::string& place() const { return place_; }
  const std::string& problem() const { return problem_; }

 private:
  std::string file_, place_, problem_;
};

// For a broken invariant inside prunecert (exit code 1).
class InternalError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

}  // namespace util
