#include "core/log.h"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace cardbound::host
{

void setup_logging(const std::string &file, const std::string &level)
{
    std::shared_ptr<spdlog::logger> logger;
    spdlog::drop("cardbound-host");
    spdlog::drop("cardbound-host-stderr");
    try {
        if (!file.empty())
            logger = spdlog::basic_logger_mt("cardbound-host", file);
    } catch (const spdlog::spdlog_ex &) {
        logger = nullptr; // an unwritable log file must not stop the host
    }
    if (!logger)
        logger = spdlog::stderr_logger_mt("cardbound-host-stderr");
    logger->set_level(spdlog::level::from_str(level));
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %l [%t] %v");
    logger->flush_on(spdlog::level::info);
    spdlog::set_default_logger(logger);
}

} // namespace cardbound::host
