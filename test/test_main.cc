// gtest main for root tests: argv[1] is the runsc binary under test.
#include "gtest/gtest.h"
#include "test/sandbox_test_util.h"

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (argc < 2) {
    fprintf(stderr, "usage: %s RUNSC_BINARY [gtest flags]\n", argv[0]);
    return 2;
  }
  runsc::testing::SetRunscPath(argv[1]);
  return RUN_ALL_TESTS();
}
