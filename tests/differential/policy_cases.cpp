// cardbound-policy-cases: writes the case set of the differential test of
// token validators (docs/protocol.md §8): for every rule of the policy table,
// tokens that just pass and tokens that just fail, each in a folder of its
// own with everything a validator's command line needs and the answer the
// policy demands (case.json). Keys, certificates and CRLs are made here, at
// generation time; nothing secret is written (no private keys), nothing is
// kept in the repository.
//
// Usage: cardbound-policy-cases OUTPUT_DIR
//
// Every case is run with --ocsp off: rule 16 (OCSP) needs a live responder
// (the answer must carry the validator's nonce). It is covered both ways in
// server/tests/ocsp_rules_test.cpp and the Java OcspRulesTest, and the two
// command lines are compared against one openssl responder by the Java
// VerifyOcspCliTest (see uncovered.json).
#include "cardbound/crypto/certificate.h"
#include "cardbound/protocol/messages.h"
#include "test_pki.h"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <openssl/pem.h>

using namespace cardbound;
namespace fs = std::filesystem;

namespace
{

const std::string kOrigin = "https://site.example";
const std::string kNonce = "MTIzNDU2NzgxMjM0NTY3ODEyMzQ1Njc4MTIzNDU2Nzg=";
// One fixed validation time for every case, so a case set means the same on
// any day it is run: 2026-01-01T00:00:00Z.
const std::time_t kAt = 1767225600;
const std::time_t kDay = 86400;
// What a case expects when the validator must refuse to start (exit 2): a
// non-CA trust anchor (rule 18), a non-canonical --origin (rule 3).
const std::string kStartUpError = "START_UP_ERROR";
const std::string kValid = "VALID";

struct TrustFile {
    std::string name;
    std::vector<X509 *> certs;
};

struct Case {
    int rule = 0;
    std::string slug;
    std::string description;
    nlohmann::json token;
    std::optional<std::string> raw_token; // written as is instead of `token`
    std::vector<TrustFile> trust;
    std::vector<std::string> crls; // temporary files, moved into the case
    std::string origin = kOrigin;
    std::string nonce = kNonce;
    std::time_t at = kAt;
    std::string expected = kValid;
    // Where the policy's text and cardbound-verify answer differ: `expected`
    // is the text's answer, this says what is open (run-cases: OPEN).
};

test::CertSpec ca_spec(const std::string &name, std::time_t years = 5)
{
    test::CertSpec s{name, {}};
    s.is_ca = true;
    s.not_before = kAt - years * 365 * kDay;
    s.not_after = kAt + years * 365 * kDay;
    return s;
}

test::CertSpec card_spec()
{
    test::CertSpec s{"Card,Holder,38001085718", {}};
    s.eku = "clientAuth";
    s.not_before = kAt - 365 * kDay;
    s.not_after = kAt + 365 * kDay;
    return s;
}

// A root, an issuing CA under it (the usual anchor) and a card.
struct Pki {
    ossl::Pkey root_key = test::make_ec_key("P-384");
    ossl::X509Ptr root =
        test::make_certificate(ca_spec("Test Root", 10), root_key.get(), nullptr, nullptr);
    ossl::Pkey issuer_key = test::make_ec_key("P-384");
    ossl::X509Ptr issuer = test::make_certificate(ca_spec("Test Issuing CA"), issuer_key.get(),
                                                  root.get(), root_key.get());
    ossl::Pkey card_key = test::make_ec_key("P-256");
    ossl::X509Ptr card = issue(card_spec());

    ossl::X509Ptr issue(const test::CertSpec &spec, EVP_PKEY *key = nullptr) const
    {
        return test::make_certificate(spec, key ? key : card_key.get(), issuer.get(),
                                      issuer_key.get());
    }
};

// The keys and certificates the cases point to, alive until the end.
std::vector<ossl::X509Ptr> g_kept;
std::vector<ossl::Pkey> g_keys;

X509 *keep(ossl::X509Ptr cert)
{
    g_kept.push_back(std::move(cert));
    return g_kept.back().get();
}

EVP_PKEY *keep(ossl::Pkey key)
{
    g_keys.push_back(std::move(key));
    return g_keys.back().get();
}

nlohmann::json token_for(X509 *cert, EVP_PKEY *key, Algorithm alg = Algorithm::ES256,
                         const std::string &origin = kOrigin, const std::string &nonce = kNonce)
{
    AuthToken t;
    t.certificate = certificate_der(cert);
    t.algorithm = alg;
    t.signature = sign_digest(key, alg, login_digest(alg, origin, nonce));
    return t.to_json();
}

class CaseWriter
{
  public:
    explicit CaseWriter(fs::path dir) : dir_(std::move(dir)) { fs::create_directories(dir_); }

