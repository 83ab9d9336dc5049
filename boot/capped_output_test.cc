#include "boot/capped_output.h"

#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace runsc::boot {
namespace {

using util::UniqueFd;

class CappedOutputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char path[] = "/tmp/capped-output-XXXXXX";
    UniqueFd made(mkstemp(path));
    ASSERT_TRUE(made) << "mkstemp";
    path_ = path;
  }
  void TearDown() override { unlink(path_.c_str()); }

  UniqueFd OpenLog(int flags = O_WRONLY | O_APPEND) {
    return UniqueFd(open(path_.c_str(), flags | O_CLOEXEC));
  }

  std::string Contents() {
    std::string out;
    UniqueFd fd(open(path_.c_str(), O_RDONLY | O_CLOEXEC));
    char buf[4096];
    ssize_t n;
    while ((n = read(fd.get(), buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
    return out;
  }

  static void WriteAll(int fd, const std::string& data) {
    size_t done = 0;
    while (done < data.size()) {
      const ssize_t n = write(fd, data.data() + done, data.size() - done);
      ASSERT_GT(n, 0) << "write: errno " << errno;
      done += static_cast<size_t>(n);
    }
  }

  // Pumps until every writer is gone; false if that took too many rounds.
  static bool PumpToEnd(CappedOutput& output) {
    for (int round = 0; round < 1000000; ++round) {
      if (!output.Pump(64 * 1024)) return true;
    }
    return false;
  }

  std::string path_;
};

TEST_F(CappedOutputTest, OutputUnderTheLimitIsAppendedWhole) {
  WriteAll(OpenLog().get(), "before\n");
  absl::StatusOr<CappedOutput::Made> made = CappedOutput::Create(OpenLog(), 1024);
  ASSERT_TRUE(made.ok()) << made.status();
  WriteAll(made->write_end.get(), "out\n");
  WriteAll(made->write_end.get(), "err\n");
  made->write_end.reset();
  ASSERT_TRUE(PumpToEnd(made->output));
  EXPECT_EQ(Contents(), "before\nout\nerr\n");
  EXPECT_EQ(made->output.copied(), 8u);
  EXPECT_EQ(made->output.dropped(), 0u);
}

TEST_F(CappedOutputTest, PastTheLimitOneLineSaysSoAndTheRestIsDropped) {
  absl::StatusOr<CappedOutput::Made> made = CappedOutput::Create(OpenLog(), 100);
  ASSERT_TRUE(made.ok()) << made.status();
  WriteAll(made->write_end.get(), std::string(60, 'a'));
  EXPECT_TRUE(made->output.Pump(64 * 1024));
  WriteAll(made->write_end.get(), std::string(60, 'b'));
  EXPECT_TRUE(made->output.Pump(64 * 1024));
  WriteAll(made->write_end.get(), std::string(500, 'c'));
  made->write_end.reset();
  ASSERT_TRUE(PumpToEnd(made->output));
  EXPECT_EQ(Contents(), std::string(60, 'a') + std::string(40, 'b') + CappedOutputNotice(100));
  EXPECT_EQ(made->output.copied(), 100u);
  EXPECT_EQ(made->output.dropped(), 520u);
}

// A writer of far more than the limit and the pipe's buffer is never held
// up for good: everything it writes is read, and the file stops growing.
TEST_F(CappedOutputTest, AWriterOfMuchMoreThanTheLimitRunsToItsEnd) {
  absl::StatusOr<CappedOutput::Made> made = CappedOutput::Create(OpenLog(), 4096);
  ASSERT_TRUE(made.ok()) << made.status();
  const std::string chunk(64 * 1024, 'x');
  constexpr int kChunks = 128;  // 8 MiB
  UniqueFd write_end = std::move(made->write_end);
  std::thread writer([&write_end, &chunk] {
    for (int i = 0; i < kChunks; ++i) WriteAll(write_end.get(), chunk);
    write_end.reset();
  });
  ASSERT_TRUE(PumpToEnd(made->output));
  writer.join();
  EXPECT_EQ(made->output.copied(), 4096u);
  EXPECT_EQ(made->output.dropped(), uint64_t{kChunks} * chunk.size() - 4096);
  EXPECT_EQ(Contents(), std::string(4096, 'x') + CappedOutputNotice(4096));
}

TEST_F(CappedOutputTest, TheReadEndAloneIsNonBlocking) {
  absl::StatusOr<CappedOutput::Made> made = CappedOutput::Create(OpenLog(), 10);
  ASSERT_TRUE(made.ok()) << made.status();
  // Nothing written yet, a writer still there: returns at once.
  EXPECT_TRUE(made->output.Pump(64 * 1024));
  EXPECT_NE(fcntl(made->output.fd(), F_GETFL) & O_NONBLOCK, 0);
  EXPECT_EQ(fcntl(made->write_end.get(), F_GETFL) & O_NONBLOCK, 0);
  EXPECT_NE(fcntl(made->write_end.get(), F_GETFD) & FD_CLOEXEC, 0);
}

TEST_F(CappedOutputTest, APumpCopiesAtMostItsBudget) {
  absl::StatusOr<CappedOutput::Made> made = CappedOutput::Create(OpenLog(), 1 << 20);
  ASSERT_TRUE(made.ok()) << made.status();
  WriteAll(made->write_end.get(), std::string(10000, 'y'));
  EXPECT_TRUE(made->output.Pump(1000));
  EXPECT_EQ(made->output.copied(), 1000u);
  EXPECT_EQ(Contents().size(), 1000u);
}

// A file that refuses writes (here: opened read-only; ENOSPC on a host)
// ends the copying; the pipe is still drained, so the writer goes on.
TEST_F(CappedOutputTest, AFileThatRefusesWritesEndsTheCopyingNotTheDraining) {
  absl::StatusOr<CappedOutput::Made> made = CappedOutput::Create(OpenLog(O_RDONLY), 1000);
  ASSERT_TRUE(made.ok()) << made.status();
  WriteAll(made->write_end.get(), std::string(300, 'z'));
  EXPECT_TRUE(made->output.Pump(64 * 1024));
  WriteAll(made->write_end.get(), std::string(300, 'z'));
  made->write_end.reset();
  ASSERT_TRUE(PumpToEnd(made->output));
  EXPECT_EQ(made->output.copied(), 0u);
  EXPECT_EQ(made->output.dropped(), 600u);
  EXPECT_EQ(Contents(), "");
}

// The set a poll loop keeps: one poll entry an output, a copy only after an
// event, and an output dropped once its writers are gone.
TEST_F(CappedOutputTest, TheSetCopiesAfterAnEventAndDropsWhatEnded) {
  CappedOutputs outputs;
  absl::StatusOr<CappedOutput::Made> first = CappedOutput::Create(OpenLog(), 1024);
  absl::StatusOr<CappedOutput::Made> second = CappedOutput::Create(OpenLog(), 1024);
  ASSERT_TRUE(first.ok() && second.ok());
  outputs.Add(std::move(first->output));
  outputs.Add(std::move(second->output));
  std::vector<struct pollfd> fds = {{-1, POLLIN, 0}};
  outputs.AddPollFds(fds);
  ASSERT_EQ(fds.size(), 3u);
  WriteAll(first->write_end.get(), "one\n");
  outputs.PumpIfReady(fds, 1, 64 * 1024);  // no poll yet: no event
  EXPECT_EQ(Contents(), "");
  ASSERT_EQ(poll(fds.data(), fds.size(), 0), 1);
  outputs.PumpIfReady(fds, 1, 64 * 1024);
  EXPECT_EQ(Contents(), "one\n");
  second->write_end.reset();
  outputs.Pump(64 * 1024);
  EXPECT_EQ(outputs.size(), 1u) << "an output without writers stayed";
}

TEST_F(CappedOutputTest, AZeroLimitIsRefused) {
  EXPECT_EQ(CappedOutput::Create(OpenLog(), 0).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace runsc::boot
