// Logging through spdlog to a file, or to stderr when no file is configured:
// never to stdout, which is the browser's channel. PINs are never logged.
#pragma once

#include <string>

namespace cardbound::host
{

void setup_logging(const std::string &file, const std::string &level);

} // namespace cardbound::host
