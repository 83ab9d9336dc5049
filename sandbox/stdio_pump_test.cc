#include "sandbox/stdio_pump.h"

#include <unistd.h>

#include <string>

#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "runsc/util/without_threads.h"

namespace runsc::sandbox {
namespace {

// The test plays the process: it reads its stdin and writes its output on
// the process's ends of the pipes.
TEST(StdioPumpTest, FeedsTheInputAndKeepsTheOutputUpToTheCap) {
  const std::string input = "to the process";
  CapturedOutput output;
  {
    absl::StatusOr<std::unique_ptr<StdioPump>> pump =
        StdioPump::Start(input, 4, absl::Now() + absl::Seconds(30), &output);
    ASSERT_TRUE(pump.ok()) << pump.status();
    std::vector<int> fds = (*pump)->process_fds();
    ASSERT_EQ(fds.size(), 3u);
    std::string got(input.size(), '\0');
    ASSERT_EQ(read(fds[0], got.data(), got.size()), static_cast<ssize_t>(input.size()));
    EXPECT_EQ(got, input);
    ASSERT_EQ(write(fds[1], "abcdefgh", 8), 8);
    ASSERT_EQ(write(fds[2], "ok", 2), 2);
    (*pump)->process_ends().clear();  // the process ends: EOF on both
  }
  EXPECT_EQ(output.out, "abcd");
  EXPECT_TRUE(output.out_truncated);
  EXPECT_EQ(output.err, "ok");
  EXPECT_FALSE(output.err_truncated);
}

// A writer that keeps the output open (a descendant of the process) holds
// the pump only kDrainAfterExit past its end.
TEST(StdioPumpTest, AnOutputHeldOpenEndsShortlyAfterThePumpsEnd) {
  CapturedOutput output;
  int held = -1;
  absl::Time ended;
  {
    absl::StatusOr<std::unique_ptr<StdioPump>> pump =
        StdioPump::Start("", 100, absl::Now() + absl::Seconds(30), &output);
    ASSERT_TRUE(pump.ok()) << pump.status();
    held = dup((*pump)->process_fds()[1]);
    ASSERT_EQ(write(held, "early", 5), 5);
    ended = absl::Now();
  }
  const absl::Duration waited = absl::Now() - ended;
  close(held);
  EXPECT_EQ(output.out, "early");
  EXPECT_GE(waited, StdioPump::kDrainAfterExit - absl::Milliseconds(20));
  EXPECT_LT(waited, absl::Seconds(5));
}

// A Run that finds no thread for its pump fails, and the daemon goes on:
// the pump's destructor joined a thread that had never started, and that
// threw from a destructor (std::terminate, SIGABRT).
TEST(StdioPumpTest, NoThreadIsAnErrorNotAnAbort) {
  EXPECT_EQ(util::WithoutThreads([] {
              const std::string input = "x";
              CapturedOutput output;
              absl::StatusOr<std::unique_ptr<StdioPump>> pump =
                  StdioPump::Start(input, 16, absl::Now() + absl::Seconds(5), &output);
              if (pump.ok()) return 1;
              return absl::IsResourceExhausted(pump.status()) ? 0 : 2;
            }),
            0);
}

}  // namespace
}  // namespace runsc::sandbox
