#include "validation/checks/token_form.h"

#include "validation/validation_error.h"

namespace cardbound::server
{

AuthToken parse_token(const nlohmann::json &token)
{
    try {
        return AuthToken::from_json(token);
    } catch (const UnsupportedAlgorithm &e) {
        throw ValidationError(ValidationCode::AlgorithmUnsupported, e.what());
    } catch (const ProtocolError &e) {
        throw ValidationError(ValidationCode::TokenMalformed, e.what());
    }
}

} // namespace cardbound::server
