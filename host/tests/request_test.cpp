#include "messaging/channel.h"
#include "messaging/request.h"

#include <doctest/doctest.h>

using namespace cardbound::host;

namespace
{

RejectedRequest rejected(const std::string &body, OriginPolicy policy = {})
{
    auto r = parse_request(body, policy);
    REQUIRE(std::holds_alternative<RejectedRequest>(r));
    return std::get<RejectedRequest>(r);
}

Request accepted(const std::string &body, OriginPolicy policy = {})
{
    auto r = parse_request(body, policy);
    if (auto *rej = std::get_if<RejectedRequest>(&r))
        FAIL("rejected: " << rej->error.what());
    return std::move(std::get<Request>(r));
}

} // namespace

TEST_CASE("a valid request is parsed")
{
    Request r = accepted(
        R"({"id":"a-1","command":"begin-login","origin":"https://example.org:8443","arguments":{"x":1}})");
    CHECK(r.id == "a-1");
    CHECK(r.command == "begin-login");
    REQUIRE(r.origin);
    CHECK(r.origin->serialize() == "https://example.org:8443");
    CHECK(r.arguments["x"] == 1);
}

TEST_CASE("requests without a usable id are answered with a null id")
{
    for (const char *body :
         {"not json", "[1,2]", R"({"command":"status"})", R"({"id":5,"command":"status"})",
          R"({"id":"","command":"status"})", R"({"id":"bad id!","command":"status"})"}) {
        CAPTURE(body);
        RejectedRequest r = rejected(body);
        CHECK_FALSE(r.id.has_value());
        CHECK(r.error.code == ErrorCode::BadRequest);
    }
    CHECK_FALSE(rejected(R"({"id":")" + std::string(65, 'a') + R"(","command":"status"})").id);
}

TEST_CASE("invalid requests with an id are answered under that id")
{
    struct Case {
        const char *body;
        ErrorCode code;
    } cases[] = {
        {R"({"id":"1"})", ErrorCode::BadRequest},
        {R"({"id":"1","command":7})", ErrorCode::BadRequest},
        {R"({"id":"1","command":"status","extra":true})", ErrorCode::BadRequest},
        {R"({"id":"1","command":"status","arguments":[]})", ErrorCode::BadRequest},
        {R"({"id":"1","command":"status","origin":"https://example.org/path"})",
         ErrorCode::BadRequest},
        {R"({"id":"1","command":"status","origin":"https://EXAMPLE.org"})", ErrorCode::BadRequest},
        {R"({"id":"1","command":"status","origin":"https://example.org:443"})",
         ErrorCode::BadRequest},
        {R"({"id":"1","command":"status","origin":"http://example.org"})",
         ErrorCode::OriginNotAllowed},
        {R"({"id":"1","command":"status","origin":"http://localhost:8080"})",
         ErrorCode::OriginNotAllowed},
        {R"({"id":"1","command":"status","origin":"chrome-extension://abc"})",
         ErrorCode::BadRequest},
    };
    for (const auto &c : cases) {
        CAPTURE(c.body);
        RejectedRequest r = rejected(c.body);
        CHECK(r.id == "1");
        CHECK(r.error.code == c.code);
    }
}

TEST_CASE("http://localhost needs the development switch")
{
    OriginPolicy dev{true};
    CHECK(
        accepted(R"({"id":"1","command":"status","origin":"http://localhost:8080"})", dev).origin);
    CHECK(
        accepted(R"({"id":"1","command":"status","origin":"http://127.0.0.1:8080"})", dev).origin);
    CHECK(rejected(R"({"id":"1","command":"status","origin":"http://example.org"})", dev)
              .error.code == ErrorCode::OriginNotAllowed);
}

TEST_CASE("argument readers refuse wrong types and unknown names")
{
    Request r = accepted(R"({"id":"1","command":"x","arguments":{"s":"text","n":3}})");
    CHECK(string_argument(r, "s", 10) == "text");
    CHECK_THROWS_AS(string_argument(r, "n", 10), HostError);
    CHECK_THROWS_AS(string_argument(r, "s", 3), HostError); // too long
    CHECK_THROWS_AS(string_argument(r, "missing", 10), HostError);
    CHECK_THROWS_AS(allow_only_arguments(r, {"s"}), HostError);
    CHECK_NOTHROW(allow_only_arguments(r, {"s", "n"}));
}

TEST_CASE("error answers carry the stable code and the details")
{
    auto msg = Channel::error_message(
        std::string("7"), HostError(ErrorCode::PinIncorrect, "wrong", {{"triesLeft", 1}}));
    CHECK(msg["id"] == "7");
    CHECK(msg["error"]["code"] == "ERR_PIN_INCORRECT");
    CHECK(msg["error"]["triesLeft"] == 1);
    auto anon = Channel::error_message(std::nullopt, HostError(ErrorCode::BadRequest, "x"));
    CHECK(anon["id"].is_null());
}

TEST_CASE("the PIN leaves the JSON at once, for every command, and only authenticate takes it")
{
    Request r = accepted(
        R"({"id":"1","command":"authenticate","arguments":{"loginId":"L","pin":"482916"}})");
    REQUIRE(r.pin);
    CHECK(std::string(r.pin->c_str()) == "482916");
    CHECK_FALSE(r.arguments.contains("pin"));
    CHECK_NOTHROW(allow_only_arguments(r, {"loginId", "pin"}));
    CHECK_THROWS_AS(allow_only_arguments(r, {"loginId"}), HostError);

    // Taken out before a later check refuses the request: nothing but the
    // PIN's own buffer holds it when the rejection is answered.
    auto refused = parse_request(
        R"({"id":"2","command":"authenticate","extra":1,"arguments":{"pin":"482916"}})", {});
    CHECK(std::holds_alternative<RejectedRequest>(refused));

    CHECK(
        rejected(R"({"id":"3","command":"authenticate","arguments":{"pin":482916}})").error.code ==
        ErrorCode::BadRequest);
    CHECK_FALSE(accepted(R"({"id":"4","command":"status"})").pin);
}

TEST_CASE("a moved PIN leaves nothing behind in its source")
{
    std::string text = "739184";
    SecurePin pin(text);
    CHECK(text == std::string(6, '\0')); // the source is wiped in place
    const char *buffer = pin.c_str();
    SecurePin moved(std::move(pin));
    CHECK(moved.c_str() == buffer); // the buffer itself moved: no copy was made
    CHECK(pin.size() == 0);
    CHECK(std::string(pin.c_str()).empty());
}
