#include "messaging/channel.h"

#include "messaging/frame.h"

#include <cerrno>
#include <unistd.h>

namespace cardbound::host
{

using nlohmann::json;

json Channel::error_message(const std::optional<std::string> &id, const HostError &error)
{
    json err = {{"code", code_name(error.code)}, {"message", error.what()}};
    if (error.details.is_object())
        for (const auto &[k, v] : error.details.items())
            err[k] = v;
    return {{"id", id ? json(*id) : json(nullptr)}, {"error", err}};
}

void Channel::answer(const std::string &id, json result)
{
    write({{"id", id}, {"result", std::move(result)}}, id);
}

void Channel::answer_error(const std::optional<std::string> &id, const HostError &error)
{
    write(error_message(id, error), id);
}

void Channel::event(const std::string &name, json data)
{
    write({{"event", name}, {"data", std::move(data)}}, std::nullopt);
}

void Channel::write(const json &message, const std::optional<std::string> &id)
{
    // Replace invalid UTF-8 (from a card's labels, say) rather than throw.
    std::string text = message.dump(-1, ' ', false, json::error_handler_t::replace);
    std::string frame;
    try {
        frame = encode_frame(text);
    } catch (const std::length_error &) {
        frame = encode_frame(
            error_message(id, HostError(ErrorCode::ResponseTooLarge,
                                        "the answer exceeds the 1 MiB native messaging limit"))
                .dump());
    }
    std::lock_guard lock(mutex_);
    write_all(frame);
}

bool Channel::write_all(const std::string &bytes)
{
    std::size_t done = 0;
    while (done < bytes.size()) {
        ssize_t n = ::write(fd_, bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false; // the browser went away; the read loop ends soon
        done += static_cast<std::size_t>(n);
    }
    return true;
}

} // namespace cardbound::host
