// Transaction confirmation (docs/protocol.md sections 4.4, 4.5 and 6): the
// server asks the card of a live, confirmed session to confirm a short text
// ("pay 1,200 EUR to ACME"), which the host shows verbatim in its trusted
// window; the card signs the origin, the session, the text and the nonce
// (transaction_digest), and the server checks that signature against the
// card the session logged in with and the text it issued itself, never the
// text the page sends back.
//
//   challenge()  a TransactionChallenge, signed by the server's key; the
//                question (session key, nonce, text, expiry) is remembered
//                in the TransactionStore
//   confirm()    the card's TransactionConfirmation, checked in this order,
//                each refusal with its own code:
//                  the session: SESSION_UNKNOWN, NOT_CONFIRMED, PRESENCE_LATE
//                  a malformed confirmation: TOKEN_MALFORMED (as a presence
//                    proof); it uses nothing up
//                  the question is taken out of the store (single use: any
//                    refusal after this point uses it up, so a page cannot
//                    try variants of one answer): none for this session,
//                    or expired: TRANSACTION_UNKNOWN
//                  another session's tag: TRANSACTION_UNKNOWN
//                  another text than the one issued: TRANSACTION_TEXT_CHANGED
//                  another certificate than the session's:
//                    TRANSACTION_WRONG_CARD
//                  a signature that does not verify with the session's key
//                    and algorithm over the issued text:
//                    TRANSACTION_SIGNATURE_INVALID
#pragma once

#include "session/relying_party.h"
#include "session/transaction_store.h"

#include <memory>
#include <string>

namespace cardbound::server
{

class Transactions
{
  public:
    // `lifetime`: seconds a question may be answered, 1 to
    // registry::kMaxChallengeLifetimeSeconds; 0 takes the relying party's
    // challenge lifetime. `rp` must outlive this.
    Transactions(RelyingParty &rp, std::shared_ptr<TransactionStore> store, int lifetime = 0);

    // Throws the session's codes, or TRANSACTION_TEXT_INVALID for a text the
    // trusted window would not show as it is (is_valid_transaction_text).
    TransactionChallenge challenge(const std::string &session_id, const std::string &text,
                                   std::time_t now);

    struct Confirmed {
        Session session;   // the live session whose card confirmed
        std::string text;  // the text as the server issued it
        std::string nonce; // the question's nonce (for the log)
    };
    // Throws ValidationError in the order above.
    Confirmed confirm(const std::string &session_id, const nlohmann::json &confirmation,
                      std::time_t now);

    int lifetime() const { return lifetime_; }

  private:
    RelyingParty &rp_;
    std::shared_ptr<TransactionStore> store_;
    int lifetime_;
};

} // namespace cardbound::server
