#include "messaging/request.h"

#include <algorithm>
#include <variant>

namespace cardbound::host
{

using nlohmann::json;

namespace
{

HostError bad(const std::string &why)
{
    return HostError(ErrorCode::BadRequest, why);
}

bool valid_id(const std::string &id)
{
    if (id.empty() || id.size() > 64)
        return false;
    for (char c : id)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.'))
            return false;
    return true;
}

} // namespace

const Origin &Request::require_origin() const
{
    if (!origin)
        throw bad("the command '" + command + "' needs the origin");
    return *origin;
}

std::variant<Request, RejectedRequest> parse_request(std::string_view body,
                                                     const OriginPolicy &policy)
{
    json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
    // Before anything can refuse the request: the PIN goes into its own
    // buffer and the parser's string is wiped (SecurePin).
    std::optional<SecurePin> pin;
    if (j.is_object())
        if (auto a = j.find("arguments"); a != j.end() && a->is_object())
            if (auto p = a->find("pin"); p != a->end() && p->is_string()) {
                pin.emplace(p->get_ref<std::string &>());
                a->erase(p);
            }
    if (j.is_discarded())
        return RejectedRequest{std::nullopt, bad("the message is not valid JSON")};
    if (!j.is_object())
        return RejectedRequest{std::nullopt, bad("the message must be a JSON object")};

    auto id_it = j.find("id");
    if (id_it == j.end() || !id_it->is_string() || !valid_id(id_it->get_ref<const std::string &>()))
        return RejectedRequest{
            std::nullopt, bad("'id' must be a string of 1 to 64 letters, digits, '-', '_' or '.'")};
    Request r;
    r.id = id_it->get<std::string>();
    auto reject = [&](HostError e) -> std::variant<Request, RejectedRequest> {
        return RejectedRequest{r.id, std::move(e)};
    };

    for (const auto &[key, value] : j.items())
        if (key != "id" && key != "command" && key != "origin" && key != "arguments")
            return reject(bad("unknown field '" + key + "'"));

    auto cmd = j.find("command");
    if (cmd == j.end() || !cmd->is_string() || cmd->get_ref<const std::string &>().empty() ||
        cmd->get_ref<const std::string &>().size() > 64)
        return reject(bad("'command' must be a non-empty string"));
    r.command = cmd->get<std::string>();

    if (auto o = j.find("origin"); o != j.end()) {
        if (!o->is_string())
            return reject(bad("'origin' must be a string"));
        auto origin = parse_origin(o->get_ref<const std::string &>());
        if (!origin)
            return reject(bad("'origin' is not a valid origin"));
        bool allowed =
            origin->scheme == "https" || (policy.allow_http_localhost && origin->is_localhost());
        if (!allowed)
            return reject(
                HostError(ErrorCode::OriginNotAllowed, "only https:// origins may use a card"));
        r.origin = std::move(origin);
    }

    if (auto a = j.find("arguments"); a != j.end()) {
        if (!a->is_object())
            return reject(bad("'arguments' must be a JSON object"));
        r.arguments = std::move(*a);
        if (r.arguments.contains("pin"))
            return reject(bad("argument 'pin' must be a string"));
    }
    r.pin = std::move(pin);
    return r;
}

const std::string &string_argument(const Request &r, const char *name, std::size_t max_len)
{
    auto it = r.arguments.find(name);
    if (it == r.arguments.end() || !it->is_string())
        throw bad(std::string("argument '") + name + "' must be a string");
    const auto &s = it->get_ref<const std::string &>();
    if (s.empty() || s.size() > max_len)
        throw bad(std::string("argument '") + name + "' has a bad length");
    return s;
}

std::optional<std::string> optional_string_argument(const Request &r, const char *name,
                                                    std::size_t max_len)
{
    if (!r.arguments.contains(name))
        return std::nullopt;
    return string_argument(r, name, max_len);
}

const json &object_argument(const Request &r, const char *name)
{
    auto it = r.arguments.find(name);
    if (it == r.arguments.end() || !it->is_object())
        throw bad(std::string("argument '") + name + "' must be a JSON object");
    return *it;
}

void allow_only_arguments(const Request &r, std::initializer_list<std::string_view> names)
{
    if (r.pin && std::find(names.begin(), names.end(), "pin") == names.end())
        throw bad("unknown argument 'pin' for '" + r.command + "'");
    for (const auto &[key, value] : r.arguments.items()) {
        bool known = false;
        for (auto n : names)
            known = known || key == n;
        if (!known)
            throw bad("unknown argument '" + key + "' for '" + r.command + "'");
    }
}

} // namespace cardbound::host
