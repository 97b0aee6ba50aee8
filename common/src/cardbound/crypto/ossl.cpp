#include "cardbound/crypto/ossl.h"

#include <openssl/err.h>

namespace cardbound::ossl
{

std::string last_error()
{
    unsigned long code = ERR_get_error();
    ERR_clear_error();
    if (code == 0)
        return "no OpenSSL error recorded";
    char text[256];
    ERR_error_string_n(code, text, sizeof text);
    return text;
}

} // namespace cardbound::ossl
