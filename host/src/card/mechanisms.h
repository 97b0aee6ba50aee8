// Which signature mechanisms a token offers. libp11 0.4.12 has no call for
// this, so the question goes to the module's own C_GetMechanismList, on the
// module libp11 already loaded and initialised in this process.
#pragma once

#include <string>

namespace cardbound::host
{

// True when the token in `slot_id` of the module at `module_path` can make
// raw RSA signatures (CKM_RSA_X_509), which is how libp11 makes RSA-PSS
// signatures: OpenSSL encodes PSS, the token does the RSA operation.
bool token_signs_raw_rsa(const std::string &module_path, unsigned long slot_id);

} // namespace cardbound::host
