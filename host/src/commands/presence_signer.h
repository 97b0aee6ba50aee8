// Presence proofs, shared by confirm (the first proof) and presence (every
// later one): signed without a PIN while the card that logged in stays in.
// Runs on the card's thread.
#pragma once

#include "commands/context.h"

namespace cardbound::host
{

// Signs a presence proof for the session's card (`token`: its card thread's
// token, nullptr when no card holds the certificate). The card must not have
// left its reader since the login (a re-inserted card needs a new PIN login).
PresenceProof sign_presence(HostContext &context, CardToken *token, const PresenceSession &session,
                            const std::string &nonce);

} // namespace cardbound::host
