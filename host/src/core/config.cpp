#include "core/config.h"

#include "cardbound/protocol/origin.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

namespace cardbound::host
{

using nlohmann::json;

namespace
{

constexpr std::size_t kMaxConfigSize = 1024 * 1024;

[[noreturn]] void invalid(const std::string &source, const std::string &why)
{
    throw std::runtime_error(source + ": " + why);
}

std::vector<std::string> string_list(const json &v, const std::string &source, const char *key)
{
    if (!v.is_array())
        invalid(source, std::string("'") + key + "' must be an array of strings");
    std::vector<std::string> out;
    for (const auto &item : v) {
        if (!item.is_string() || item.get_ref<const std::string &>().empty())
            invalid(source, std::string("'") + key + "' must be an array of strings");
        out.push_back(item.get<std::string>());
    }
    return out;
}

std::string home_config_path()
{
    if (const char *xdg = std::getenv("XDG_CONFIG_HOME"); xdg && *xdg)
        return std::string(xdg) + "/cardbound/host.json";
    if (const char *home = std::getenv("HOME"); home && *home)
        return std::string(home) + "/.config/cardbound/host.json";
    return {};
}

} // namespace

std::vector<std::string> default_pkcs11_modules()
{
    for (const char *p :
         {"/usr/lib/x86_64-linux-gnu/p11-kit-proxy.so",
          "/usr/lib/aarch64-linux-gnu/p11-kit-proxy.so", "/usr/lib/p11-kit-proxy.so"})
        if (std::filesystem::exists(p))
            return {p};
    for (const char *p :
         {"/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so",
          "/usr/lib/aarch64-linux-gnu/opensc-pkcs11.so", "/usr/lib/opensc-pkcs11.so"})
        if (std::filesystem::exists(p))
            return {p};
    return {};
}

void apply_config_text(Config &c, const std::string &text, const std::string &source)
{
    json j = json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object())
        invalid(source, "not a JSON object");
    for (const auto &[key, v] : j.items()) {
        if (key == "pkcs11Modules") {
            c.pkcs11_modules = string_list(v, source, "pkcs11Modules");
        } else if (key == "useSystemTrust") {
            if (!v.is_boolean())
                invalid(source, "'useSystemTrust' must be true or false");
            c.use_system_trust = v.get<bool>();
        } else if (key == "caFiles") {
            c.ca_files = string_list(v, source, "caFiles");
        } else if (key == "pins") {
            if (!v.is_object())
                invalid(source, "'pins' must map origins to fingerprint arrays");
            c.pins.clear();
            for (const auto &[origin, fps] : v.items()) {
                if (!parse_origin(origin))
                    invalid(source, "'pins' names an invalid origin '" + origin + "'");
                auto list = string_list(fps, source, "pins");
                for (const auto &fp : list)
                    if (fp.size() != 64 ||
                        fp.find_first_not_of("0123456789abcdef") != std::string::npos)
                        invalid(source, "pins must be lowercase hex SHA-256 fingerprints");
                c.pins[origin] = list;
            }
        } else if (key == "allowHttpLocalhost") {
            if (!v.is_boolean())
                invalid(source, "'allowHttpLocalhost' must be true or false");
            c.allow_http_localhost = v.get<bool>();
        } else if (key == "maxClockSkewSeconds") {
            if (!v.is_number_integer() || v.get<long long>() < 0 || v.get<long long>() > 600)
                invalid(source, "'maxClockSkewSeconds' must be 0 to 600");
            c.max_clock_skew_seconds = v.get<int>();
        } else if (key == "logFile") {
            if (!v.is_string())
                invalid(source, "'logFile' must be a path");
            c.log_file = v.get<std::string>();
        } else if (key == "logLevel") {
            static const char *levels[] = {"trace", "debug", "info", "warn", "error", "off"};
            bool ok = v.is_string();
            bool known = false;
            for (auto l : levels)
                known = known || (ok && v.get_ref<const std::string &>() == l);
            if (!known)
                invalid(source, "'logLevel' must be trace, debug, info, warn, error or off");
            c.log_level = v.get<std::string>();
        } else {
            invalid(source, "unknown key '" + key + "'");
        }
    }
}

Config load_config()
{
    Config c;
    c.pkcs11_modules = default_pkcs11_modules();
    std::vector<std::string> paths = {"/etc/cardbound/host.json", home_config_path()};
    if (const char *env = std::getenv("CARDBOUND_HOST_CONFIG"); env && *env)
        paths.emplace_back(env);
    for (const auto &path : paths) {
        if (path.empty() || !std::filesystem::exists(path))
            continue;
        std::ifstream in(path, std::ios::binary);
        if (!in)
            invalid(path, "cannot be read");
        std::ostringstream text;
        text << in.rdbuf();
        if (text.str().size() > kMaxConfigSize)
            invalid(path, "is larger than 1 MiB");
        apply_config_text(c, text.str(), path);
        c.loaded_from.push_back(path);
    }
    return c;
}

} // namespace cardbound::host
