// What libp11 0.4.12 cannot do, asked of the module's own PKCS#11 function
// list: the module libp11 already loaded and initialised in this process.
#pragma once

#include <string>

namespace cardbound::host
{

// True when the token in `slot_id` can make raw RSA signatures
// (CKM_RSA_X_509), which is how libp11 makes RSA-PSS signatures: OpenSSL
// encodes PSS, the token does the RSA operation.
bool token_signs_raw_rsa(const std::string &module_path, unsigned long slot_id);

// Makes sure the application is logged out of the token, whichever libp11
// slot object logged it in: a login must check the PIN, and PKCS#11 accepts
// any PIN while the user is logged in (CKR_USER_ALREADY_LOGGED_IN). Returns
// false when that cannot be established (the caller must not log in then).
bool ensure_logged_out(const std::string &module_path, unsigned long slot_id);

} // namespace cardbound::host
