#include "session/session_key.h"

#include "cardbound/crypto/encoding.h"
#include "cardbound/crypto/signature.h"

namespace cardbound::server
{

std::string session_key(std::string_view session_id)
{
    return hex_encode(digest(EVP_sha256(), as_bytes(session_id)));
}

} // namespace cardbound::server
