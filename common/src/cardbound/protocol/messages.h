// The signed messages of the Cardbound protocol (docs/protocol.md), shared by
// the host and the relying party so that both build the same bytes.
//
// Server -> client, each signed by the server's key:
//   ServerChallenge   step 1: proves the server and carries the login nonce
//   Receipt           step 2: the server accepted the token; starts presence
//   PresenceChallenge while logged in: "prove the card is still there"
//   TransactionChallenge while logged in: "confirm this text with the card"
// Client -> server, each signed by the card's key:
//   AuthToken         step 2: Web eID web-eid:1.0 compatible login token
//   PresenceProof     step 3 and later: presence signatures
//   TransactionConfirmation  the card's signature over a confirmed text
//
// Every parser is strict: unknown or missing fields, wrong types, bad
// encodings and values out of bounds throw ProtocolError naming the field.
// One exception, for Web eID's sake: a token's unknown members are ignored
// (later token formats add members) and its appVersion is optional.
#pragma once

#include "cardbound/crypto/encoding.h"
#include "cardbound/crypto/signature.h"

#include <ctime>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

namespace cardbound
{

struct ProtocolError : std::runtime_error {
    using std::runtime_error::runtime_error;
};
// An `algorithm` that is a well-formed string but none we support.
struct UnsupportedAlgorithm : ProtocolError {
    using ProtocolError::ProtocolError;
};

inline constexpr std::size_t kMaxChainLength = 5;
inline constexpr std::size_t kMaxCertificateSize = 16 * 1024;
inline constexpr std::size_t kMaxSignatureSize = 1024;

struct ServerChallenge {
    static constexpr std::string_view kFormat = "cardbound-challenge:1";
    std::string origin;
    std::string server_nonce; // base64 of 32..64 random bytes
    std::string host_nonce;   // the host's nonce from begin-login
    std::string issued_at;    // YYYY-MM-DDTHH:MM:SSZ
    std::string expires_at;
    std::vector<Bytes> certificate_chain; // DER, the server's certificate first
    Algorithm algorithm = Algorithm::ES256;
    Bytes signature;

    std::string signing_input() const;
    nlohmann::json to_json() const;
    static ServerChallenge from_json(const nlohmann::json &j);
};

struct Receipt {
    static constexpr std::string_view kFormat = "cardbound-receipt:1";
    std::string origin;
    std::string server_nonce;   // the login's server nonce
    std::string token_hash;     // base64 SHA-256 of the token's signature bytes
    std::string session_tag;    // public name of the session (not its cookie)
    std::string presence_nonce; // the first presence challenge
    int presence_interval = 0;  // seconds between presence proofs
    std::string issued_at;
    std::string expires_at;
    Algorithm algorithm = Algorithm::ES256;
    Bytes signature;

    std::string signing_input() const;
    nlohmann::json to_json() const;
    static Receipt from_json(const nlohmann::json &j);
};

struct PresenceChallenge {
    static constexpr std::string_view kFormat = "cardbound-presence-challenge:1";
    std::string origin;
    std::string session_tag;
    std::string nonce;
    std::string issued_at;
    std::string expires_at;
    Algorithm algorithm = Algorithm::ES256;
    Bytes signature;

    std::string signing_input() const;
    nlohmann::json to_json() const;
    static PresenceChallenge from_json(const nlohmann::json &j);
};

// A text for the user to confirm with the card (a payment, an order), from
// the server of a live session. The host shows `text` in the trusted window
// exactly as it is, so it is one line of printable characters
// (is_valid_transaction_text).
struct TransactionChallenge {
    static constexpr std::string_view kFormat = "cardbound-transaction-challenge:1";
    std::string origin;
    std::string session_tag;
    std::string text;
    std::string nonce;
    std::string issued_at;
    std::string expires_at;
    Algorithm algorithm = Algorithm::ES256;
    Bytes signature;

    std::string signing_input() const;
    nlohmann::json to_json() const;
    static TransactionChallenge from_json(const nlohmann::json &j);
};

// Web eID authentication token, format "web-eid:1.0".
struct AuthToken {
    static constexpr std::string_view kFormat = "web-eid:1.0";
    Bytes certificate; // DER of unverifiedCertificate
    Algorithm algorithm = Algorithm::ES256;
    Bytes signature; // raw r||s for ECDSA
    std::string app_version;

    nlohmann::json to_json() const;
    static AuthToken from_json(const nlohmann::json &j);
};

struct PresenceProof {
    static constexpr std::string_view kFormat = "cardbound-presence:1";
    std::string session_tag;
    std::string nonce;
    Algorithm algorithm = Algorithm::ES256;
    Bytes signature;

    nlohmann::json to_json() const;
    static PresenceProof from_json(const nlohmann::json &j);
};

// The card's answer to a TransactionChallenge: the text it confirmed (so a
// server tells a changed text from a bad signature), the signer's
// certificate (so it tells another card), and the signature over
// transaction_digest.
struct TransactionConfirmation {
    static constexpr std::string_view kFormat = "cardbound-transaction:1";
    std::string session_tag;
    std::string text;
    std::string nonce;
    Bytes certificate; // DER
    Algorithm algorithm = Algorithm::ES256;
    Bytes signature;

    nlohmann::json to_json() const;
    static TransactionConfirmation from_json(const nlohmann::json &j);
};

// What the card signs to log in, as Web eID: H(H(origin) || H(nonce)).
Bytes login_digest(Algorithm alg, std::string_view origin, std::string_view nonce);

// What the card signs to prove presence. The fixed prefix keeps it apart from
// any login digest: H("cardbound-presence:1" 0x00 H(origin) H(sessionTag) H(nonce)).
Bytes presence_digest(Algorithm alg, std::string_view origin, std::string_view session_tag,
                      std::string_view nonce);

// What the card signs to confirm a transaction, apart from logins and
// presence by its prefix: H("cardbound-transaction:1" 0x00 H(origin)
// H(sessionTag) H(text) H(nonce)).
Bytes transaction_digest(Algorithm alg, std::string_view origin, std::string_view session_tag,
                         std::string_view text, std::string_view nonce);

// Field checks shared with the parsers, for values that arrive elsewhere.
bool is_valid_nonce(std::string_view nonce);     // base64 of 32..64 bytes
bool is_valid_session_tag(std::string_view tag); // base64url, 16..64 chars
// A text the trusted window shows as it is: valid UTF-8 of 1 to
// registry::kMaxTransactionTextBytes bytes, one line of printable
// characters: no control characters (C0, DEL, C1), no line or paragraph
// separators, no zero-width or bidirectional formatting characters (which
// could make the window show another text than the one signed).
bool is_valid_transaction_text(std::string_view text);

} // namespace cardbound
