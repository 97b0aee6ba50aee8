// What the listener and the connections it serves share: the application,
// the limits, and the types of the transport.
#pragma once

#include "http/event_hub.h"
#include "http/router.h"
#include "http/tls_stream.h"

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>

namespace cardbound::server
{

// Every wait on a client is bounded, so a client that stops (or never
// starts) sending or reading cannot hold a connection for long.
struct ConnectionTimeouts {
    // From the accept to the end of the first request's headers (the TLS
    // handshake included): slow or silent clients (slowloris) are cut off.
    std::chrono::seconds header{10};
    // For a request's whole body, once its headers are in.
    std::chrono::seconds body{10};
    // A kept-alive connection's wait for its next request's headers.
    std::chrono::seconds idle{30};
    // For writing one response, or one message of an event stream.
    std::chrono::seconds write{30};
    // For the TLS close_notify exchange at the end.
    std::chrono::seconds shutdown{5};
    // Between the comments that keep an event stream open (and find out
    // whether the tab is still there).
    std::chrono::seconds keep_alive{10};
};

// Owned by the listener; outlives every connection.
struct ServerContext {
    Router &router;
    EventHub &hub;
    Metrics &metrics;
    ConnectionTimeouts timeouts;
    // Where requests that may wait on the network run (Router::may_block),
    // so that they never stall the I/O threads.
    boost::asio::thread_pool &blocking;
    // Where calls that may wait on a store across the network run (the
    // Redis client waits up to its timeouts, 1 s a call, when Redis hangs);
    // null when the store is in this process.
    boost::asio::thread_pool *store;
};

// Runs `work` on `pool`, then `then(result)` on `executor` (a connection's
// strand); with no pool, both at once on the calling thread.
template <class Executor, class Work, class Then>
void run_then(boost::asio::thread_pool *pool, const Executor &executor, Work work, Then then)
{
    if (!pool)
        return then(work());
    boost::asio::post(*pool, [executor, work = std::move(work), then = std::move(then)]() mutable {
        boost::asio::post(executor, [then = std::move(then), result = work()]() mutable {
            then(std::move(result));
        });
    });
}

// Counts an open connection in the metrics for as long as it lives; moves
// from the connection to its event stream.
class ConnectionSlot
{
  public:
    explicit ConnectionSlot(Metrics &metrics) : metrics_(&metrics) { metrics_->open_connections++; }
    ConnectionSlot(ConnectionSlot &&other) noexcept
        : metrics_(std::exchange(other.metrics_, nullptr))
    {
    }
    ConnectionSlot(const ConnectionSlot &) = delete;
    ConnectionSlot &operator=(const ConnectionSlot &) = delete;
    ConnectionSlot &operator=(ConnectionSlot &&) = delete;
    ~ConnectionSlot()
    {
        if (metrics_)
            metrics_->open_connections--;
    }

  private:
    Metrics *metrics_;
};

} // namespace cardbound::server
