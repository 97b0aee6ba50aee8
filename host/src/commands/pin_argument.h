// The `pin` of a request (parse_request took it out of the arguments), for
// the commands that send one to a card: authenticate, sign,
// confirm-transaction.
#pragma once

#include "core/error.h"
#include "core/secure_pin.h"
#include "messaging/request.h"

#include <memory>

namespace cardbound::host
{

// Takes the PIN out of the request: from here the card job alone holds it,
// and it is wiped when the job is done. Null: no PIN (a PIN-pad reader).
inline std::shared_ptr<const SecurePin> take_pin(Request &request)
{
    std::shared_ptr<const SecurePin> pin;
    if (request.pin) {
        pin = std::make_shared<const SecurePin>(std::move(*request.pin));
        request.pin.reset();
    }
    return pin;
}

// ERR_PIN_INVALID for a typed PIN of another length than 4 to 64 characters.
inline void check_pin_length(const SecurePin *pin)
{
    if (pin && (pin->size() < 4 || pin->size() > 64))
        throw HostError(ErrorCode::PinInvalid, "a PIN has 4 to 64 characters");
}

} // namespace cardbound::host
