// Per-process temporary file names. ctest runs every test case as its own process, in parallel
// (-j), and CI may run two clones on one machine: a fixed name under TempDir() would be written
// by several processes at once. The process id keeps them apart.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

namespace testutil {

inline std::string temp_file(const std::string& name) {
  return (std::filesystem::path(::testing::TempDir()) / ("prunecert_" + std::to_string(::getpid()) + "_" + name)).string();
}

}  // namespace testutil
