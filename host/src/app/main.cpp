// cardbound-host: the native messaging host. The browser starts it, writes
// framed JSON requests to its stdin and reads answers and card events from
// its stdout. See docs/protocol.md. With --register or --unregister it writes
// or removes a browser's manifest for it instead (app/register.h).
#include "app/register.h"
#include "card/pcsc_monitor.h"
#include "commands/context.h"
#include "core/log.h"
#include "messaging/channel.h"
#include "messaging/frame.h"

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <openssl/crypto.h>
#include <spdlog/spdlog.h>
#include <string>
#include <unistd.h>
#include <variant>
#include <vector>

using namespace cardbound;
using namespace cardbound::host;

namespace
{

void print_help()
{
    std::cout
        << "Usage: cardbound-host [--help | --version]\n"
           "       cardbound-host --register --browser NAME [--user | --system | --profile DIR]\n"
           "                      [--host-path PATH]\n"
           "       cardbound-host --unregister --browser NAME [--user | --system | --profile DIR]\n"
           "\n"
           "The Cardbound native messaging host (org.cardbound.host). A browser starts it\n"
           "for the Cardbound extension and talks to it over stdin/stdout with 4-byte\n"
           "little-endian length-prefixed JSON messages (docs/protocol.md). It reads smart\n"
           "cards through PKCS#11 and watches readers through PC/SC.\n"
           "\n"
           "Configuration (later files replace the keys they set):\n"
           "  /etc/cardbound/host.json, ~/.config/cardbound/host.json,\n"
           "  then the file named by $CARDBOUND_HOST_CONFIG\n"
           "  keys: pkcs11Modules, useSystemTrust, caFiles, pins, allowHttpLocalhost,\n"
           "        maxClockSkewSeconds, logFile, logLevel\n"
           "Logs go to logFile (or $CARDBOUND_HOST_LOG), else stderr; never stdout.\n"
           "\n"
           "  --help     this text\n"
           "  --version  the version\n"
           "Without --register or --unregister, other arguments (the browser passes the\n"
           "caller's extension origin) are ignored.\n"
           "\n"
        << registration_help();
}

ssize_t read_stdin(char *buf, std::size_t n)
{
    for (;;) {
        ssize_t r = ::read(STDIN_FILENO, buf, n);
        if (r < 0 && errno == EINTR)
            continue;
        return r;
    }
}

void build_context(HostContext &ctx)
{
    try {
        ctx.config = load_config();
    } catch (const std::exception &e) {
        ctx.config_error = e.what();
    }
    try {
        auto trust = std::make_shared<const TrustStore>(ctx.config.use_system_trust,
                                                        ctx.config.ca_files, ctx.config.pins);
        ctx.verifier = std::make_unique<ServerVerifier>(trust, ctx.config.max_clock_skew_seconds);
    } catch (const std::exception &e) {
        if (ctx.config_error.empty())
            ctx.config_error = e.what();
    }
    ctx.cards = std::make_unique<CardService>(ctx.config.pkcs11_modules, *ctx.events);
}

void serve(HostContext &ctx, Channel &out)
{
    FrameReader reader(read_stdin);
    OriginPolicy policy{ctx.config.allow_http_localhost};
    for (;;) {
        Frame frame = reader.next();
        switch (frame.kind) {
        case Frame::Kind::End: spdlog::info("the browser closed the connection"); return;
        case Frame::Kind::Truncated: spdlog::warn("the input ended inside a message"); return;
        case Frame::Kind::TooLarge:
            spdlog::warn("refused a {}-byte message", frame.declared_length);
            out.answer_error(std::nullopt,
                             HostError(ErrorCode::MessageTooLarge,
                                       "messages to the host are limited to " +
                                           std::to_string(kMaxRequestSize) + " bytes"));
            continue;
        case Frame::Kind::Message: break;
        }
        auto parsed = parse_request(frame.body, policy);
        // The message may carry a PIN: wipe the raw bytes now.
        OPENSSL_cleanse(frame.body.data(), frame.body.size());
        if (auto *rejected = std::get_if<RejectedRequest>(&parsed)) {
            out.answer_error(rejected->id, rejected->error);
            continue;
        }
        Request &request = std::get<Request>(parsed);
        spdlog::debug("request {} '{}'", request.id, request.command);
        // Commands that need a card queue it to a card thread, which answers
        // later; the loop goes on reading.
        ctx.answer(request.id, request.command, [&] { return dispatch(request, ctx); });
    }
}

} // namespace

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
            print_help();
            return 0;
        }
        if (std::strcmp(argv[i], "--version") == 0) {
            std::cout << "cardbound-host " << kHostVersion << " (protocol " << kProtocolVersion
                      << ")\n";
            return 0;
        }
    }
    if (std::vector<std::string> args(argv + 1, argv + argc); wants_registration(args))
        return run_registration(args, std::cout, std::cerr);

    // A browser that goes away must not kill us in the middle of a write.
    std::signal(SIGPIPE, SIG_IGN);

    // Nothing may log to stdout (spdlog's default) before the real logger is
    // set up: stdout is the browser's channel.
    setup_logging("", "warn");

    Channel out(STDOUT_FILENO);
    CardEvents events(
        [&out](const std::string &name, nlohmann::json data) { out.event(name, std::move(data)); });
    HostContext ctx;
    ctx.events = &events;
    ctx.channel = &out;
    build_context(ctx);

    const char *log_env = std::getenv("CARDBOUND_HOST_LOG");
    setup_logging(log_env && *log_env ? log_env : ctx.config.log_file, ctx.config.log_level);
    spdlog::info("cardbound-host {} started", kHostVersion);
    if (!ctx.config_error.empty())
        spdlog::error("configuration: {}", ctx.config_error);

    PcscMonitor monitor(events);
    monitor.start();
    serve(ctx, out);
    monitor.stop();
    // The browser is gone. A card thread still inside a PIN-pad login or a
    // hung module would keep the process alive for nothing: give the card
    // threads a moment, then leave without them.
    if (!ctx.cards->stop(std::chrono::seconds(2))) {
        spdlog::warn("a card is still busy; cardbound-host stops without waiting for it");
        spdlog::shutdown();
        std::_Exit(0);
    }
    spdlog::info("cardbound-host stopped");
    return 0;
}
