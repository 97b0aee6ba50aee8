#include "session/relying_party.h"
#include "cardbound/protocol/registry.h"

#include "cardbound/crypto/certificate.h"
#include "session/session_key.h"
#include "validation/checks/origin_check.h"
#include "validation/parse_message.h"

namespace cardbound::server
{

namespace
{

std::string fresh_nonce()
{
    return base64_encode(random_bytes(32));
}

} // namespace

RelyingParty::RelyingParty(RelyingPartyConfig config, ServerIdentity identity,
                           std::shared_ptr<const TokenValidator> validator,
                           std::shared_ptr<NonceStore> nonces,
                           std::shared_ptr<SessionStore> sessions)
    : config_(std::move(config)), identity_(std::move(identity)), validator_(std::move(validator)),
      nonces_(std::move(nonces)), sessions_(std::move(sessions)), proof_keys_(config_.proof_keys)
{
    if (config_.challenge_lifetime < 1 ||
        config_.challenge_lifetime > registry::kMaxChallengeLifetimeSeconds)
        throw std::invalid_argument("the challenge lifetime must be 1 to " +
                                    std::to_string(registry::kMaxChallengeLifetimeSeconds) +
                                    " seconds");
    if (auto why = origin_problem(config_.origin); !why.empty())
        throw std::invalid_argument("the origin " + config_.origin + " " + why);
}

ServerChallenge RelyingParty::challenge(const std::string &host_nonce, std::time_t now)
{
    if (!is_valid_nonce(host_nonce))
        refuse(ValidationCode::TokenMalformed, "the host nonce must be base64 of 32 to 64 bytes");
    ServerChallenge c;
    c.origin = config_.origin;
    c.server_nonce = fresh_nonce();
    c.host_nonce = host_nonce;
    c.issued_at = format_time(now);
    c.expires_at = format_time(now + config_.challenge_lifetime);
    c.certificate_chain = identity_.chain;
    c.algorithm = identity_.algorithm;
    c.signature = identity_.sign(c.signing_input());
    nonces_->issue(c.server_nonce, now + config_.challenge_lifetime);
    return c;
}

RelyingParty::Login RelyingParty::login(const nlohmann::json &token_json,
                                        const std::string &server_nonce, const std::string &origin,
                                        std::time_t now)
{
    if (origin != config_.origin)
        refuse(ValidationCode::OriginMismatch, "the request comes from " + origin);
    AuthToken token = TokenValidator::parse(token_json);
    nonces_->consume(server_nonce, now); // single use, before anything slow
    Identity id = validator_->validate(token, config_.origin, server_nonce, now);

    Session s;
    s.id = base64url_encode(random_bytes(32));
    s.tag = base64url_encode(random_bytes(16));
    s.origin = config_.origin;
    s.identity = id;
    // Only the public key is kept, parsed once (a parsed certificate costs
    // kilobytes a session; re-parsing the key cost more than a proof's verify).
    auto cert = parse_der_certificate(token.certificate);
    EVP_PKEY *key = X509_get0_pubkey(cert.get());
    if (!key || EVP_PKEY_up_ref(key) != 1)
        refuse(ValidationCode::TokenMalformed, "the certificate's key cannot be read");
    s.public_key.reset(key, EVP_PKEY_free);
    s.algorithm = token.algorithm;
    s.pending_nonce = fresh_nonce();
    // Unconfirmed: it must be confirmed within a challenge lifetime.
    s.deadline = now + config_.challenge_lifetime;

    Receipt r;
    r.origin = config_.origin;
    r.server_nonce = server_nonce;
    r.token_hash = base64_encode(digest(EVP_sha256(), token.signature));
    r.session_tag = s.tag;
    r.presence_nonce = s.pending_nonce;
    r.presence_interval = config_.presence_interval;
    r.issued_at = format_time(now);
    r.expires_at = format_time(now + config_.challenge_lifetime);
    r.algorithm = identity_.algorithm;
    r.signature = identity_.sign(r.signing_input());
    sessions_->put(s);
    proof_keys_.remember(s); // this instance's proofs of it need no read
    return {s, r};
}

Session RelyingParty::live(const std::string &session_id, std::time_t now)
{
    auto s = sessions_->get(session_id);
    if (!s)
        refuse(ValidationCode::SessionUnknown, "no such session");
    if (now > s->deadline)
        late(session_id);
    return *s;
}

bool RelyingParty::end(const std::string &session_id, std::string_view reason)
{
    proof_keys_.forget(session_id);
    if (!sessions_->erase(session_id))
        return false;
    if (on_end_)
        on_end_(session_key(session_id), reason);
    return true;
}

bool RelyingParty::discard(const std::string &session_id)
{
    proof_keys_.forget(session_id);
    return sessions_->erase(session_id);
}

bool RelyingParty::logout(const std::string &session_id, std::string_view reason)
{
    return end(session_id, reason);
}

void RelyingParty::late(const std::string &session_id)
{
    end(session_id, registry::end_reason::kPresenceLate);
    refuse(ValidationCode::PresenceLate, "the session missed its presence deadline");
}

void RelyingParty::refuse_presence(const std::string &session_id, PresenceCheck check)
{
    switch (check) {
    case PresenceCheck::Gone: refuse(ValidationCode::SessionUnknown, "no such session");
    case PresenceCheck::Late: late(session_id);
    case PresenceCheck::NotConfirmed:
        refuse(ValidationCode::NotConfirmed, "the session is not confirmed");
    case PresenceCheck::OtherSession:
        refuse(ValidationCode::SessionUnknown, "the proof is for another session");
    case PresenceCheck::Replayed:
        refuse(ValidationCode::NonceReused, "that presence challenge was answered already");
    case PresenceCheck::UnknownNonce:
        refuse(ValidationCode::NonceUnknown, "no such presence challenge");
    case PresenceCheck::Done: break;
    }
    throw std::logic_error("a presence step that succeeded was refused");
}

// The order of the checks is the Java RelyingParty's and the protocol's:
// another session's tag, a replay, an unknown nonce.
void RelyingParty::check_nonce(const Session &s, const PresenceProof &proof)
{
    if (proof.session_tag != s.tag)
        refuse(ValidationCode::SessionUnknown, "the proof is for another session");
    if (proof.nonce == s.answered_nonce)
        refuse(ValidationCode::NonceReused, "that presence challenge was answered already");
    if (proof.nonce != s.pending_nonce)
        refuse(ValidationCode::NonceUnknown, "no such presence challenge");
}

// The protocol's order: an unconfirmed session, a malformed proof, the
// nonce's checks, another algorithm (the signature comes after).
void RelyingParty::check_before_signature(const Session &s, const nlohmann::json &proof_json,
                                          bool must_be_confirmed)
{
    if (must_be_confirmed && !s.confirmed)
        refuse(ValidationCode::NotConfirmed, "the session is not confirmed");
    PresenceProof proof = parse_message<PresenceProof>(proof_json);
    check_nonce(s, proof);
    if (proof.algorithm != s.algorithm)
        refuse(ValidationCode::AlgorithmUnsupported, "the card signs with another algorithm");
}

// The signature is checked outside the store (it is the slow part), with
// the session's fixed parts, remembered by this instance or read once; the
// store then records the proof in one atomic step that checks the session's
// state there and then (live, confirmed, the nonce still the pending,
// unanswered one), so of two equal proofs exactly one counts however many
// connections and instances carry them, and no proof outlives a logout.
void RelyingParty::answer(const std::string &session_id, const nlohmann::json &proof_json,
                          std::time_t now, bool must_be_confirmed)
{
    std::shared_ptr<const ProofKey> key = proof_keys_.find(session_id);
    bool checked = false; // on a snapshot, in the protocol's order
    if (!key) {
        Session snapshot = live(session_id, now);
        check_before_signature(snapshot, proof_json, must_be_confirmed);
        key = proof_keys_.remember(snapshot);
        checked = true;
    }
    PresenceProof proof;
    try {
        proof = parse_message<PresenceProof>(proof_json);
        if (proof.session_tag != key->tag)
            refuse(ValidationCode::SessionUnknown, "the proof is for another session");
        if (proof.algorithm != key->algorithm)
            refuse(ValidationCode::AlgorithmUnsupported, "the card signs with another algorithm");
        Bytes d = presence_digest(proof.algorithm, key->origin, key->tag, proof.nonce);
        if (!key->public_key ||
            !verify_digest(key->public_key.get(), proof.algorithm, d, proof.signature))
            refuse(ValidationCode::SignatureInvalid, "the presence proof does not verify");
    } catch (const ValidationError &) {
        // Refused on the fixed parts alone; the protocol answers the
        // session's state first (ended, late, unconfirmed, a replay, an
        // unknown nonce), so a snapshot says which code this refusal gets:
        // one read more, for a refused proof only.
        if (!checked)
            check_before_signature(live(session_id, now), proof_json, must_be_confirmed);
        throw;
    }
    PresenceAnswer answer{proof.session_tag, proof.nonce, now,
                          now + config_.presence_interval + config_.presence_grace,
                          must_be_confirmed};
    if (PresenceCheck check = sessions_->prove_presence(session_id, answer);
        check != PresenceCheck::Done)
        refuse_presence(session_id, check);
}

void RelyingParty::confirm(const std::string &session_id, const nlohmann::json &proof,
                           std::time_t now)
{
    answer(session_id, proof, now, false);
}

PresenceChallenge RelyingParty::presence_challenge(const std::string &session_id, std::time_t now)
{
    std::string nonce = fresh_nonce();
    PresenceRotation s = sessions_->rotate_presence(session_id, nonce, now);
    if (s.check != PresenceCheck::Done)
        refuse_presence(session_id, s.check);
    PresenceChallenge p;
    p.origin = s.origin;
    p.session_tag = s.tag;
    p.nonce = nonce;
    p.issued_at = format_time(now);
    // The answer is due by the deadline; the challenge is good until then,
    // but never longer than a host accepts (a long interval means a later
    // challenge, not a longer-lived one).
    p.expires_at = format_time(
        std::min(std::max(s.deadline, now + 1), now + registry::kMaxChallengeLifetimeSeconds));
    p.algorithm = identity_.algorithm;
    p.signature = identity_.sign(p.signing_input());
    return p;
}

// Presence must be proven, not tried: any refused proof ends the session
// (presence-refused; a late one ended as presence-late already).
void RelyingParty::presence(const std::string &session_id, const nlohmann::json &proof,
                            std::time_t now)
{
    try {
        answer(session_id, proof, now, true);
    } catch (const ValidationError &e) {
        if (e.code != ValidationCode::PresenceLate)
            end(session_id, registry::end_reason::kPresenceRefused);
        throw;
    }
}

Session RelyingParty::session(const std::string &session_id, std::time_t now)
{
    Session s = live(session_id, now);
    if (!s.confirmed)
        refuse(ValidationCode::NotConfirmed, "the session is not confirmed");
    return s;
}

// The proof keys of these sessions are not forgotten here (the store gives
// keys, not ids): they age out of the cache, and never prove anything meanwhile.
std::vector<std::string> RelyingParty::expire(std::time_t now)
{
    std::vector<std::string> keys = sessions_->expire(now);
    if (on_end_)
        for (const std::string &key : keys)
            on_end_(key, registry::end_reason::kPresenceLate);
    return keys;
}

} // namespace cardbound::server
