// The server's own key and certificate chain: what it signs challenges,
// receipts and presence challenges with (by default the TLS key).
#pragma once

#include "cardbound/crypto/ossl.h"
#include "cardbound/crypto/signature.h"

#include <string>
#include <vector>

namespace cardbound::server
{

struct ServerIdentity {
    ossl::Pkey key;
    std::vector<Bytes> chain; // DER, the server's certificate first
    Algorithm algorithm = Algorithm::ES256;

    // Loads a PEM private key and a PEM chain; throws std::runtime_error.
    static ServerIdentity load(const std::string &key_pem, const std::string &chain_pem);
    Bytes sign(const std::string &input) const;
};

} // namespace cardbound::server
