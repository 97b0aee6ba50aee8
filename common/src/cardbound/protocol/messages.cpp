#include "cardbound/protocol/messages.h"

#include "cardbound/crypto/certificate.h"
#include "cardbound/protocol/origin.h"
#include "cardbound/protocol/registry.h"

#include <set>

namespace cardbound
{

using nlohmann::json;

namespace
{

// Reads fields out of one JSON object and refuses any it did not read.
class Fields
{
  public:
    Fields(const json &j, std::string_view what) : j_(j), what_(what)
    {
        if (!j.is_object())
            fail("", "must be a JSON object");
    }

    [[noreturn]] void fail(std::string_view field, std::string_view why) const
    {
        throw ProtocolError(std::string(what_) + (field.empty() ? "" : "." + std::string(field)) +
                            " " + std::string(why));
    }

    const json &get(const std::string &field)
    {
        seen_.insert(field);
        auto it = j_.find(field);
        if (it == j_.end())
            fail(field, "is missing");
        return *it;
    }

    std::string string(const std::string &field, std::size_t max = 256)
    {
        const json &v = get(field);
        if (!v.is_string())
            fail(field, "must be a string");
        const auto &s = v.get_ref<const std::string &>();
        if (s.empty() || s.size() > max)
            fail(field, "has a bad length");
        for (unsigned char c : s)
            if (c < 0x20 || c == 0x7F) // signing inputs are line-separated
                fail(field, "holds a control character");
        return s;
    }

    std::string format(std::string_view expected)
    {
        std::string f = string("format", 64);
        if (f != expected)
            fail("format", "must be " + std::string(expected));
        return f;
    }

    std::string origin()
    {
        std::string o = string("origin", 300);
        if (!parse_origin(o))
            fail("origin", "is not a valid origin");
        return o;
    }

    std::string nonce(const std::string &field)
    {
        std::string n = string(field, 100);
        if (!is_valid_nonce(n))
            fail(field, "must be base64 of 32 to 64 bytes");
        return n;
    }

    std::string session_tag()
    {
        std::string t = string("sessionTag", 64);
        if (!is_valid_session_tag(t))
            fail("sessionTag", "must be base64url of 16 to 64 characters");
        return t;
    }

    std::string time(const std::string &field)
    {
        std::string t = string(field, 20);
        if (!parse_time(t))
            fail(field, "must be a time like 2026-01-31T12:00:00Z");
        return t;
    }

    Algorithm algorithm(const std::string &field)
    {
        auto a = algorithm_from_string(string(field, 16));
        if (!a)
            throw UnsupportedAlgorithm(std::string(what_) + "." + field +
                                       " is not a supported algorithm");
        return *a;
    }

    std::string transaction_text()
    {
        std::string t = string("text", registry::kMaxTransactionTextBytes);
        if (!is_valid_transaction_text(t))
            fail("text", "must be one line of printable characters");
        return t;
    }

    bool has(const std::string &field) const { return j_.contains(field); }

    Bytes base64(const std::string &field, std::size_t max_bytes)
    {
        std::string text = string(field, (max_bytes + 2) / 3 * 4);
        auto bytes = base64_decode(text);
        if (!bytes || bytes->empty() || bytes->size() > max_bytes)
            fail(field, "must be base64 of at most " + std::to_string(max_bytes) + " bytes");
        return *bytes;
    }

    void done() const
    {
        for (const auto &[key, value] : j_.items())
            if (!seen_.contains(key))
                fail(key, "is not a known field");
    }