    void add(const Case &c)
    {
        std::string number = std::to_string(++count_);
        number.insert(0, 3 - std::min<std::size_t>(number.size(), 3), '0'); // sorts as written
        fs::path dir = dir_ / (number + "-rule" + std::to_string(c.rule) + "-" + c.slug);
        fs::create_directories(dir);
        std::ofstream(dir / "token.json") << (c.raw_token ? *c.raw_token : c.token.dump(2) + "\n");
        nlohmann::json trust = nlohmann::json::array(), crls = nlohmann::json::array();
        for (const auto &t : c.trust) {
            write_pem(dir / t.name, t.certs);
            trust.push_back(t.name);
        }
        for (std::size_t i = 0; i < c.crls.size(); i++) {
            std::string name = "crl" + std::to_string(i + 1) + ".pem";
            fs::copy_file(c.crls[i], dir / name);
            fs::remove(c.crls[i]);
            crls.push_back(name);
        }
        int exit_code = c.expected == kValid ? 0 : c.expected == kStartUpError ? 2 : 1;
        nlohmann::json j = {{"rule", c.rule},
                            {"description", c.description},
                            {"origin", c.origin},
                            {"nonce", c.nonce},
                            {"at", format_time(c.at)},
                            {"trust", trust},
                            {"crl", crls},
                            {"ocsp", "off"},
                            {"expectedCode", c.expected},
                            {"expectedExit", exit_code}};
        std::ofstream(dir / "case.json") << j.dump(2) << "\n";
    }

    int count() const { return count_; }

  private:
    static void write_pem(const fs::path &path, const std::vector<X509 *> &certs)
    {
        ossl::Bio bio(BIO_new_file(path.c_str(), "w"));
        for (X509 *c : certs)
            if (!bio || PEM_write_bio_X509(bio.get(), c) != 1)
                throw std::runtime_error("cannot write " + path.string());
    }

