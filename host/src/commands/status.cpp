// status: the host's version, configuration, modules and readers. Works even
// when the configuration is broken, so that the extension can say why.
#include "commands/context.h"

namespace cardbound::host
{

Reply handle_status(Request &request, HostContext &context)
{
    allow_only_arguments(request, {});
    nlohmann::json modules = nlohmann::json::array();
    if (context.cards)
        for (const auto &m : context.cards->modules())
            modules.push_back({{"path", m.path}, {"loaded", m.loaded}, {"error", m.error}});
    nlohmann::json readers = nlohmann::json::array();
    for (const auto &r : context.events->readers())
        readers.push_back({{"name", r.name}, {"cardPresent", r.card_present}});
    return nlohmann::json{{"version", kHostVersion},
                          {"protocol", kProtocolVersion},
                          {"configFiles", context.config.loaded_from},
                          {"configError", context.config_error.empty()
                                              ? nlohmann::json(nullptr)
                                              : nlohmann::json(context.config_error)},
                          {"modules", modules},
                          {"readerMonitor", context.events->monitoring()},
                          {"readers", readers}};
}

} // namespace cardbound::host
