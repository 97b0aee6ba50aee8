// cardbound-test-server: makes the signed server messages of docs/protocol.md
// for the host's tests, with a key and certificate from the test PKI. It is
// the stand-in for the relying party until server/ exists, and it builds the
// messages with the same code (common/) the real server will use.
#include "cardbound/crypto/certificate.h"
#include "cardbound/protocol/messages.h"

#include <cstdio>
#include <iostream>
#include <map>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <string>

using namespace cardbound;

namespace
{

int usage()
{
    std::cerr
        << "Usage: cardbound-test-server KIND --key KEY.pem [options]\n"
           "  challenge --chain CHAIN.pem --origin O --host-nonce N [--server-nonce N]\n"
           "            [--issued-offset S] [--lifetime S] [--origin-signed O]\n"
           "  receipt   --origin O --server-nonce N --token-hash H --session-tag T\n"
           "            --presence-nonce N [--interval S] [--lifetime S]\n"
           "  presence  --origin O --session-tag T --nonce N [--lifetime S]\n"
           "  transaction --origin O --session-tag T --text TEXT [--nonce N] [--lifetime S]\n"
           "  confirmation --cert CERT.pem --origin O --session-tag T --text TEXT --nonce N\n"
           "            (a cardbound-transaction:1 confirmation, as a card would sign it)\n"
           "  token     --cert CERT.pem --origin O --nonce N   (a web-eid:1.0 token, as a card\n"
           "            would make it, for certificates no card holds)\n"
           "  nonce     (prints a fresh nonce)\n"
           "Prints the message as JSON. Times are relative to now.\n";
    return 2;
}

ossl::Pkey load_key(const std::string &path)
{
    ossl::Bio bio(BIO_new_file(path.c_str(), "r"));
    if (!bio)
        throw std::runtime_error("cannot read " + path);
    ossl::Pkey key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
    if (!key)
        throw std::runtime_error("no private key in " + path);
    return key;
}

} // namespace

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage();
    std::string kind = argv[1];
    std::map<std::string, std::string> opt;
    for (int i = 2; i + 1 < argc; i += 2) {
        std::string k = argv[i];
        if (!k.starts_with("--"))
            return usage();
        opt[k.substr(2)] = argv[i + 1];
    }
    auto get = [&](const std::string &k, const std::string &def = "") {
        auto it = opt.find(k);
        if (it != opt.end())
            return it->second;
        if (def.empty())
            throw std::runtime_error("--" + k + " is required");
        return def;
    };
    try {
        if (kind == "nonce") {
            std::cout << base64_encode(random_bytes(32)) << "\n";
            return 0;
        }
        ossl::Pkey key = load_key(get("key"));
        Algorithm alg = *default_algorithm(key.get());
        std::time_t now = std::time(nullptr);
        std::time_t issued = now + std::stol(get("issued-offset", "0"));
        std::time_t expires = issued + std::stol(get("lifetime", "120"));
        nlohmann::json out;
        if (kind == "challenge") {
            ServerChallenge c;
            c.origin = get("origin-signed", get("origin"));
            c.server_nonce = get("server-nonce", base64_encode(random_bytes(32)));
            c.host_nonce = get("host-nonce");
            c.issued_at = format_time(issued);
            c.expires_at = format_time(expires);
            for (auto &cert : load_pem_certificates(get("chain")))
                c.certificate_chain.push_back(certificate_der(cert.get()));
            c.algorithm = alg;
            c.signature = sign_message(key.get(), alg, as_bytes(c.signing_input()));
            out = c.to_json();
        } else if (kind == "receipt") {
            Receipt r;
            r.origin = get("origin");
            r.server_nonce = get("server-nonce");
            r.token_hash = get("token-hash");
            r.session_tag = get("session-tag");
            r.presence_nonce = get("presence-nonce");
            r.presence_interval = std::stoi(get("interval", "30"));
            r.issued_at = format_time(issued);
            r.expires_at = format_time(expires);
            r.algorithm = alg;
            r.signature = sign_message(key.get(), alg, as_bytes(r.signing_input()));
            out = r.to_json();
        } else if (kind == "presence") {
            PresenceChallenge p;
            p.origin = get("origin");
            p.session_tag = get("session-tag");
            p.nonce = get("nonce");
            p.issued_at = format_time(issued);
            p.expires_at = format_time(expires);
            p.algorithm = alg;
            p.signature = sign_message(key.get(), alg, as_bytes(p.signing_input()));
            out = p.to_json();
        } else if (kind == "transaction") {
            TransactionChallenge t;
            t.origin = get("origin");
            t.session_tag = get("session-tag");
            t.text = get("text");
            t.nonce = get("nonce", base64_encode(random_bytes(32)));
            t.issued_at = format_time(issued);
            t.expires_at = format_time(expires);
            t.algorithm = alg;
            t.signature = sign_message(key.get(), alg, as_bytes(t.signing_input()));
            out = t.to_json();
        } else if (kind == "confirmation") {
            TransactionConfirmation t;
            t.session_tag = get("session-tag");
            t.text = get("text");
            t.nonce = get("nonce");
            t.certificate = certificate_der(load_pem_certificates(get("cert")).at(0).get());
            t.algorithm = alg;
            // Sign the digest itself, as a card does.
            t.signature =
                sign_digest(key.get(), alg,
                            transaction_digest(alg, get("origin"), t.session_tag, t.text, t.nonce));
            out = t.to_json();
        } else if (kind == "token") {
            auto certs = load_pem_certificates(get("cert"));
            AuthToken t;
            t.certificate = certificate_der(certs.at(0).get());
            t.algorithm = alg;
            // Sign the digest itself, as a card does.
            t.signature =
                sign_digest(key.get(), alg, login_digest(alg, get("origin"), get("nonce")));
            t.app_version = "cardbound-test-server";
            out = t.to_json();
        } else {
            return usage();
        }
        std::cout << out.dump() << "\n";
        return 0;
    } catch (const std::exception &e) {
        std::cerr << "cardbound-test-server: " << e.what() << "\n";
        return 1;
    }
}
