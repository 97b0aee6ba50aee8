// Everything a command handler may use. Built once in main(). Handlers run
// on the request loop; card work goes to the card threads (CardService),
// which answer through the channel themselves.
#pragma once

#include "card/card_events.h"
#include "card/card_service.h"
#include "cardbound/protocol/registry.h"
#include "commands/login_store.h"
#include "core/config.h"
#include "messaging/channel.h"
#include "messaging/request.h"
#include "trust/server_verifier.h"

#include <ctime>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace cardbound::host
{

// A handler's answer: the result now, or nothing when a card thread answers
// the request later.
using Reply = std::optional<nlohmann::json>;

struct HostContext {
    Config config;
    std::string config_error; // non-empty: only "status" works
    std::function<std::time_t()> now = [] { return std::time(nullptr); };
    CardEvents *events = nullptr;
    Channel *channel = nullptr;
    LoginStore logins; // shared with the card threads: it locks; outlives them
    std::unique_ptr<ServerVerifier> verifier;
    std::unique_ptr<CardService> cards; // last: its threads go first

    // Runs `work` and answers the request with its result or its error:
    // HostError as itself, anything else as ERR_INTERNAL. Called on the
    // request loop and on card threads alike.
    void answer(const std::string &id, const std::string &command,
                const std::function<Reply()> &work);
};

using Handler = Reply (*)(Request &, HostContext &);

// One handler per command (commands/<name>.cpp).
Reply handle_status(Request &, HostContext &);
Reply handle_list_certificates(Request &, HostContext &);
Reply handle_begin_login(Request &, HostContext &);
Reply handle_verify_server(Request &, HostContext &);
Reply handle_authenticate(Request &, HostContext &);
Reply handle_sign(Request &, HostContext &);
Reply handle_confirm(Request &, HostContext &);
Reply handle_presence(Request &, HostContext &);
Reply handle_verify_transaction(Request &, HostContext &);
Reply handle_confirm_transaction(Request &, HostContext &);
Reply handle_logout(Request &, HostContext &);

// Runs the request's command; throws HostError.
Reply dispatch(Request &request, HostContext &context);

// From protocol/registry.json (cardbound/protocol/registry.h).
inline constexpr std::string_view kHostVersion = registry::kVersion;
inline constexpr int kProtocolVersion = registry::kProtocolVersion;

} // namespace cardbound::host
