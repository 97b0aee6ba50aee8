#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include "validation/nonce_store.h"
#include "validation/validation_error.h"

#include "outcome.h"
#include <atomic>

#include <doctest/doctest.h>
#include <functional>
#include <thread>
#include <vector>

using namespace cardbound::server;
using testing::outcome;

namespace
{
} // namespace

TEST_CASE("a nonce is good once, until it expires")
{
    MemoryNonceStore store;
    std::time_t now = std::time(nullptr);
    store.issue("a", now + 60);
    CHECK(outcome([&] { store.consume("a", now); }) == "ok");
    CHECK(outcome([&] { store.consume("a", now); }) == "NONCE_REUSED");
    CHECK(outcome([&] { store.consume("never", now); }) == "NONCE_UNKNOWN");
    store.issue("b", now + 60);
    CHECK(outcome([&] { store.consume("b", now + 60); }) == "NONCE_EXPIRED");
}

TEST_CASE("concurrent consumers: exactly one wins")
{
    MemoryNonceStore store;
    std::time_t now = std::time(nullptr);
    store.issue("race", now + 60);
    std::atomic<int> wins{0}, reused{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 8; i++)
        threads.emplace_back([&] {
            std::string r = outcome([&] { store.consume("race", now); });
            (r == "ok" ? wins : reused)++;
        });
    for (auto &t : threads)
        t.join();
    CHECK(wins == 1);
    CHECK(reused == 7);
}

TEST_CASE("an unused nonce is forgotten when it expires, a used one is kept for its replay")
{
    MemoryNonceStore store(60);
    std::time_t now = std::time(nullptr);
    store.issue("old-unused", now - 10); // expired already: forgotten at the next issue
    store.issue("used", now + 60);
    store.consume("used", now);
    store.issue("fresh", now + 60);
    CHECK(store.size() == 2);
    CHECK(outcome([&] { store.consume("old-unused", now); }) == "NONCE_UNKNOWN");
    CHECK(outcome([&] { store.consume("used", now + 100); }) == "NONCE_REUSED");
}

TEST_CASE("the store is bounded: when full, the nonce due first goes")
{
    MemoryNonceStore store(3600, 1000);
    std::time_t now = std::time(nullptr);
    for (int i = 0; i < 5000; i++)
        store.issue("n" + std::to_string(i), now + 120 + i);
    CHECK(store.size() == 1000);
    CHECK(store.dropped() == 4000);
    CHECK(outcome([&] { store.consume("n0", now); }) == "NONCE_UNKNOWN");
    CHECK(outcome([&] { store.consume("n4999", now); }) == "ok");
}

TEST_CASE("a flood of used nonces never pushes out a challenge yet to be answered")
{
    MemoryNonceStore store(3600, 1000);
    std::time_t now = std::time(nullptr);
    store.issue("a user's", now + 120);
    // An attacker's challenges, each used up at once by a login (refused or not).
    for (int i = 0; i < 5000; i++) {
        store.issue("x" + std::to_string(i), now + 120);
        store.consume("x" + std::to_string(i), now);
    }
    CHECK(store.dropped() == 0);
    CHECK(store.size() == 1 + 1000);
    CHECK(outcome([&] { store.consume("x4999", now); }) == "NONCE_REUSED");
    CHECK(outcome([&] { store.consume("x0", now); }) ==
          "NONCE_UNKNOWN"); // forgotten: still refused
    CHECK(outcome([&] { store.consume("a user's", now); }) == "ok");
}

TEST_CASE("100k challenges: the store stays bounded and every operation stays fast")
{
    MemoryNonceStore store(3600, 20'000);
    std::time_t now = std::time(nullptr);
    for (int i = 0; i < 100'000; i++) {
        store.issue("c" + std::to_string(i), now + 120);
        if (i % 10 == 0)
            store.consume("c" + std::to_string(i), now);
    }
    CHECK(store.size() == 20'000 + 10'000); // unused at the bound, and the 10k used
    CHECK(outcome([&] { store.consume("c99999", now); }) == "ok");
}
