// Directories for tests: TempDir, one under /tmp that goes with everything
// in it when the TempDir does, and ListDir, the sorted names in one.
#ifndef RUNSC_RUNSC_UTIL_TEST_DIRS_H_
#define RUNSC_RUNSC_UTIL_TEST_DIRS_H_

#include <dirent.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include "gtest/gtest.h"

namespace runsc::util {

class TempDir {
 public:
  // Named /tmp/<prefix>-XXXXXX.
  explicit TempDir(const std::string& prefix = "runsc-unit") {
    std::string tmpl = "/tmp/" + prefix + "-XXXXXX";
    if (mkdtemp(tmpl.data()) != nullptr) path_ = tmpl;
    EXPECT_FALSE(path_.empty()) << "mkdtemp failed";
  }
  ~TempDir() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The names in `dir` but . and .., sorted; none if it cannot be read.
inline std::vector<std::string> ListDir(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return names;
  while (struct dirent* e = readdir(d)) {
    const std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace runsc::util

#endif  // RUNSC_RUNSC_UTIL_TEST_DIRS_H_
