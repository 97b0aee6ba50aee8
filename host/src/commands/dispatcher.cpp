#include "commands/context.h"

#include <array>
#include <spdlog/spdlog.h>
#include <utility>

namespace cardbound::host
{

Reply dispatch(Request &request, HostContext &context)
{
    static constexpr std::array<std::pair<std::string_view, Handler>, 11> kCommands{{
        {"status", handle_status},
        {"list-certificates", handle_list_certificates},
        {"begin-login", handle_begin_login},
        {"verify-server", handle_verify_server},
        {"authenticate", handle_authenticate},
        {"sign", handle_sign},
        {"confirm", handle_confirm},
        {"presence", handle_presence},
        {"verify-transaction", handle_verify_transaction},
        {"confirm-transaction", handle_confirm_transaction},
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

void HostContext::answer(const std::string &id, const std::string &command,
                         const std::function<Reply()> &work)
{
    try {
        if (Reply result = work())
            channel->answer(id, std::move(*result));
    } catch (const HostError &e) {
        spdlog::info("request {} '{}': {} {}", id, command, code_name(e.code), e.what());
        channel->answer_error(id, e);
    } catch (const std::exception &e) {
        spdlog::error("request {} '{}' failed: {}", id, command, e.what());
        channel->answer_error(id, HostError(ErrorCode::Internal, "internal error"));
    }
}

} // namespace cardbound::host
