// The host's only output: framed JSON messages on stdout. Answers come from
// the request loop and events from the reader monitor thread, so writes are
// serialised here. Logs never go to stdout.
#pragma once

#include "core/error.h"

#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace cardbound::host
{

class Channel
{
  public:
    explicit Channel(int fd) : fd_(fd) {}

    void answer(const std::string &id, nlohmann::json result);
    void answer_error(const std::optional<std::string> &id, const HostError &error);
    void event(const std::string &name, nlohmann::json data);

    // Builders, public for tests.
    static nlohmann::json error_message(const std::optional<std::string> &id,
                                        const HostError &error);

  private:
    void write(const nlohmann::json &message, const std::optional<std::string> &id);
    bool write_all(const std::string &bytes);

    int fd_;
    std::mutex mutex_;
};

} // namespace cardbound::host
