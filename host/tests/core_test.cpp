#include "card/card_events.h"
#include "cardbound/protocol/origin.h"
#include "core/config.h"

#include <doctest/doctest.h>

using namespace cardbound;
using namespace cardbound::host;

TEST_CASE("origins are accepted only in canonical form")
{
    CHECK(parse_origin("https://example.org")->serialize() == "https://example.org");
    CHECK(parse_origin("https://a.b-c.example:8443")->port == 8443);
    CHECK(parse_origin("https://[::1]:8443")->host_for_certificate() == "::1");
    CHECK(parse_origin("https://127.0.0.1")->is_ip_literal());
    CHECK(parse_origin("http://localhost:3000")->is_localhost());
    for (const char *bad :
         {"https://example.org/", "https://Example.org", "https://example.org:443",
          "https://example.org:0", "https://example.org:65536", "https://user@example.org",
          "ftp://example.org", "https://", "https://-a.org", "https://[::01]",
          "https://example.org?x", "https://exa mple.org", "https://example.org:08443"}) {
        CAPTURE(bad);
        CHECK_FALSE(parse_origin(bad));
    }
}

TEST_CASE("the configuration refuses unknown keys and wrong types")
{
    Config c;
    apply_config_text(
        c, R"({"pkcs11Modules":["/x.so"],"allowHttpLocalhost":true,"caFiles":["/ca.pem"]})", "t");
    CHECK(c.pkcs11_modules == std::vector<std::string>{"/x.so"});
    CHECK(c.allow_http_localhost);
    CHECK_THROWS_WITH_AS(apply_config_text(c, R"({"pkcs11Module":[]})", "t"),
                         doctest::Contains("unknown key"), std::runtime_error);
    CHECK_THROWS_AS(apply_config_text(c, R"({"allowHttpLocalhost":"yes"})", "t"),
                    std::runtime_error);
    CHECK_THROWS_AS(apply_config_text(c, R"({"pins":{"https://a.org":["nothex"]}})", "t"),
                    std::runtime_error);
    CHECK_THROWS_AS(apply_config_text(c, "[]", "t"), std::runtime_error);
    CHECK_THROWS_AS(apply_config_text(c, "{", "t"), std::runtime_error);
}

TEST_CASE("a card removal is reported once, whoever notices it first")
{
    std::vector<std::string> sent;
    nlohmann::json last;
    CardEvents events([&](const std::string &name, nlohmann::json data) {
        sent.push_back(name);
        last = std::move(data);
    });
    events.reader_added("R", true);
    events.card_inserted("R", true);
    CHECK(sent.empty());
    events.remember_certificates("R", {"fp1", "fp2"}, events.removal_count("R"));
    events.card_removed("R", "pcsc");
    events.card_removed("R", "pkcs11");
    REQUIRE(sent == std::vector<std::string>{"card-removed"});
    CHECK(last["certificates"] == nlohmann::json({"fp1", "fp2"}));
    CHECK(last["reader"] == "R");
    CHECK(events.removal_count("R") == 1);
    events.card_inserted("R");
    CHECK(sent.back() == "card-inserted");
    events.reader_removed("R");
    CHECK(sent == std::vector<std::string>{"card-removed", "card-inserted", "card-removed",
                                           "reader-removed"});
    CHECK(events.removal_count("R") == 2); // kept: a returning reader revives nothing
    CHECK(events.readers().empty());
    events.reader_added("R");
    CHECK(sent.back() == "reader-added");
    CHECK(events.removal_count("R") == 2);
}

TEST_CASE("a PKCS#11 scan that raced a removal does not mark the card present")
{
    std::vector<std::string> sent;
    CardEvents events([&](const std::string &name, nlohmann::json) { sent.push_back(name); });
    events.reader_added("R", true);
    events.card_inserted("R", true);
    auto before = events.removal_count("R");
    events.card_removed("R", "pcsc"); // while the scan was reading the card
    events.remember_certificates("R", {"fp"}, before);
    events.card_inserted("R");
    CHECK(sent == std::vector<std::string>{"card-removed", "card-inserted"});
}

TEST_CASE("slot descriptions cut to 64 bytes map back to their reader")
{
    CardEvents events([](const std::string &, nlohmann::json) {});
    std::string longname =
        "Very Long Manufacturer Name Smart Card Reader Interface [CCID] (1234567890) 00 00";
    events.reader_added(longname, true);
    CHECK(events.reader_for_slot(longname.substr(0, 64)) == longname);
    CHECK(events.reader_for_slot("Other") == "Other");
}
