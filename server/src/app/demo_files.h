// The demo site's files (web/index.html and js/cardbound.js), compiled into
// cardbound-server by CMake from demo_files.cpp.in.
#pragma once

#include "http/router.h"

namespace cardbound::server
{

StaticFiles demo_files();

} // namespace cardbound::server
