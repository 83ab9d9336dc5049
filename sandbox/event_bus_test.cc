#include "sandbox/event_bus.h"

#include <thread>

#include "gtest/gtest.h"

namespace runsc::sandbox {
namespace {

SandboxEvent Event(const std::string& type, const std::string& id) {
  SandboxEvent e;
  e.type = type;
  e.id = id;
  e.time = absl::Now();
  return e;
}

TEST(EventBusTest, SubscribersSeeTheirSandboxesEventsInOrder) {
  EventBus bus;
  auto all = bus.Subscribe("");
  auto only_a = bus.Subscribe("a");
  bus.Publish(Event("created", "a"));
  bus.Publish(Event("created", "b"));
  bus.Publish(Event("started", "a"));
  for (const char* want : {"a:created", "b:created", "a:started"}) {
    auto e = all->Next(absl::Seconds(1));
    ASSERT_TRUE(e.ok()) << e.status();
    EXPECT_EQ(e->id + ":" + e->type, want);
  }
  for (const char* want : {"created", "started"}) {
    auto e = only_a->Next(absl::Seconds(1));
    ASSERT_TRUE(e.ok()) << e.status();
    EXPECT_EQ(e->type, want);
  }
  EXPECT_TRUE(absl::IsDeadlineExceeded(only_a->Next(absl::Milliseconds(10)).status()));
}

TEST(EventBusTest, EventsBeforeSubscribingAreNotSeen) {
  EventBus bus;
  bus.Publish(Event("created", "a"));
  auto sub = bus.Subscribe("");
  EXPECT_TRUE(absl::IsDeadlineExceeded(sub->Next(absl::Milliseconds(10)).status()));
}

TEST(EventBusTest, NextWakesWhenAnEventArrives) {
  EventBus bus;
  auto sub = bus.Subscribe("a");
  std::thread publisher([&] {
    absl::SleepFor(absl::Milliseconds(50));
    bus.Publish(Event("deleted", "a"));
  });
  auto e = sub->Next(absl::Seconds(10));
  publisher.join();
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->type, "deleted");
}

TEST(EventBusTest, ASubscriberThatFallsBehindIsCutOffNotTheOthers) {
  EventBus bus;
  auto slow = bus.Subscribe("");
  auto fast = bus.Subscribe("");
  for (size_t i = 0; i < EventBus::kMaxPending + 1; ++i) {
    bus.Publish(Event("created", "x"));
    ASSERT_TRUE(fast->Next(absl::Seconds(1)).ok());
  }
  EXPECT_TRUE(absl::IsResourceExhausted(slow->Next(absl::Seconds(1)).status()));
  bus.Publish(Event("deleted", "x"));
  auto e = fast->Next(absl::Seconds(1));
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->type, "deleted");
}

TEST(EventBusTest, CloseEndsSubscriptionsAfterWhatWasQueued) {
  EventBus bus;
  auto sub = bus.Subscribe("");
  bus.Publish(Event("created", "a"));
  bus.Close();
  EXPECT_TRUE(sub->Next(absl::Seconds(1)).ok());
  EXPECT_TRUE(absl::IsUnavailable(sub->Next(absl::Seconds(1)).status()));
  auto late = bus.Subscribe("");
  EXPECT_TRUE(absl::IsUnavailable(late->Next(absl::Seconds(1)).status()));
}

}  // namespace
}  // namespace runsc::sandbox
