// Test helper: what a call ended with, as the ValidationError code name, or
// "ok" when it returned.
#pragma once

#include "validation/validation_error.h"

#include <functional>
#include <string>

namespace cardbound::server::testing
{

inline std::string outcome(const std::function<void()> &f, const char *success = "ok")
{
    try {
        f();
    } catch (const ValidationError &e) {
        return std::string(code_name(e.code));
    }
    return success;
}

} // namespace cardbound::server::testing
