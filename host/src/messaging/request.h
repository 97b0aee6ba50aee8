// Requests from the browser: {"id", "command", "origin"?, "arguments"?}.
// The extension fills "origin" from the sender tab, never from the page.
#pragma once

#include "cardbound/protocol/origin.h"
#include "core/error.h"
#include "core/secure_pin.h"

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace cardbound::host
{

struct OriginPolicy {
    bool allow_http_localhost = false; // development only
};

struct Request {
    std::string id;
    std::string command;
    std::optional<Origin> origin;
    nlohmann::json arguments = nlohmann::json::object();
    // The `pin` argument, taken out of `arguments` by parse_request.
    std::optional<SecurePin> pin;

    // The request's origin; throws ERR_BAD_REQUEST when the command needs one
    // and the request has none.
    const Origin &require_origin() const;
};

// A request that was refused, with the id to answer under when it had a valid
// one (an answer without a usable id goes out with "id": null).
struct RejectedRequest {
    std::optional<std::string> id;
    HostError error;
};

// Parses and validates one message body. On failure returns the rejection.
// The body may hold a PIN: the caller wipes it afterwards. A `pin` argument
// goes into Request::pin at once, whatever is refused after it.
std::variant<Request, RejectedRequest> parse_request(std::string_view body,
                                                     const OriginPolicy &policy);

// Argument readers for handlers: each throws ERR_BAD_REQUEST naming the field.
const std::string &string_argument(const Request &r, const char *name, std::size_t max_len);
std::optional<std::string> optional_string_argument(const Request &r, const char *name,
                                                    std::size_t max_len);
const nlohmann::json &object_argument(const Request &r, const char *name);
// Refuses arguments the command does not know ("pin" among them).
void allow_only_arguments(const Request &r, std::initializer_list<std::string_view> names);

} // namespace cardbound::host
