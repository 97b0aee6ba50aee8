// Everything a command handler may use. Built once in main(); handlers run
// on the request loop thread only.
#pragma once

#include "card/card_events.h"
#include "card/card_service.h"
#include "commands/login_store.h"
#include "core/config.h"
#include "messaging/request.h"
#include "trust/server_verifier.h"

#include <ctime>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

namespace cardbound::host
{

struct HostContext {
    Config config;
    std::string config_error; // non-empty: only "status" works
    std::function<std::time_t()> now = [] { return std::time(nullptr); };
    CardEvents *events = nullptr;
    std::unique_ptr<CardService> cards;
    std::unique_ptr<ServerVerifier> verifier;
    LoginStore logins;
};

using Handler = nlohmann::json (*)(Request &, HostContext &);

// One handler per command (commands/<name>.cpp).
nlohmann::json handle_status(Request &, HostContext &);
nlohmann::json handle_list_certificates(Request &, HostContext &);
nlohmann::json handle_begin_login(Request &, HostContext &);
nlohmann::json handle_verify_server(Request &, HostContext &);
nlohmann::json handle_authenticate(Request &, HostContext &);
nlohmann::json handle_confirm(Request &, HostContext &);
nlohmann::json handle_presence(Request &, HostContext &);
nlohmann::json handle_logout(Request &, HostContext &);

// Runs the request's command; throws HostError.
nlohmann::json dispatch(Request &request, HostContext &context);

inline constexpr std::string_view kHostVersion = "0.1.0";
inline constexpr int kProtocolVersion = 1;

} // namespace cardbound::host
