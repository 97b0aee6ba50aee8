// logout: ends this origin's presence sessions (one, or all) and logs the
// card out when no other site's session still uses it.
#include "commands/context.h"

#include <algorithm>

namespace cardbound::host
{

nlohmann::json handle_logout(Request &request, HostContext &context)
{
    allow_only_arguments(request, {"sessionTag"});
    const Origin &origin = request.require_origin();
    std::string tag = optional_string_argument(request, "sessionTag", 64).value_or("");
    auto certificates = context.logins.end_sessions(origin.serialize(), tag);
    std::size_t ended = certificates.size(); // one entry per ended session
    std::sort(certificates.begin(), certificates.end());
    certificates.erase(std::unique(certificates.begin(), certificates.end()), certificates.end());
    int logged_out = 0;
    for (const auto &fp : certificates) {
        if (!context.logins.certificate_in_use(fp)) {
            context.cards->logout(fp);
            logged_out++;
        }
    }
    return {{"endedSessions", ended}, {"cardsLoggedOut", logged_out}};
}

} // namespace cardbound::host
