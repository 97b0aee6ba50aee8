#include "trust/server_verifier.h"

#include "cardbound/crypto/certificate.h"

namespace cardbound::host
{

namespace
{

[[noreturn]] void not_trusted(const std::string &reason, const std::string &why)
{
    throw HostError(ErrorCode::ServerNotTrusted, why, {{"reason", reason}});
}

void check_origin(const std::string &signed_origin, const Origin &origin)
{
    if (signed_origin != origin.serialize())
        throw HostError(ErrorCode::OriginMismatch, "the server signed for " + signed_origin +
                                                       ", not for " + origin.serialize());
}

void check_signature(EVP_PKEY *key, Algorithm alg, const std::string &input, const Bytes &sig,
                     const char *what)
{
    if (!verify_message(key, alg, as_bytes(input), sig))
        not_trusted("signature",
                    std::string("the server's signature on the ") + what + " does not verify");
}

} // namespace

void ServerVerifier::check_freshness(const std::string &issued, const std::string &expires,
                                     std::time_t now) const
{
    std::time_t i = *parse_time(issued), e = *parse_time(expires);
    if (e - i > kMaxLifetimeSeconds)
        not_trusted("lifetime", "the server's message is valid for longer than 5 minutes");
    if (i > now + skew_)
        not_trusted("not-yet-valid", "the server's message was issued in the future");
    if (now >= e)
        not_trusted("expired", "the server's message has expired");
}

VerifiedServer ServerVerifier::verify_challenge(const ServerChallenge &c, const Origin &origin,
                                                std::string_view host_nonce, std::time_t now) const
{
    check_origin(c.origin, origin);
    check_freshness(c.issued_at, c.expires_at, now);
    if (c.host_nonce != host_nonce)
        not_trusted("nonce", "the challenge does not carry this login's host nonce");

    ossl::X509Ptr leaf = parse_der_certificate(c.certificate_chain.at(0));
    if (!leaf)
        not_trusted("certificate", "the server certificate cannot be parsed");
    std::vector<ossl::X509Ptr> intermediates;
    for (std::size_t i = 1; i < c.certificate_chain.size(); i++) {
        auto cert = parse_der_certificate(c.certificate_chain[i]);
        if (!cert)
            not_trusted("certificate", "a chain certificate cannot be parsed");
        intermediates.push_back(std::move(cert));
    }
    if (auto why = trust_->verify_chain(leaf.get(), intermediates, now); !why.empty())
        not_trusted("untrusted", "the server certificate is not trusted: " + why);
    if (auto why = TrustStore::verify_name(leaf.get(), origin); !why.empty())
        not_trusted("name", why);
    if (auto why = trust_->verify_pins(leaf.get(), origin); !why.empty())
        not_trusted("pin", why);
    check_signature(X509_get0_pubkey(leaf.get()), c.algorithm, c.signing_input(), c.signature,
                    "challenge");

    VerifiedServer v;
    v.fingerprint = sha256_fingerprint(leaf.get());
    v.subject = name_to_string(X509_get_subject_name(leaf.get()));
    v.certificate = std::shared_ptr<X509>(leaf.release(), X509_free);
    return v;
}

void ServerVerifier::verify_receipt(const Receipt &r, const VerifiedServer &server,
                                    const Origin &origin, std::time_t now) const
{
    check_origin(r.origin, origin);
    check_freshness(r.issued_at, r.expires_at, now);
    check_signature(X509_get0_pubkey(server.certificate.get()), r.algorithm, r.signing_input(),
                    r.signature, "receipt");
}

void ServerVerifier::verify_presence_challenge(const PresenceChallenge &p,
                                               const VerifiedServer &server, const Origin &origin,
                                               std::time_t now) const
{
    check_origin(p.origin, origin);
    check_freshness(p.issued_at, p.expires_at, now);
    check_signature(X509_get0_pubkey(server.certificate.get()), p.algorithm, p.signing_input(),
                    p.signature, "presence challenge");
}

void ServerVerifier::verify_transaction_challenge(const TransactionChallenge &t,
                                                  const VerifiedServer &server,
                                                  const Origin &origin, std::time_t now) const
{
    check_origin(t.origin, origin);
    check_freshness(t.issued_at, t.expires_at, now);
    check_signature(X509_get0_pubkey(server.certificate.get()), t.algorithm, t.signing_input(),
                    t.signature, "transaction challenge");
}

} // namespace cardbound::host
