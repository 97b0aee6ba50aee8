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
