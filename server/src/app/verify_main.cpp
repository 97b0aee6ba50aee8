// cardbound-verify: validates one Web eID / Cardbound authentication token
// offline, by the policy of docs/protocol.md §8. Prints the card holder's
// identity as JSON and exits 0 when the token is valid; prints the error code
// and exits 1 when it is not (a file that holds no JSON token included);
// exits 2 on bad usage, an unreadable file or a trust anchor that is not one.
#include "cardbound/crypto/certificate.h"
#include "validation/checks/origin_check.h"
#include "validation/validator_setup.h"

#include <cstring>
#include <fstream>
#include <iostream>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <sstream>

using namespace cardbound;
using namespace cardbound::server;

namespace
{

constexpr std::size_t kMaxTokenFile = 1024 * 1024;

void usage(std::ostream &out)
{
    out << "Usage: cardbound-verify --token FILE --origin URL --nonce NONCE --trust CA.pem\n"
           "                        [--trust CA.pem ...] [--at TIME] [--crl FILE|URL ...]\n"
           "                        [--ocsp aia|URL|off] [--soft-fail]\n"
           "\n"
           "Validates a web-eid:1.0 authentication token for ORIGIN and NONCE by the policy\n"
           "of docs/protocol.md section 8 (rule, code, why): the token's form, the card's\n"
           "key and algorithm, validity at TIME, the path to a --trust CA (an intermediate\n"
           "CA may be one; strict X.509, SHA-256 or stronger, RSA >= 2048, EC P-256/384/521),\n"
           "keyUsage digitalSignature and EKU clientAuth, revocation, and the signature over\n"
           "H(H(origin) || H(nonce)). Prints the identity as JSON and exits 0 when valid;\n"
           "prints the error code (TOKEN_MALFORMED, CERT_EXPIRED, SIGNATURE_INVALID, ...) and\n"
           "exits 1 when not; exits 2 on bad usage, an unreadable file, or a --trust file\n"
           "that holds anything but CA certificates.\n"
           "\n"
           "  --token FILE    the token JSON, or a JSON object with a \"token\" member\n"
           "  --origin URL    the site's origin: https://host[:port], e.g. https://example.org\n"
           "  --nonce NONCE   the challenge nonce the token must sign\n"
           "  --trust FILE    PEM trust anchors, CA certificates only (repeatable)\n"
           "  --at TIME       validation time, e.g. 2023-07-22T00:00:00Z (default: now); the\n"
           "                  one clock for certificates, CRLs and OCSP answers\n"
           "  --crl FILE|URL  a CRL (PEM or DER, a file or an http:// URL) (repeatable)\n"
           "  --ocsp MODE     aia: ask the responder the certificate names (default);\n"
           "                  URL: ask this responder; off: no OCSP (then revocation is\n"
           "                  checked only with --crl, or not at all)\n"
           "  --soft-fail     accept the token when the OCSP responder cannot answer\n"
           "                  (default: hard-fail with REVOCATION_UNKNOWN)\n"
           "  --help          this text\n";
}

std::string read_file(const std::string &path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw std::runtime_error("cannot read " + path);
    std::ostringstream s;
    s << in.rdbuf();
    if (s.str().size() > kMaxTokenFile)
        throw std::runtime_error(path + " is larger than 1 MiB");
    return s.str();
}

} // namespace

int main(int argc, char **argv)
{
    // stdout carries the answer only; warnings go to stderr.
    spdlog::set_default_logger(spdlog::stderr_logger_mt("cardbound-verify"));
    std::string token_file, origin, nonce, at_text;
    ValidatorOptions options;
    for (int i = 1; i < argc; i++) {
        std::string a = argv[i];
        if (a == "--help" || a == "-h") {
            usage(std::cout);
            return 0;
        }
        if (a == "--soft-fail") {
            options.soft_fail = true;
            continue;
        }
        if (i + 1 >= argc) {
            std::cerr << "cardbound-verify: " << a << " needs a value (or is unknown)\n";
            usage(std::cerr);
            return 2;
        }
        std::string v = argv[++i];
        if (a == "--token")
            token_file = v;
        else if (a == "--origin")
            origin = v;
        else if (a == "--nonce")
            nonce = v;
        else if (a == "--trust")
            options.trust.push_back(v);
        else if (a == "--at")
            at_text = v;
        else if (a == "--crl")
            options.crls.push_back(v);
        else if (a == "--ocsp")
            options.ocsp = v;
        else {
            std::cerr << "cardbound-verify: unknown option " << a << "\n";
            usage(std::cerr);
            return 2;
        }
    }
    if (token_file.empty() || origin.empty() || nonce.empty() || options.trust.empty()) {
        std::cerr << "cardbound-verify: --token, --origin, --nonce and --trust are required\n";
        usage(std::cerr);
        return 2;
    }
    if (auto why = origin_problem(origin); !why.empty()) {
        std::cerr << "cardbound-verify: --origin " << why << "\n";
        return 2;
    }
    if (!is_valid_ocsp_mode(options.ocsp)) {
        std::cerr << "cardbound-verify: --ocsp takes aia, off or an http:// URL\n";
        return 2;
    }
    std::time_t at = std::time(nullptr);
    if (!at_text.empty()) {
        auto t = parse_time(at_text);
        if (!t) {
            std::cerr << "cardbound-verify: --at must look like 2023-07-22T00:00:00Z\n";
            return 2;
        }
        at = *t;
    }

    ValidatorConfig config;
    std::string text;
    try {
        config = make_validator_config(options);
        text = read_file(token_file);
    } catch (const std::exception &e) {
        std::cerr << "cardbound-verify: " << e.what() << "\n";
        return 2;
    }

    try {
        // What is not JSON is no token: TOKEN_MALFORMED, as from the library.
        nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
        const nlohmann::json &token_json = j.is_object() && j.contains("token") ? j["token"] : j;
        AuthToken token = TokenValidator::parse(token_json);
        Identity id = TokenValidator(std::move(config)).validate(token, origin, nonce, at);
        std::cout << id.to_json().dump(2) << "\n";
        return 0;
    } catch (const ValidationError &e) {
        std::cout << code_name(e.code) << "\n";
        std::cerr << "cardbound-verify: " << e.what() << "\n";
        return 1;
    }
}
