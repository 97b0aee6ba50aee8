// logout: ends this origin's presence sessions (one, or all) at once, and
// logs each card out — on its own thread — when no other site's session
// still uses it. The answer goes when the last card is done.
#include "commands/context.h"

#include <algorithm>
#include <mutex>

namespace cardbound::host
{

namespace
{

// Counts the cards' answers; the last one answers the request.
struct LogoutTally {
    std::mutex mutex;
    std::size_t waiting;
    int logged_out = 0;
    bool done(bool was_logged_in)
    {
        std::lock_guard lock(mutex);
        logged_out += was_logged_in ? 1 : 0;
        return --waiting == 0;
    }
};

} // namespace

Reply handle_logout(Request &request, HostContext &context)
{
    allow_only_arguments(request, {"sessionTag"});
    const Origin &origin = request.require_origin();
    std::string tag = optional_string_argument(request, "sessionTag", 64).value_or("");
    auto certificates = context.logins.end_sessions(origin.serialize(), tag);
    std::size_t ended = certificates.size(); // one entry per ended session
    std::sort(certificates.begin(), certificates.end());
    certificates.erase(std::unique(certificates.begin(), certificates.end()), certificates.end());
    std::erase_if(certificates,
                  [&](const std::string &fp) { return context.logins.certificate_in_use(fp); });
    if (certificates.empty())
        return nlohmann::json{{"endedSessions", ended}, {"cardsLoggedOut", 0}};

    auto tally = std::make_shared<LogoutTally>();
    tally->waiting = certificates.size();
    for (const auto &fp : certificates) {
        context.cards->on_token_of(fp, [&context, id = request.id, ended, tally](CardToken *token) {
            if (!tally->done(token && token->logout()))
                return;
            context.answer(id, "logout", [&]() -> Reply {
                return nlohmann::json{{"endedSessions", ended},
                                      {"cardsLoggedOut", tally->logged_out}};
            });
        });
    }
    return std::nullopt;
}

} // namespace cardbound::host