  private:
    const json &j_;
    std::string_view what_;
    std::set<std::string> seen_;
};

std::string lines(std::initializer_list<std::string_view> parts)
{
    std::string out;
    for (auto p : parts) {
        if (!out.empty())
            out += '\n';
        out += p;
    }
    return out;
}

void check_times(const Fields &f, const std::string &issued, const std::string &expires)
{
    if (*parse_time(expires) <= *parse_time(issued))
        f.fail("expiresAt", "must come after issuedAt");
}

} // namespace

bool is_valid_nonce(std::string_view nonce)
{
    if (nonce.size() > 100)
        return false;
    auto bytes = base64_decode(nonce);
    return bytes && bytes->size() >= 32 && bytes->size() <= 64;
}

namespace
{

// The next code point of UTF-8 text at `i` (advanced past it), or nullopt
// for a malformed, overlong or surrogate sequence.
std::optional<char32_t> next_code_point(std::string_view s, std::size_t &i)
{
    auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    unsigned char b = byte(i);
    int extra = b < 0x80             ? 0
                : (b & 0xE0) == 0xC0 ? 1
                : (b & 0xF0) == 0xE0 ? 2
                : (b & 0xF8) == 0xF0 ? 3
                                     : -1;
    if (extra < 0 || s.size() - i <= static_cast<std::size_t>(extra))
        return std::nullopt;
    char32_t cp = extra == 0 ? b : b & (0x3F >> extra);
    for (int k = 1; k <= extra; k++) {
        if ((byte(i + k) & 0xC0) != 0x80)
            return std::nullopt;
        cp = (cp << 6) | (byte(i + k) & 0x3F);
    }
    static constexpr char32_t kLeast[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kLeast[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return std::nullopt;
    i += extra + 1;
    return cp;
}

// Characters that are not shown, or that move or hide what is shown.
bool hidden_or_formatting(char32_t c)
{
    return c < 0x20 || (c >= 0x7F && c <= 0x9F) || c == 0xAD || c == 0x061C ||
           (c >= 0x200B && c <= 0x200F) || (c >= 0x2028 && c <= 0x202E) ||
           (c >= 0x2060 && c <= 0x206F) || c == 0xFEFF || (c >= 0xFFF9 && c <= 0xFFFB) ||
           (c >= 0xE0000 && c <= 0xE007F);
}

} // namespace

bool is_valid_transaction_text(std::string_view text)
{
    if (text.empty() || text.size() > registry::kMaxTransactionTextBytes)
        return false;
    for (std::size_t i = 0; i < text.size();) {
        auto c = next_code_point(text, i);
        if (!c || hidden_or_formatting(*c))
            return false;
    }
    return true;
}

bool is_valid_session_tag(std::string_view tag)
{
    return tag.size() >= 16 && tag.size() <= 64 && base64url_decode(tag).has_value();
}

// ---- ServerChallenge ----

std::string ServerChallenge::signing_input() const
{
    std::string leaf_hash =
        certificate_chain.empty() ? "" : hex_encode(digest(EVP_sha256(), certificate_chain[0]));
    return lines({kFormat, origin, server_nonce, host_nonce, issued_at, expires_at, leaf_hash});
}

json ServerChallenge::to_json() const
{
    json chain = json::array();
    for (const auto &der : certificate_chain)
        chain.push_back(base64_encode(der));
    return {{"format", kFormat},
            {"origin", origin},
            {"serverNonce", server_nonce},
            {"hostNonce", host_nonce},
            {"issuedAt", issued_at},
            {"expiresAt", expires_at},
            {"certificateChain", chain},
            {"signatureAlgorithm", to_string(algorithm)},
            {"signature", base64_encode(signature)}};
}

ServerChallenge ServerChallenge::from_json(const json &j)
{
    Fields f(j, "challenge");
    ServerChallenge c;
    f.format(kFormat);
    c.origin = f.origin();
    c.server_nonce = f.nonce("serverNonce");
    c.host_nonce = f.nonce("hostNonce");
    c.issued_at = f.time("issuedAt");
    c.expires_at = f.time("expiresAt");
    check_times(f, c.issued_at, c.expires_at);
    const json &chain = f.get("certificateChain");
    if (!chain.is_array() || chain.empty() || chain.size() > kMaxChainLength)
        f.fail("certificateChain", "must be an array of 1 to 5 certificates");
    for (const auto &item : chain) {
        if (!item.is_string())
            f.fail("certificateChain", "must hold base64 strings");
        auto der = base64_decode(item.get_ref<const std::string &>());
        if (!der || der->empty() || der->size() > kMaxCertificateSize)
            f.fail("certificateChain", "holds a bad certificate encoding");
        c.certificate_chain.push_back(std::move(*der));
    }
    c.algorithm = f.algorithm("signatureAlgorithm");
    c.signature = f.base64("signature", kMaxSignatureSize);
    f.done();
    return c;
}

// ---- Receipt ----

std::string Receipt::signing_input() const
{
    return lines({kFormat, origin, server_nonce, token_hash, session_tag, presence_nonce,
                  std::to_string(presence_interval), issued_at, expires_at});
}

json Receipt::to_json() const
{
    return {{"format", kFormat},
            {"origin", origin},
            {"serverNonce", server_nonce},
            {"tokenHash", token_hash},
            {"sessionTag", session_tag},
            {"presenceNonce", presence_nonce},
            {"presenceInterval", presence_interval},
            {"issuedAt", issued_at},
            {"expiresAt", expires_at},
            {"signatureAlgorithm", to_string(algorithm)},
            {"signature", base64_encode(signature)}};
}

Receipt Receipt::from_json(const json &j)
{
    Fields f(j, "receipt");
    Receipt r;
    f.format(kFormat);
    r.origin = f.origin();
    r.server_nonce = f.nonce("serverNonce");
    r.token_hash = f.string("tokenHash", 44);
    auto th = base64_decode(r.token_hash);
    if (!th || th->size() != 32)
        f.fail("tokenHash", "must be base64 of a SHA-256 hash");
    r.session_tag = f.session_tag();
    r.presence_nonce = f.nonce("presenceNonce");
    const json &interval = f.get("presenceInterval");
    if (!interval.is_number_integer() || interval.get<long long>() < 1 ||
        interval.get<long long>() > 3600)
        f.fail("presenceInterval", "must be a whole number of seconds from 1 to 3600");
    r.presence_interval = interval.get<int>();
    r.issued_at = f.time("issuedAt");
    r.expires_at = f.time("expiresAt");
    check_times(f, r.issued_at, r.expires_at);
    r.algorithm = f.algorithm("signatureAlgorithm");
    r.signature = f.base64("signature", kMaxSignatureSize);
    f.done();
    return r;
}

// ---- PresenceChallenge ----

std::string PresenceChallenge::signing_input() const
{
    return lines({kFormat, origin, session_tag, nonce, issued_at, expires_at});
}

json PresenceChallenge::to_json() const
{
    return {{"format", kFormat},
            {"origin", origin},
            {"sessionTag", session_tag},
            {"nonce", nonce},
            {"issuedAt", issued_at},
            {"expiresAt", expires_at},
            {"signatureAlgorithm", to_string(algorithm)},
            {"signature", base64_encode(signature)}};
}

PresenceChallenge PresenceChallenge::from_json(const json &j)
{
    Fields f(j, "presenceChallenge");
    PresenceChallenge p;
    f.format(kFormat);
    p.origin = f.origin();
    p.session_tag = f.session_tag();
    p.nonce = f.nonce("nonce");
    p.issued_at = f.time("issuedAt");
    p.expires_at = f.time("expiresAt");
    check_times(f, p.issued_at, p.expires_at);
    p.algorithm = f.algorithm("signatureAlgorithm");
    p.signature = f.base64("signature", kMaxSignatureSize);
    f.done();
    return p;
}

// ---- TransactionChallenge ----

std::string TransactionChallenge::signing_input() const
{
    return lines({kFormat, origin, session_tag, nonce, issued_at, expires_at, text});
}

json TransactionChallenge::to_json() const
{
    return {{"format", kFormat},
            {"origin", origin},
            {"sessionTag", session_tag},
            {"text", text},
            {"nonce", nonce},
            {"issuedAt", issued_at},
            {"expiresAt", expires_at},
            {"signatureAlgorithm", to_string(algorithm)},
            {"signature", base64_encode(signature)}};
}

TransactionChallenge TransactionChallenge::from_json(const json &j)
{
    Fields f(j, "transactionChallenge");
    TransactionChallenge t;
    f.format(kFormat);
    t.origin = f.origin();
    t.session_tag = f.session_tag();
    t.text = f.transaction_text();
    t.nonce = f.nonce("nonce");
    t.issued_at = f.time("issuedAt");
    t.expires_at = f.time("expiresAt");
    check_times(f, t.issued_at, t.expires_at);
    t.algorithm = f.algorithm("signatureAlgorithm");
    t.signature = f.base64("signature", kMaxSignatureSize);
    f.done();
    return t;
}

// ---- TransactionConfirmation ----

json TransactionConfirmation::to_json() const
{
    return {{"format", kFormat},
            {"sessionTag", session_tag},
            {"text", text},
            {"nonce", nonce},
            {"certificate", base64_encode(certificate)},
            {"algorithm", to_string(algorithm)},
            {"signature", base64_encode(signature)}};
}

TransactionConfirmation TransactionConfirmation::from_json(const json &j)
{
    Fields f(j, "transactionConfirmation");
    TransactionConfirmation t;
    f.format(kFormat);
    t.session_tag = f.session_tag();
    t.text = f.transaction_text();
    t.nonce = f.nonce("nonce");
    t.certificate = f.base64("certificate", kMaxCertificateSize);
    t.algorithm = f.algorithm("algorithm");
    t.signature = f.base64("signature", kMaxSignatureSize);
    f.done();
    return t;
}

// ---- AuthToken ----

json AuthToken::to_json() const
{
    json j = {{"unverifiedCertificate", base64_encode(certificate)},
              {"algorithm", to_string(algorithm)},
              {"signature", base64_encode(signature)},
              {"format", kFormat}};
    if (!app_version.empty())
        j["appVersion"] = app_version;
    return j;
}

AuthToken AuthToken::from_json(const json &j)
{
    Fields f(j, "token");
    AuthToken t;
    t.certificate = f.base64("unverifiedCertificate", kMaxCertificateSize);
    t.algorithm = f.algorithm("algorithm");
    t.signature = f.base64("signature", kMaxSignatureSize);
    // Web eID tokens carry "web-eid:1" or "web-eid:1.x".
    std::string format = f.string("format", 32);
    if (format != "web-eid:1" && !format.starts_with("web-eid:1."))
        f.fail("format", "must be web-eid:1.x");
    // Optional, and only read when present; other members are not read at
    // all (Web eID's validators ignore them too).
    if (f.has("appVersion"))
        t.app_version = f.string("appVersion", 256);
    return t;
}

// ---- PresenceProof ----

json PresenceProof::to_json() const
{
    return {{"format", kFormat},
            {"sessionTag", session_tag},
            {"nonce", nonce},
            {"algorithm", to_string(algorithm)},
            {"signature", base64_encode(signature)}};
}

PresenceProof PresenceProof::from_json(const json &j)
{
    Fields f(j, "presenceProof");
    PresenceProof p;
    f.format(kFormat);
    p.session_tag = f.session_tag();
    p.nonce = f.nonce("nonce");
    p.algorithm = f.algorithm("algorithm");
    p.signature = f.base64("signature", kMaxSignatureSize);
    f.done();
    return p;
}

// ---- digests ----

Bytes login_digest(Algorithm alg, std::string_view origin, std::string_view nonce)
{
    const EVP_MD *md = digest_of(alg);
    Bytes input = digest(md, as_bytes(origin));
    Bytes nonce_hash = digest(md, as_bytes(nonce));
    input.insert(input.end(), nonce_hash.begin(), nonce_hash.end());
    return digest(md, input);
}

namespace
{

// H(prefix 0x00 H(part) H(part) ...): a card signature that no other kind
// of message can be made to look like.
Bytes prefixed_digest(Algorithm alg, std::string_view prefix,
                      std::initializer_list<std::string_view> parts)
{
    const EVP_MD *md = digest_of(alg);
    Bytes input(prefix.begin(), prefix.end());
    input.push_back(0x00);
    for (auto part : parts) {
        Bytes h = digest(md, as_bytes(part));
        input.insert(input.end(), h.begin(), h.end());
    }
    return digest(md, input);
}

} // namespace

Bytes presence_digest(Algorithm alg, std::string_view origin, std::string_view session_tag,
                      std::string_view nonce)
{
    return prefixed_digest(alg, PresenceProof::kFormat, {origin, session_tag, nonce});
}

Bytes transaction_digest(Algorithm alg, std::string_view origin, std::string_view session_tag,
                         std::string_view text, std::string_view nonce)
{
    return prefixed_digest(alg, TransactionConfirmation::kFormat,
                           {origin, session_tag, text, nonce});
}

} // namespace cardbound
