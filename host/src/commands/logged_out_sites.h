// What a failed PIN check did to other logins, for the commands that send a
// PIN to a card (authenticate, sign, confirm-transaction): the host logs a
// card out before every check, so after a wrong PIN the presence sessions
// of that card prove nothing, and end at their next round, unless the right
// PIN comes first. The error says how many sites those are
// (`sitesLoggedOut`), for the PIN window to warn the user.
#pragma once

#include "card/card_token.h"
#include "commands/login_store.h"
#include "core/error.h"

namespace cardbound::host
{

// On the card's thread, with the error the card job is about to answer.
inline void tell_sites_logged_out(HostError &e, const CardToken *token, const LoginStore &logins)
{
    if (!token)
        return;
    if (std::size_t sites = logins.sites_using(token->logins_lost()); sites > 0)
        e.details["sitesLoggedOut"] = sites;
}

} // namespace cardbound::host
