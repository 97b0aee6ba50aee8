#include "session/proof_keys.h"

#include <doctest/doctest.h>
#include <stdexcept>

using namespace cardbound::server;

TEST_CASE("proof keys: bounded, the recently used kept")
{
    ProofKeys keys(4);
    auto session = [](const std::string &id) {
        Session s;
        s.id = id;
        s.tag = "tag-" + id;
        return s;
    };
    keys.remember(session("a"));
    keys.remember(session("b"));
    keys.remember(session("c")); // the newer generation was full: a and b are older now
    REQUIRE(keys.find("a"));     // used: back in the newer one
    CHECK(keys.find("a")->tag == "tag-a");
    keys.remember(session("d")); // full again: b goes with its generation
    keys.remember(session("e"));
    CHECK(keys.size() <= 4);
    CHECK(keys.find("a"));
    CHECK_FALSE(keys.find("b"));
    keys.forget("a");
    CHECK_FALSE(keys.find("a"));
    for (int i = 0; i < 100; i++)
        keys.remember(session("s" + std::to_string(i)));
    CHECK(keys.size() <= 4);
    CHECK(keys.find("s99"));
    CHECK_THROWS_AS(ProofKeys(1), std::invalid_argument);
}
