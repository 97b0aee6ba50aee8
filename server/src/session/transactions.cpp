#include "session/transactions.h"

#include "cardbound/crypto/certificate.h"
#include "cardbound/crypto/encoding.h"
#include "session/session_key.h"
#include "validation/parse_message.h"

#include <stdexcept>

namespace cardbound::server
{

Transactions::Transactions(RelyingParty &rp, std::shared_ptr<TransactionStore> store, int lifetime)
    : rp_(rp), store_(std::move(store)),
      lifetime_(lifetime == 0 ? rp.config().challenge_lifetime : lifetime)
{
    if (!store_)
        throw std::invalid_argument("transactions need a transaction store");
    // A host refuses a challenge that lives longer, so a longer one could
    // never be answered.
    if (lifetime_ < 1 || lifetime_ > registry::kMaxChallengeLifetimeSeconds)
        throw std::invalid_argument("the transaction lifetime must be 1 to " +
                                    std::to_string(registry::kMaxChallengeLifetimeSeconds) +
                                    " seconds");
}

TransactionChallenge Transactions::challenge(const std::string &session_id, const std::string &text,
                                             std::time_t now)
{
    Session s = rp_.session(session_id, now); // live and confirmed, or its code
    if (!is_valid_transaction_text(text))
        refuse(ValidationCode::TransactionTextInvalid,
               "the text must be 1 to " + std::to_string(registry::kMaxTransactionTextBytes) +
                   " bytes of UTF-8, one line of printable characters");
    TransactionChallenge c;
    c.origin = s.origin;
    c.session_tag = s.tag;
    c.text = text;
    c.nonce = base64_encode(random_bytes(32));
    c.issued_at = format_time(now);
    c.expires_at = format_time(now + lifetime_);
    const ServerIdentity &identity = rp_.identity();
    c.algorithm = identity.algorithm;
    c.signature = identity.sign(c.signing_input());
    store_->issue(session_key(session_id), c.nonce, {text, now + lifetime_}, now);
    return c;
}

Transactions::Confirmed Transactions::confirm(const std::string &session_id,
                                              const nlohmann::json &confirmation_json,
                                              std::time_t now)
{
    Session s = rp_.session(session_id, now);
    TransactionConfirmation c = parse_message<TransactionConfirmation>(confirmation_json);
    // Taken before anything else is compared: whatever the answer, this
    // question has had its one try.
    std::optional<PendingTransaction> issued = store_->take(session_key(session_id), c.nonce);
    if (!issued)
        refuse(ValidationCode::TransactionUnknown,
               "no transaction of this session has that nonce (never asked, answered or expired)");
    if (now > issued->expires)
        refuse(ValidationCode::TransactionUnknown, "the transaction's challenge expired");
    if (c.session_tag != s.tag)
        refuse(ValidationCode::TransactionUnknown, "the confirmation names another session");
    if (c.text != issued->text)
        refuse(ValidationCode::TransactionTextChanged,
               "the confirmation names another text than the one issued");
    // The session keeps its certificate's SHA-256 (the identity's
    // fingerprint), not the certificate: the same bytes or another card.
    if (s.identity.fingerprint.empty() ||
        hex_encode(digest(EVP_sha256(), c.certificate)) != s.identity.fingerprint)
        refuse(ValidationCode::TransactionWrongCard,
               "the confirmation's certificate is not the session's");
    // The session's algorithm, as for presence proofs: the card's key and
    // the way it signs were fixed at login.
    Bytes d = transaction_digest(s.algorithm, s.origin, s.tag, issued->text, c.nonce);
    if (c.algorithm != s.algorithm || !s.public_key ||
        !verify_digest(s.public_key.get(), s.algorithm, d, c.signature))
        refuse(ValidationCode::TransactionSignatureInvalid,
               "the signature does not cover this transaction with the session's card");
    return {std::move(s), std::move(issued->text), std::move(c.nonce)};
}

} // namespace cardbound::server
