#include "http/event_hub.h"

#include <atomic>
#include <doctest/doctest.h>
#include <string>
#include <thread>
#include <vector>

using namespace cardbound::server;

TEST_CASE("a session's end wakes its own waiters once, with the reason, and no others")
{
    EventHub hub;
    std::vector<std::string> a_heard, b_heard;
    for (int i = 0; i < 3; i++) {
        auto ta = hub.wait_for_end("A", [&](const std::string &r) { a_heard.push_back(r); });
        auto tb = hub.wait_for_end("B", [&](const std::string &r) { b_heard.push_back(r); });
        CHECK(std::holds_alternative<EventHub::Ticket>(ta));
        CHECK(std::holds_alternative<EventHub::Ticket>(tb));
    }
    CHECK(hub.waiters() == 6);

    hub.session_ended("B", "logout");
    CHECK(b_heard == std::vector<std::string>(3, "logout"));
    CHECK(a_heard.empty());
    CHECK(hub.waiters() == 3);

    hub.session_ended("B", "logout"); // a second end calls nobody again
    CHECK(b_heard.size() == 3);
    hub.session_ended("A", "card-removed");
    CHECK(a_heard == std::vector<std::string>(3, "card-removed"));
    CHECK(hub.waiters() == 0);
}

TEST_CASE("a waiter for an ended session gets the reason at once; a cancelled one is never called")
{
    EventHub hub;
    hub.session_ended("gone", "presence-late");
    bool called = false;
    auto late = hub.wait_for_end("gone", [&](const std::string &) { called = true; });
    REQUIRE(std::holds_alternative<std::string>(late));
    CHECK(std::get<std::string>(late) == "presence-late");
    CHECK(hub.waiters() == 0);

    auto t = hub.wait_for_end("live", [&](const std::string &) { called = true; });
    CHECK(hub.cancel("live", std::get<EventHub::Ticket>(t)));
    CHECK(hub.waiters() == 0);
    hub.session_ended("live", "logout");
    CHECK_FALSE(called);
    CHECK_FALSE(hub.cancel("live", std::get<EventHub::Ticket>(t))); // after the end: harmless
}

TEST_CASE("waiters registered, cancelled and woken from several threads: each one not cancelled "
          "in time is called exactly once")
{
    EventHub hub;
    constexpr int kThreads = 4, kSessions = 200;
    std::atomic<int> calls{0}, kept{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; t++)
        threads.emplace_back([&, t] {
            for (int s = 0; s < kSessions; s++) {
                std::string id = "s" + std::to_string(s);
                auto r = hub.wait_for_end(id, [&](const std::string &) { calls++; });
                if (auto *ticket = std::get_if<EventHub::Ticket>(&r)) {
                    // A cancel that loses the race with the end finds the
                    // waiter called already.
                    if ((s + t) % 3 != 0 || !hub.cancel(id, *ticket))
                        kept++;
                }
                if (t == 0)
                    hub.session_ended("s" + std::to_string(s / 2), "logout");
            }
        });
    for (auto &th : threads)
        th.join();
    for (int s = 0; s < kSessions; s++)
        hub.session_ended("s" + std::to_string(s), "logout");
    CHECK(hub.waiters() == 0);
    CHECK(calls.load() == kept.load());
}

TEST_CASE("streams are filed by the SHA-256 of the session id: an end told by key (from another "
          "instance) wakes them, and the id itself is never needed")
{
    CHECK(EventHub::key_of("abc") ==
          "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EventHub hub;
    std::vector<std::string> heard;
    auto t = hub.wait_for_end("cookie-value", [&](const std::string &r) { heard.push_back(r); });
    REQUIRE(std::holds_alternative<EventHub::Ticket>(t));
    hub.key_ended(EventHub::key_of("other"), "logout");
    CHECK(heard.empty());
    hub.key_ended(EventHub::key_of("cookie-value"), "card-removed");
    CHECK(heard == std::vector<std::string>{"card-removed"});
    hub.key_ended(EventHub::key_of("cookie-value"), "card-removed"); // heard twice: no-op
    CHECK(heard.size() == 1);
    auto late = hub.wait_for_end("cookie-value", [](const std::string &) {});
    CHECK(std::get<std::string>(late) == "card-removed");
}

TEST_CASE("a hub that lost track wakes every waiter with kLostTrack and answers new ones so, until "
          "it is on track again")
{
    EventHub hub;
    CHECK(hub.on_track());
    std::vector<std::string> heard;
    for (const char *id : {"a", "b", "b"})
        REQUIRE(std::holds_alternative<EventHub::Ticket>(
            hub.wait_for_end(id, [&](const std::string &r) { heard.push_back(r); })));
    hub.lose_track();
    CHECK_FALSE(hub.on_track());
    CHECK(heard == std::vector<std::string>(3, std::string(EventHub::kLostTrack)));
    CHECK(hub.waiters() == 0);
    bool called = false;
    auto r = hub.wait_for_end("c", [&](const std::string &) { called = true; });
    CHECK(std::get<std::string>(r) == EventHub::kLostTrack);
    hub.session_ended("c", "logout"); // not kept: nothing to wake
    CHECK_FALSE(called);
    hub.regain_track();
    CHECK(hub.on_track());
    auto t = hub.wait_for_end("d", [&](const std::string &) { called = true; });
    REQUIRE(std::holds_alternative<EventHub::Ticket>(t));
    hub.session_ended("d", "logout");
    CHECK(called);
}
