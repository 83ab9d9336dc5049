// TempDir: a directory under /tmp for one test, removed with everything in
// it when the TempDir goes, so that no run of a test leaves one behind.
#ifndef RUNSC_SANDBOX_TEMP_DIR_TEST_UTIL_H_
#define RUNSC_SANDBOX_TEMP_DIR_TEST_UTIL_H_

#include <stdlib.h>

#include <filesystem>
#include <string>
#include <system_error>

#include "gtest/gtest.h"

namespace runsc::sandbox {

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

}  // namespace runsc::sandbox

#endif  // RUNSC_SANDBOX_TEMP_DIR_TEST_UTIL_H_
