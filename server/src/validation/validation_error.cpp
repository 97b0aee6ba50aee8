#include "validation/validation_error.h"

namespace cardbound::server
{

std::string_view code_name(ValidationCode code)
{
    return registry::validation_code_name(code);
}

} // namespace cardbound::server
