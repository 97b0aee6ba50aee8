// The HTTPS front: accepts TLS 1.2+ connections and serves each on its own
// thread with Boost.Beast (bounded: header and body sizes, read and write
// timeouts, a cap on connections). Event streams stay open on their thread
// until their session ends.
#pragma once

#include "http/router.h"

#include <atomic>
#include <memory>
#include <string>

namespace cardbound::server
{

struct ListenerConfig {
    std::string address = "127.0.0.1";
    unsigned short port = 8443;
    std::string certificate_chain; // PEM
    std::string private_key;       // PEM
    int max_connections = 256;
    int io_timeout_seconds = 30;
};

class HttpsListener
{
  public:
    // Loads the TLS certificate and binds; throws on errors.
    explicit HttpsListener(const ListenerConfig &config);
    ~HttpsListener();
    unsigned short port() const;
    // Accepts connections for ever; each is served on its own thread.
    [[noreturn]] void run(Router &router, EventHub &hub);

  private:
    struct State;
    std::unique_ptr<State> state_;
};

} // namespace cardbound::server