    fs::path dir_;
    int count_ = 0;
};

// A case of `pki`'s card, signed properly, trusting the issuing CA: what
// every rule's cases start from and change one thing of.
Case base(const Pki &pki, int rule, std::string slug, std::string description)
{
    Case c;
    c.rule = rule;
    c.slug = std::move(slug);
    c.description = std::move(description);
    c.token = token_for(pki.card.get(), pki.card_key.get());
    c.trust = {{"ca.pem", {pki.issuer.get()}}};
    return c;
}

Case with(Case c, std::string expected)
{
    c.expected = std::move(expected);
    return c;
}

// Rule 1: the token's JSON form. Each failing case breaks one member.
void rule1(CaseWriter &w, const Pki &pki)
{
    Case good = base(pki, 1, "later-format-and-unknown-members",
                     "web-eid:1.1 with appVersion and an unknown member: both ignored");
    good.token["format"] = "web-eid:1.1";
    good.token["appVersion"] = "https://web-eid.eu/web-eid-app/releases/2.5.0";
    good.token["issuerApp"] = {{"anything", 1}};
    w.add(good);
    Case bare = base(pki, 1, "format-web-eid-1", "format web-eid:1, no appVersion");
    bare.token["format"] = "web-eid:1";
    w.add(bare);
    Case app = base(pki, 1, "appversion-256", "appVersion of exactly 256 characters");
    app.token["appVersion"] = std::string(256, 'x');
    w.add(app);

    auto bad = [&](std::string slug, std::string description, auto change) {
        Case c = base(pki, 1, std::move(slug), std::move(description));
        c.expected = "TOKEN_MALFORMED";
        change(c);
        w.add(c);
    };
    bad("not-json", "the file is not JSON", [](Case &c) { c.raw_token = "web-eid:1.0 token\n"; });
    bad("json-array", "JSON, but an array", [](Case &c) { c.token = nlohmann::json::array(); });
    bad("json-string", "JSON, but a string", [](Case &c) { c.token = "a string"; });
    for (const char *member : {"unverifiedCertificate", "algorithm", "signature", "format"}) {
        bad(std::string("no-") + member, std::string(member) + " missing",
            [&](Case &c) { c.token.erase(member); });
        bad(std::string(member) + "-number", std::string(member) + " a number, not a string",
            [&](Case &c) { c.token[member] = 42; });
    }
    bad("format-web-eid-2", "format web-eid:2", [](Case &c) { c.token["format"] = "web-eid:2"; });
    bad("signature-not-base64", "signature is not base64",
        [](Case &c) { c.token["signature"] = "not base64!"; });
    bad("signature-over-1kib", "signature of 1025 bytes",
        [](Case &c) { c.token["signature"] = base64_encode(Bytes(kMaxSignatureSize + 1, 1)); });
    bad("certificate-over-16kib", "unverifiedCertificate of 16 KiB + 1 byte", [](Case &c) {
        c.token["unverifiedCertificate"] = base64_encode(Bytes(kMaxCertificateSize + 1, 0x30));
    });
    bad("appversion-257", "appVersion of 257 characters",
        [](Case &c) { c.token["appVersion"] = std::string(257, 'x'); });
    bad("appversion-number", "appVersion a number", [](Case &c) { c.token["appVersion"] = 2; });

    // Every string member is non-empty, without control characters, and
    // bounded in bytes (rule 1's text).
    bad("appversion-empty", "appVersion an empty string",
        [](Case &c) { c.token["appVersion"] = ""; });
    bad("appversion-control-character", "appVersion with a newline",
        [](Case &c) { c.token["appVersion"] = "2.5.0\n"; });
    bad("appversion-257-bytes", "appVersion of 128 characters of two UTF-8 bytes and one more",
        [](Case &c) {
            std::string s;
            for (int i = 0; i < 128; i++)
                s += "\xc3\xa9"; // é
            c.token["appVersion"] = s + "x";
        });
    bad("signature-empty", "signature an empty string (base64 of 0 bytes)",
        [](Case &c) { c.token["signature"] = ""; });
    bad("algorithm-empty", "algorithm an empty string", [](Case &c) { c.token["algorithm"] = ""; });
    bad("algorithm-17-bytes", "algorithm of 17 bytes",
        [](Case &c) { c.token["algorithm"] = "ES256ES256ES256ES"; });
}

// Rule 2: the algorithm's name. Every supported one verifies (each with a
// key it fits); every other name is refused by name.
void rule2(CaseWriter &w, const Pki &pki)
{
    EVP_PKEY *rsa = keep(test::make_rsa_key(2048));
    X509 *rsa_card = keep(pki.issue(card_spec(), rsa));
    struct Fit {
        Algorithm alg;
        const char *curve; // null: RSA
    };
    for (Fit f : {Fit{Algorithm::ES256, "P-256"}, Fit{Algorithm::ES384, "P-384"},
                  Fit{Algorithm::ES512, "P-521"}, Fit{Algorithm::RS256, nullptr},
                  Fit{Algorithm::RS384, nullptr}, Fit{Algorithm::RS512, nullptr},
                  Fit{Algorithm::PS256, nullptr}, Fit{Algorithm::PS384, nullptr},
                  Fit{Algorithm::PS512, nullptr}}) {
        std::string name(to_string(f.alg));
        Case c = base(pki, 2, name,
                      name + (f.curve ? std::string(" with a ") + f.curve + " key"
                                      : " with an RSA-2048 key"));
        EVP_PKEY *key = f.curve ? keep(test::make_ec_key(f.curve)) : rsa;
        X509 *card = f.curve ? keep(pki.issue(card_spec(), key)) : rsa_card;
        c.token = token_for(card, key, f.alg);
        w.add(c);
    }
    for (const char *name :
         {"ES256K", "EdDSA", "HS256", "HS384", "HS512", "none", "es256", "RS1", "PS256 "}) {
        Case c = base(pki, 2, std::string("unsupported-") + name,
                      std::string("algorithm \"") + name + "\" (the signature is ES256)");
        for (char &ch : c.slug)
            if (ch == ' ')
                ch = '_';
        c.token["algorithm"] = name;
        w.add(with(c, "ALGORITHM_UNSUPPORTED"));
    }
}

// Rule 3: the site's origin. cardbound-verify refuses a non-canonical
// --origin at start (exit 2) by the same rule; each token is signed for the
// origin given, so only the origin's form is wrong.
void rule3(CaseWriter &w, const Pki &pki)
{
    Case port = base(pki, 3, "https-with-port", "https://site.example:8443, a non-default port");
    port.origin = "https://site.example:8443";
    port.token = token_for(pki.card.get(), pki.card_key.get(), Algorithm::ES256, port.origin);
    w.add(port);
    struct Bad {
        const char *slug, *origin;
    };
    for (Bad b :
         {Bad{"http", "http://site.example"}, Bad{"trailing-slash", "https://site.example/"},
          Bad{"path", "https://site.example/login"}, Bad{"uppercase", "https://Site.example"},
          Bad{"default-port", "https://site.example:443"}, Bad{"no-scheme", "site.example"},
          Bad{"http-localhost", "http://localhost:8080"}}) {
        Case c =
            base(pki, 3, b.slug, std::string("--origin ") + b.origin + " is not canonical https");
        c.origin = b.origin;
        c.token = token_for(pki.card.get(), pki.card_key.get(), Algorithm::ES256, c.origin);
        w.add(with(c, kStartUpError));
    }
}

// Rule 4: unverifiedCertificate is exactly one DER certificate.
void rule4(CaseWriter &w, const Pki &pki)
{
    w.add(base(pki, 4, "one-der-certificate", "one DER certificate, nothing after it"));
    Bytes der = certificate_der(pki.card.get());
    auto bad = [&](std::string slug, std::string description, Bytes bytes) {
        Case c = base(pki, 4, std::move(slug), std::move(description));
        c.token["unverifiedCertificate"] = base64_encode(bytes);
        w.add(with(c, "TOKEN_MALFORMED"));
    };
    Bytes trailing = der;
    trailing.push_back(0x00);
    bad("trailing-byte", "the certificate and one byte more", trailing);
    bad("truncated", "the first half of the certificate",
        Bytes(der.begin(), der.begin() + der.size() / 2));
    Bytes two = der;
    two.insert(two.end(), der.begin(), der.end());
    bad("two-certificates", "the certificate twice", two);
    bad("not-der", "bytes that are no DER", Bytes(64, 0x41));
}

// Rule 5: the card's key. The token is signed with the card's key and the
// algorithm its type names, so only the key is wrong.
void rule5(CaseWriter &w, const Pki &pki)
{
    auto card_with = [&](std::string slug, std::string description, EVP_PKEY *key, Algorithm alg,
                         std::string expected) {
        Case c = base(pki, 5, std::move(slug), std::move(description));
        c.token = token_for(keep(pki.issue(card_spec(), key)), key, alg);
        w.add(with(c, std::move(expected)));
    };
    card_with("rsa-2048", "an RSA key of 2048 bits", keep(test::make_rsa_key(2048)),
              Algorithm::RS256, kValid);
    card_with("p-521", "an EC key on P-521", keep(test::make_ec_key("P-521")), Algorithm::ES512,
              kValid);
    card_with("rsa-1024", "an RSA key of 1024 bits", keep(test::make_rsa_key(1024)),
              Algorithm::RS256, "ALGORITHM_UNSUPPORTED");
    card_with("rsa-2047", "an RSA key of 2047 bits", keep(test::make_rsa_key(2047)),
              Algorithm::RS256, "ALGORITHM_UNSUPPORTED");
    card_with("secp256k1", "an EC key on secp256k1", keep(test::make_ec_key("secp256k1")),
              Algorithm::ES256, "ALGORITHM_UNSUPPORTED");
    card_with("brainpool", "an EC key on brainpoolP256r1",
              keep(test::make_ec_key("brainpoolP256r1")), Algorithm::ES256,
              "ALGORITHM_UNSUPPORTED");
    // An Ed25519 card cannot sign ES256; the token carries a P-256 signature.
    EVP_PKEY *ed = keep(ossl::Pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519")));
    Case c = base(pki, 5, "ed25519", "an Ed25519 key");
    c.token["unverifiedCertificate"] =
        base64_encode(certificate_der(keep(pki.issue(card_spec(), ed))));
    w.add(with(c, "ALGORITHM_UNSUPPORTED"));
}

// Rule 6: the algorithm fits the key. Each mismatch names an algorithm the
// token's signature was not made with, so the key check must catch it first.
void rule6(CaseWriter &w, const Pki &pki)
{
    EVP_PKEY *p384 = keep(test::make_ec_key("P-384"));
    X509 *p384_card = keep(pki.issue(card_spec(), p384));
    EVP_PKEY *rsa = keep(test::make_rsa_key(2048));
    X509 *rsa_card = keep(pki.issue(card_spec(), rsa));
    auto named = [&](std::string slug, std::string description, X509 *card, EVP_PKEY *key,
                     Algorithm signed_with, const char *named_alg, std::string expected) {
        Case c = base(pki, 6, std::move(slug), std::move(description));
        c.token = token_for(card, key, signed_with);
        c.token["algorithm"] = named_alg;
        w.add(with(c, std::move(expected)));
    };
    named("es384-p384", "ES384 with a P-384 key", p384_card, p384, Algorithm::ES384, "ES384",
          kValid);
    named("ps256-rsa", "PS256 with an RSA key", rsa_card, rsa, Algorithm::PS256, "PS256", kValid);
    const std::string no = "ALGORITHM_UNSUPPORTED";
    named("es256-p384", "ES256 named, the key P-384", p384_card, p384, Algorithm::ES384, "ES256",
          no);
    named("es512-p384", "ES512 named, the key P-384", p384_card, p384, Algorithm::ES384, "ES512",
          no);
    named("es384-p256", "ES384 named, the key P-256 (signed ES256)", pki.card.get(),
          pki.card_key.get(), Algorithm::ES256, "ES384", no);
    named("es512-p256", "ES512 named, the key P-256 (signed ES256)", pki.card.get(),
          pki.card_key.get(), Algorithm::ES256, "ES512", no);
    EVP_PKEY *p521 = keep(test::make_ec_key("P-521"));
    named("es256-p521", "ES256 named, the key P-521 (signed ES512)",
          keep(pki.issue(card_spec(), p521)), p521, Algorithm::ES512, "ES256", no);
    named("es256-rsa", "ES256 named, the key RSA (signed RS256)", rsa_card, rsa, Algorithm::RS256,
          "ES256", no);
    named("rs256-ec", "RS256 named, the key P-256 (signed ES256)", pki.card.get(),
          pki.card_key.get(), Algorithm::ES256, "RS256", no);
    named("ps256-ec", "PS256 named, the key P-256 (signed ES256)", pki.card.get(),
          pki.card_key.get(), Algorithm::ES256, "PS256", no);
}

// Rule 7: the card's validity at the validation time, at its edges.
// notBefore <= time < notAfter: the notAfter second itself is past.
void rule7(CaseWriter &w, const Pki &pki)
{
    auto at = [&](std::string slug, std::string description, std::time_t t, std::string expected) {
        Case c = base(pki, 7, std::move(slug), std::move(description));
        c.at = t;
        w.add(with(c, std::move(expected)));
    };
    auto spec = card_spec();
    at("at-notbefore", "validated at the card's notBefore", spec.not_before, kValid);
    at("before-notafter", "validated a second before the card's notAfter", spec.not_after - 1,
       kValid);
    at("not-yet-valid", "validated a second before the card's notBefore", spec.not_before - 1,
       "CERT_NOT_YET_VALID");
    at("expired-at-notafter", "validated at the card's notAfter", spec.not_after, "CERT_EXPIRED");
    at("expired", "validated a day after the card's notAfter", spec.not_after + kDay,
       "CERT_EXPIRED");
}

// Rule 8: a path to a trust anchor. cardbound-verify has no intermediates:
// --trust names the anchors, and an intermediate CA may be one.
void rule8(CaseWriter &w, const Pki &pki)
{
    w.add(base(pki, 8, "issuing-ca-anchor", "--trust the issuing CA (an intermediate)"));
    Case both = base(pki, 8, "root-and-issuing-ca", "--trust the root and the issuing CA");
    both.trust = {{"root.pem", {pki.root.get()}}, {"ca.pem", {pki.issuer.get()}}};
    w.add(both);
    Case one_file = base(pki, 8, "root-and-issuing-ca-one-file", "both CAs in one --trust file");
    one_file.trust = {{"cas.pem", {pki.root.get(), pki.issuer.get()}}};
    w.add(one_file);

    Case root_only = base(pki, 8, "root-only", "--trust the root only: the issuing CA is missing");
    root_only.trust = {{"root.pem", {pki.root.get()}}};
    w.add(with(root_only, "CERT_UNTRUSTED"));
    Pki other;
    Case foreign = base(pki, 8, "other-pki",
                        "--trust another PKI's issuing CA, of the same name, another key");
    foreign.trust = {{"ca.pem", {keep(ossl::X509Ptr(X509_dup(other.issuer.get())))}}};
    w.add(with(foreign, "CERT_UNTRUSTED"));
    // The same issuer name, but signed by another key: a forged certificate.
    auto forger_spec = ca_spec("Test Issuing CA");
    EVP_PKEY *forger_key = keep(test::make_ec_key("P-384"));
    X509 *forger = keep(test::make_certificate(forger_spec, forger_key, nullptr, nullptr));
    Case forged = base(pki, 8, "forged-issuer-signature",
                       "the card signed by another key under the issuing CA's name");
    X509 *card = keep(test::make_certificate(card_spec(), pki.card_key.get(), forger, forger_key));
    forged.token = token_for(card, pki.card_key.get());
    w.add(with(forged, "CERT_UNTRUSTED"));
}

// Rule 9: every CA of the path is valid at the validation time. The anchor
// (the issuing CA) is a CA of the path; the card outlives it here.
void rule9(CaseWriter &w, const Pki &pki)
{
    auto spec = ca_spec("Short-lived Issuing CA");
    spec.not_before = kAt - 30 * kDay;
    spec.not_after = kAt + 30 * kDay;
    X509 *ca = keep(
        test::make_certificate(spec, pki.issuer_key.get(), pki.root.get(), pki.root_key.get()));
    X509 *card =
        keep(test::make_certificate(card_spec(), pki.card_key.get(), ca, pki.issuer_key.get()));
    auto at = [&](std::string slug, std::string description, std::time_t t, std::string expected) {
        Case c = base(pki, 9, std::move(slug), std::move(description));
        c.token = token_for(card, pki.card_key.get());
        c.trust = {{"ca.pem", {ca}}};
        c.at = t;
        w.add(with(c, std::move(expected)));
    };
    at("ca-valid", "the issuing CA valid, a second before its notAfter", spec.not_after - 1,
       kValid);
    at("ca-at-notbefore", "the issuing CA valid from this second", spec.not_before, kValid);
    at("ca-expired", "the issuing CA's notAfter has passed; the card is valid", spec.not_after,
       "CERT_EXPIRED");
    at("ca-not-yet-valid", "before the issuing CA's notBefore; the card is valid",
       spec.not_before - 1, "CERT_NOT_YET_VALID");
}

// Rule 10: pathLen and name constraints of the CAs of the path.
void rule10(CaseWriter &w, const Pki &pki)
{
    // The CLI has no intermediates: every CA given is an anchor, and the
    // path ends at the first one (X509_V_FLAG_PARTIAL_CHAIN). So a pathLen
    // can be exceeded only by CAs that are not part of the path: root ->
    // CA (pathLen N) -> sub-CA -> card, all CAs trusted, is card -> sub-CA.
    // (Exceeded pathLens are refused in server/tests/token_checks_test.cpp,
    // with configured intermediates.)
    auto pathlen = [&](std::string slug, const char *bc, std::string expected) {
        auto spec = ca_spec("Constrained CA");
        spec.basic_constraints = bc;
        X509 *ca = keep(
            test::make_certificate(spec, pki.issuer_key.get(), pki.root.get(), pki.root_key.get()));
        EVP_PKEY *sub_key = keep(test::make_ec_key("P-256"));
        X509 *sub =
            keep(test::make_certificate(ca_spec("Sub CA"), sub_key, ca, pki.issuer_key.get()));
        X509 *card = keep(test::make_certificate(card_spec(), pki.card_key.get(), sub, sub_key));
        Case c = base(pki, 10, std::move(slug),
                      std::string("root, CA (") + bc +
                          "), sub-CA, card; all CAs trusted: the path is card, sub-CA");
        c.token = token_for(card, pki.card_key.get());
        c.trust = {{"cas.pem", {pki.root.get(), ca, sub}}};
        w.add(with(c, std::move(expected)));
    };
    pathlen("pathlen-1", "critical,CA:TRUE,pathlen:1", kValid);
    pathlen("pathlen-0-above-the-anchor", "critical,CA:TRUE,pathlen:0", kValid);
    // pathLen 0 on the anchor that issued the card: the card is no CA.
    auto zero = ca_spec("Issuing CA, pathLen 0");
    zero.basic_constraints = "critical,CA:TRUE,pathlen:0";
    X509 *zero_ca = keep(
        test::make_certificate(zero, pki.issuer_key.get(), pki.root.get(), pki.root_key.get()));
    Case direct = base(pki, 10, "pathlen-0-anchor-issues-card", "the anchor has pathLen 0");
    direct.token = token_for(keep(test::make_certificate(card_spec(), pki.card_key.get(), zero_ca,
                                                         pki.issuer_key.get())),
                             pki.card_key.get());
    direct.trust = {{"ca.pem", {zero_ca}}};
    w.add(direct);

    // The anchor's own name constraints bind the card.
    auto names = [&](std::string slug, const char *nc, const char *dns, std::string expected) {
        auto spec = ca_spec("Name-constrained CA");
        spec.name_constraints = nc;
        X509 *ca = keep(
            test::make_certificate(spec, pki.issuer_key.get(), pki.root.get(), pki.root_key.get()));
        auto cs = card_spec();
        cs.dns_names = {dns};
        X509 *card = keep(test::make_certificate(cs, pki.card_key.get(), ca, pki.issuer_key.get()));
        Case c = base(pki, 10, std::move(slug),
                      std::string("the anchor's name constraints: ") + nc + "; the card is " + dns);
        c.token = token_for(card, pki.card_key.get());
        c.trust = {{"ca.pem", {ca}}};
        w.add(with(c, std::move(expected)));
    };
    const char *permitted = "critical,permitted;DNS:cards.example";
    const char *excluded = "critical,excluded;DNS:elsewhere.example";
    names("name-permitted", permitted, "holder.cards.example", kValid);
    names("name-outside-permitted", permitted, "holder.elsewhere.example", "CERT_UNTRUSTED");
    names("name-not-excluded", excluded, "holder.cards.example", kValid);
    names("name-excluded", excluded, "holder.elsewhere.example", "CERT_UNTRUSTED");
}

// Rule 11: OpenSSL's strict X.509 checks, on the card and on its issuer.
void rule11(CaseWriter &w, const Pki &pki)
{
    auto under = [&](std::string slug, std::string description, const char *bc, bool ca_ids,
                     bool card_ids, std::string expected) {
        auto spec = ca_spec("Issuing CA");
        spec.basic_constraints = bc;
        spec.key_ids = ca_ids;
        X509 *ca = keep(
            test::make_certificate(spec, pki.issuer_key.get(), pki.root.get(), pki.root_key.get()));
        auto cs = card_spec();
        cs.key_ids = card_ids;
        X509 *card = keep(test::make_certificate(cs, pki.card_key.get(), ca, pki.issuer_key.get()));
        Case c = base(pki, 11, std::move(slug), std::move(description));
        c.token = token_for(card, pki.card_key.get());
        c.trust = {{"ca.pem", {ca}}};
        w.add(with(c, std::move(expected)));
    };
    under("rfc5280", "a CA with critical basicConstraints and key identifiers", "critical,CA:TRUE",
          true, true, kValid);
    under("ca-basicconstraints-not-critical", "the issuing CA's basicConstraints not critical",
          "CA:TRUE", true, true, "CERT_UNTRUSTED");
    under("ca-without-key-ids", "the issuing CA without key identifiers (the card without AKI)",
          "critical,CA:TRUE", false, false, "CERT_UNTRUSTED");
    under("card-without-aki", "the card without authorityKeyIdentifier", "critical,CA:TRUE", true,
          false, "CERT_UNTRUSTED");
}

// Rule 12: signatures of the path SHA-256 or stronger. Through the CLI the
// path is the card and an anchor (every CA given is one), so only the card's
// signature is judged. The keys' half of the rule cannot be reached: a weak
// card key is rule 5's, a weak CA key is refused as an anchor (rule 18).
void rule12(CaseWriter &w, const Pki &pki)
{
    auto signed_with = [&](std::string slug, const EVP_MD *md, std::string expected) {
        auto spec = card_spec();
        spec.digest = md;
        Case c = base(pki, 12, std::move(slug),
                      std::string("the card's certificate signed with ") + EVP_MD_get0_name(md));
        c.token = token_for(keep(pki.issue(spec)), pki.card_key.get());
        w.add(with(c, std::move(expected)));
    };
    signed_with("sha384", EVP_sha384(), kValid);
    signed_with("sha512", EVP_sha512(), kValid);
    signed_with("sha1", EVP_sha1(), "CERT_UNTRUSTED");
    signed_with("sha224", EVP_sha224(), "CERT_UNTRUSTED");

    // An RSA issuing CA: its PKCS#1 v1.5 signatures, SHA-256 vs SHA-1.
    EVP_PKEY *rsa_ca_key = keep(test::make_rsa_key(2048));
    X509 *rsa_ca = keep(test::make_certificate(ca_spec("RSA Issuing CA"), rsa_ca_key,
                                               pki.root.get(), pki.root_key.get()));
    auto rsa_signed = [&](std::string slug, const EVP_MD *md, std::string expected) {
        auto spec = card_spec();
        spec.digest = md;
        Case c = base(pki, 12, std::move(slug),
                      std::string("the card signed by an RSA CA with ") + EVP_MD_get0_name(md));
        c.token =
            token_for(keep(test::make_certificate(spec, pki.card_key.get(), rsa_ca, rsa_ca_key)),
                      pki.card_key.get());
        c.trust = {{"ca.pem", {rsa_ca}}};
        w.add(with(c, std::move(expected)));
    };
    rsa_signed("rsa-sha256", EVP_sha256(), kValid);
    rsa_signed("rsa-sha1", EVP_sha1(), "CERT_UNTRUSTED");

    // The anchor's own signature is not judged: a CA self-signed with SHA-1
    // still anchors a card it signed with SHA-256.
    auto old_spec = ca_spec("Old CA", 10);
    old_spec.digest = EVP_sha1();
    X509 *old_ca = keep(test::make_certificate(old_spec, pki.root_key.get(), nullptr, nullptr));
    Case old = base(pki, 12, "sha1-self-signed-anchor",
                    "the anchor is self-signed with SHA-1, the card signed with SHA-256");
    old.token = token_for(
        keep(test::make_certificate(card_spec(), pki.card_key.get(), old_ca, pki.root_key.get())),
        pki.card_key.get());
    old.trust = {{"ca.pem", {old_ca}}};
    w.add(old);
}

// Rule 13: keyUsage with digitalSignature.
void rule13(CaseWriter &w, const Pki &pki)
{
    auto with_ku = [&](std::string slug, const char *ku, std::string expected) {
        auto spec = card_spec();
        spec.key_usage = ku;
        Case c = base(pki, 13, std::move(slug), std::string("the card's keyUsage: ") + ku);
        c.token = token_for(keep(pki.issue(spec)), pki.card_key.get());
        w.add(with(c, std::move(expected)));
    };
    with_ku("digitalsignature", "critical,digitalSignature", kValid);
    with_ku("digitalsignature-keyagreement", "critical,digitalSignature,keyAgreement", kValid);
    with_ku("nonrepudiation", "critical,nonRepudiation", "CERT_WRONG_PURPOSE");
    with_ku("keyagreement", "critical,keyAgreement", "CERT_WRONG_PURPOSE");
    with_ku("none", "-", "CERT_WRONG_PURPOSE");
}

// Rule 14: an extendedKeyUsage, when present, includes clientAuth.
void rule14(CaseWriter &w, const Pki &pki)
{
    auto with_eku = [&](std::string slug, const char *eku, std::string expected) {
        auto spec = card_spec();
        spec.eku = eku;
        Case c = base(pki, 14, std::move(slug), std::string("the card's extendedKeyUsage: ") + eku);
        c.token = token_for(keep(pki.issue(spec)), pki.card_key.get());
        w.add(with(c, std::move(expected)));
    };
    with_eku("clientauth", "clientAuth", kValid);
    with_eku("clientauth-emailprotection", "clientAuth,emailProtection", kValid);
    with_eku("no-eku", "-", kValid);
    with_eku("serverauth", "serverAuth", "CERT_WRONG_PURPOSE");
    with_eku("emailprotection", "emailProtection", "CERT_WRONG_PURPOSE");
}

// Rule 15: CRLs given with --crl.
void rule15(CaseWriter &w, const Pki &pki)
{
    X509 *revoked_card = keep(pki.issue(card_spec()));
    auto with_crl = [&](std::string slug, std::string description, X509 *card,
                        std::vector<X509 *> revoked, std::time_t last, std::time_t next,
                        std::string expected, X509 *issuer = nullptr, EVP_PKEY *key = nullptr) {
        Case c = base(pki, 15, std::move(slug), std::move(description));
        c.token = token_for(card, pki.card_key.get());
        c.crls.push_back(test::write_crl_file(issuer ? issuer : pki.issuer.get(),
                                              key ? key : pki.issuer_key.get(), std::move(revoked),
                                              last, next));
        w.add(with(c, std::move(expected)));
    };
    X509 *card = pki.card.get();
    with_crl("current-not-listed", "a current CRL that lists another card", card, {revoked_card},
             kAt - 3600, kAt + 3600, kValid);
    with_crl("before-nextupdate", "a CRL a minute before its nextUpdate", card, {}, kAt - 3600,
             kAt + 60, kValid);
    with_crl("revoked", "a current CRL lists the card", revoked_card, {revoked_card}, kAt - 3600,
             kAt + 3600, "CERT_REVOKED");
    with_crl("past-nextupdate", "the only CRL is past its nextUpdate", card, {}, kAt - 7200,
             kAt - 60, "REVOCATION_UNKNOWN");
    with_crl("not-yet-current", "the only CRL's thisUpdate is later than the validation time", card,
             {}, kAt + 60, kAt + 7200, "REVOCATION_UNKNOWN");
    EVP_PKEY *other_key = keep(test::make_ec_key("P-384"));
    X509 *other_ca = keep(test::make_certificate(ca_spec("Other Issuing CA"), other_key,
                                                 pki.root.get(), pki.root_key.get()));
    with_crl("other-issuer", "a current CRL of another CA (another name) only", card, {},
             kAt - 3600, kAt + 3600, "REVOCATION_UNKNOWN", other_ca, other_key);
    // The issuing CA's name, another key: not a CRL of the card's issuer.
    with_crl("bad-signature", "a CRL in the issuing CA's name signed by another key", card, {},
             kAt - 3600, kAt + 3600, "REVOCATION_UNKNOWN", pki.issuer.get(), other_key);
}

// Rule 17: the signature over H(H(origin) || H(nonce)) with the card's key.
void rule17(CaseWriter &w, const Pki &pki)
{
    w.add(base(pki, 17, "this-origin-this-nonce", "signed for this origin and this nonce"));
    auto bad = [&](std::string slug, std::string description, nlohmann::json token) {
        Case c = base(pki, 17, std::move(slug), std::move(description));
        c.token = std::move(token);
        w.add(with(c, "SIGNATURE_INVALID"));
    };
    X509 *card = pki.card.get();
    EVP_PKEY *key = pki.card_key.get();
    bad("other-nonce", "signed over another nonce",
        token_for(card, key, Algorithm::ES256, kOrigin, kNonce + "x"));
    bad("other-origin", "signed for https://other.example",
        token_for(card, key, Algorithm::ES256, "https://other.example"));
    bad("other-key", "signed by another P-256 key",
        token_for(card, keep(test::make_ec_key("P-256")), Algorithm::ES256));
    nlohmann::json flipped = token_for(card, key);
    Bytes sig = *base64_decode(flipped["signature"].get<std::string>());
    sig[sig.size() / 2] ^= 0x01;
    flipped["signature"] = base64_encode(sig);
    bad("flipped-bit", "one bit of the signature flipped", flipped);
    // ECDSA goes as raw r||s; the DER form OpenSSL makes is not accepted.
    nlohmann::json der = token_for(card, key);
    Bytes raw = *base64_decode(der["signature"].get<std::string>());
    der["signature"] = base64_encode(*ecdsa_raw_to_der(raw));
    bad("ecdsa-der", "an ECDSA signature in DER, not raw r||s", der);
    nlohmann::json digest_only = token_for(card, key);
    digest_only["signature"] = base64_encode(
        sign_message(key, Algorithm::ES256, login_digest(Algorithm::ES256, kOrigin, kNonce)));
    bad("hash-hashed-again", "signed over SHA-256 of the login digest (a message, not a digest)",
        digest_only);
    // RSA: a PKCS#1 v1.5 signature named PS256, and the reverse.
    EVP_PKEY *rsa = keep(test::make_rsa_key(2048));
    X509 *rsa_card = keep(pki.issue(card_spec(), rsa));
    nlohmann::json rs_as_ps = token_for(rsa_card, rsa, Algorithm::RS256);
    rs_as_ps["algorithm"] = "PS256";
    bad("rs256-named-ps256", "a PKCS#1 v1.5 signature named PS256", rs_as_ps);
    nlohmann::json ps_as_rs = token_for(rsa_card, rsa, Algorithm::PS256);
    ps_as_rs["algorithm"] = "RS256";
    bad("ps256-named-rs256", "a PSS signature named RS256", ps_as_rs);
    nlohmann::json rs_hash = token_for(rsa_card, rsa, Algorithm::RS384);
    rs_hash["algorithm"] = "RS256";
    bad("rs384-named-rs256", "an RS384 signature named RS256", rs_hash);
}

// Rule 18: every trust anchor is a CA certificate with a policy key; else
// cardbound-verify exits 2 at start, before any token is read.
void rule18(CaseWriter &w, const Pki &pki)
{
    w.add(base(pki, 18, "ca-anchor", "the anchor: CA:TRUE, keyCertSign, a P-384 key"));
    auto anchor = [&](std::string slug, std::string description, X509 *cert) {
        Case c = base(pki, 18, std::move(slug), std::move(description));
        // A good anchor first: the bad one must be refused even so.
        c.trust = {{"ca.pem", {pki.issuer.get()}}, {"bad.pem", {cert}}};
        w.add(with(c, kStartUpError));
    };
    anchor("card-as-anchor", "the card's own certificate as an anchor", pki.card.get());
    EVP_PKEY *key = keep(test::make_ec_key("P-256"));
    auto no_bc = ca_spec("No Constraints CA");
    no_bc.basic_constraints = "-";
    anchor("no-basicconstraints", "a CA certificate without basicConstraints",
           keep(test::make_certificate(no_bc, key, nullptr, nullptr)));
    auto not_ca = ca_spec("Not A CA");
    not_ca.basic_constraints = "critical,CA:FALSE";
    anchor("ca-false", "a self-signed certificate with basicConstraints CA:FALSE",
           keep(test::make_certificate(not_ca, key, nullptr, nullptr)));
    auto no_sign = ca_spec("No Signing CA");
    no_sign.key_usage = "critical,digitalSignature";
    anchor("no-keycertsign", "a CA whose keyUsage lacks keyCertSign",
           keep(test::make_certificate(no_sign, key, nullptr, nullptr)));
    EVP_PKEY *weak = keep(test::make_rsa_key(1024));
    anchor("rsa-1024", "a CA with an RSA key of 1024 bits (rule 12's key policy)",
           keep(test::make_certificate(ca_spec("Weak CA"), weak, nullptr, nullptr)));
    EVP_PKEY *k1 = keep(test::make_ec_key("secp256k1"));
    anchor("secp256k1", "a CA with a key on secp256k1 (rule 12's key policy)",
           keep(test::make_certificate(ca_spec("Odd Curve CA"), k1, nullptr, nullptr)));
}

} // namespace

int main(int argc, char **argv)
{
    if (argc != 2 || std::string(argv[1]) == "--help") {
        std::cerr << "Usage: cardbound-policy-cases OUTPUT_DIR\n"
                     "Writes the cases of the differential test of token validators: one folder\n"
                     "per case (token.json, PEM trust files, CRLs, case.json) for every rule of\n"
                     "docs/protocol.md section 8, and uncovered.json (rules without cases).\n";
        return argc == 2 ? 0 : 2;
    }
    try {
        fs::path out = argv[1];
        if (fs::exists(out) && !fs::is_empty(out))
            throw std::runtime_error(out.string() + " exists and is not empty");
        CaseWriter w(out);
        Pki pki;
        for (auto rule : {rule1, rule2, rule3, rule4, rule5, rule6, rule7, rule8, rule9, rule10,
                          rule11, rule12, rule13, rule14, rule15, rule17, rule18})
            rule(w, pki);
        // Rules without cases, and why: run-cases accepts no other gap.
        nlohmann::json uncovered = {
            {"16", "OCSP needs a live responder; every case runs --ocsp off. Covered by "
                   "server/tests/ocsp_rules_test.cpp and OcspRulesTest (Java), and compared "
                   "between cardbound-verify and cardbound-verify-java by VerifyOcspCliTest"}};
        std::ofstream(out / "uncovered.json") << uncovered.dump(2) << "\n";
        std::cout << w.count() << " cases in " << out.string() << "\n";
        return 0;
    } catch (const std::exception &e) {
        std::cerr << "cardbound-policy-cases: " << e.what() << "\n";
        return 1;
    }
}
