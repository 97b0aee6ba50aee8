#include "core/error.h"

namespace cardbound::host
{

std::string_view code_name(ErrorCode code)
{
    return registry::host_error_name(code);
}

} // namespace cardbound::host
