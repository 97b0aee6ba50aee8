// The HTTPS front: accepts TLS 1.2+ connections and serves them
// asynchronously with Boost.Beast on a fixed pool of threads that run one
// io_context — no thread per connection or per event stream. Bounded:
// header and body sizes, a deadline for every wait on a client
// (ConnectionTimeouts), a cap on open connections beyond which a small
// reserve answers /healthz (and 503 to the rest), and beyond that new
// connections are closed at once.
#pragma once

#include "http/server_context.h"

#include <memory>
#include <string>

namespace cardbound::server
{

struct ListenerConfig {
    std::string address = "127.0.0.1";
    unsigned short port = 8443;
    std::string certificate_chain; // PEM
    std::string private_key;       // PEM
    int threads = 0;               // I/O threads; 0: one per core
    int max_connections = 10000;   // event streams included
    // Connections taken beyond max_connections, each for one request with a
    // short deadline: /healthz answered, anything else 503 SERVER_BUSY.
    int health_reserve = 32;
    // Threads for requests that may wait on a store across the network
    // (Redis): everything but the built-in files, and the event streams'
    // session checks. 0 when the store is in this process: its calls never
    // wait, and run on the I/O threads.
    int store_threads = 0;
    ConnectionTimeouts timeouts;
};

class HttpsListener
{
  public:
    // Threads for requests that may wait on the network (Router::may_block):
    // enough that slow OCSP responders do not queue every login behind them.
    static constexpr int kBlockingThreads = 8;

    // Loads the TLS certificate and binds; throws on errors.
    explicit HttpsListener(const ListenerConfig &config);
    ~HttpsListener();
    unsigned short port() const;
    // Serves connections on the thread pool (the calling thread is one of
    // them). Returns only if the io_context runs out of work, which the
    // ever-pending accept prevents.
    void run(Router &router, EventHub &hub, Metrics &metrics);

  private:
    struct State;
    std::unique_ptr<State> state_;
};

} // namespace cardbound::server
