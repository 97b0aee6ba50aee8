#include "http/rate_limiter.h"

#include <doctest/doctest.h>

using namespace cardbound::server;
using namespace std::chrono_literals;

TEST_CASE("a client gets its burst, then its rate; another client is not touched")
{
    RateLimiter limiter({10, 5});
    auto t = RateLimiter::Clock::now();
    for (int i = 0; i < 5; i++)
        CHECK(limiter.take("10.0.0.1", t) == 0);
    int wait = limiter.take("10.0.0.1", t);
    CHECK(wait == 1); // a tenth of a second, told as whole seconds for Retry-After
    CHECK(limiter.take("10.0.0.2", t) == 0);
    CHECK(limiter.take("10.0.0.1", t + 100ms) == 0); // one token back after 1/rate
    CHECK(limiter.take("10.0.0.1", t + 100ms) != 0);
    CHECK(limiter.take("10.0.0.1", t + 10s) == 0); // refilled (to the burst, no more)
}

TEST_CASE("a rate of 0 limits nothing")
{
    RateLimiter limiter({0, 0});
    auto t = RateLimiter::Clock::now();
    for (int i = 0; i < 1000; i++)
        CHECK(limiter.take("10.0.0.1", t) == 0);
    CHECK(limiter.clients() == 0);
}

TEST_CASE("the buckets are bounded: the longest idle client goes first")
{
    RateLimiter limiter({1, 1, 3});
    auto t = RateLimiter::Clock::now();
    limiter.take("a", t);
    limiter.take("b", t);
    limiter.take("c", t);
    CHECK(limiter.take("a", t) != 0); // a used again: now the most recent
    limiter.take("d", t);             // drops b, the longest idle
    CHECK(limiter.clients() == 3);
    CHECK(limiter.take("b", t) == 0); // forgotten: a full bucket again
    CHECK(limiter.take("a", t) != 0); // a was kept, still empty
}
