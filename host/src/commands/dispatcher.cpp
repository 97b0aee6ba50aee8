#include "commands/context.h"

#include <array>
#include <utility>

namespace cardbound::host
{

nlohmann::json dispatch(Request &request, HostContext &context)
{
    static constexpr std::array<std::pair<std::string_view, Handler>, 8> kCommands{{
        {"status", handle_status},
        {"list-certificates", handle_list_certificates},
        {"begin-login", handle_begin_login},
        {"verify-server", handle_verify_server},
        {"authenticate", handle_authenticate},
        {"confirm", handle_confirm},
        {"presence", handle_presence},
        {"logout", handle_logout},
    }};
    for (const auto &[name, handler] : kCommands) {
        if (name != request.command)
            continue;
        if (name != "status" && !context.config_error.empty())
            throw HostError(ErrorCode::HostMisconfigured, context.config_error);
        return handler(request, context);
    }
    throw HostError(ErrorCode::UnknownCommand, "unknown command '" + request.command + "'");
}

} // namespace cardbound::host
