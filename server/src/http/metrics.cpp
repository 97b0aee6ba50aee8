#include "http/metrics.h"

#include <cstdio>

namespace cardbound::server
{

void LatencyHistogram::observe(std::chrono::steady_clock::duration d)
{
    double seconds = std::chrono::duration<double>(d).count();
    for (std::size_t i = 0; i < kBounds.size(); i++)
        if (seconds <= kBounds[i])
            buckets_[i]++;
    count_++;
    micros_ += static_cast<unsigned long>(
        std::chrono::duration_cast<std::chrono::microseconds>(d).count());
}

void LatencyHistogram::prometheus(std::string &out, const char *name, const char *help) const
{
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " histogram\n";
    char le[32];
    for (std::size_t i = 0; i < kBounds.size(); i++) {
        std::snprintf(le, sizeof le, "%g", kBounds[i]);
        out +=
            std::string(name) + "_bucket{le=\"" + le + "\"} " + std::to_string(buckets_[i]) + "\n";
    }
    out += std::string(name) + "_bucket{le=\"+Inf\"} " + std::to_string(count_) + "\n";
    std::snprintf(le, sizeof le, "%.6f", static_cast<double>(micros_) / 1e6);
    out += std::string(name) + "_sum " + le + "\n";
    out += std::string(name) + "_count " + std::to_string(count_) + "\n";
}

std::string Metrics::prometheus(std::optional<std::size_t> live_sessions) const
{
    std::string out;
    auto counter = [&](const char *name, const char *help, unsigned long v) {
        out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " counter\n" +
               name + " " + std::to_string(v) + "\n";
    };
    counter("cardbound_http_requests_total", "HTTP requests served.", requests);
    counter("cardbound_logins_total", "Tokens accepted.", logins_ok);
    counter("cardbound_logins_refused_total", "Tokens refused.", logins_refused);
    counter("cardbound_confirms_total", "Sessions confirmed by their first presence proof.",
            confirms);
    counter("cardbound_presence_proofs_total", "Presence proofs accepted.", presence_ok);
    counter("cardbound_presence_refused_total", "Presence proofs refused.", presence_refused);
    counter("cardbound_sessions_late_total", "Sessions ended by a missed presence deadline.",
            sessions_ended_late);
    counter("cardbound_logouts_total", "Sessions ended by logout.", logouts);
    counter("cardbound_rate_limited_total",
            "Requests refused (429) by the per-client limit of challenge and login.", rate_limited);
    counter("cardbound_connections_refused_total",
            "Connections beyond --max-connections: closed at once, or from the reserve answered "
            "/healthz or 503.",
            connections_refused);
    counter("cardbound_store_unavailable_total",
            "Requests answered 503 STORE_UNAVAILABLE (and other store calls that failed): the "
            "shared store did not answer.",
            store_unavailable);
    counter("cardbound_transactions_asked_total", "Transaction challenges issued.",
            transactions_asked);
    counter("cardbound_transactions_confirmed_total",
            "Transaction confirmations accepted: the session's card signed the issued text.",
            transactions_confirmed);
    out += "# HELP cardbound_transactions_refused_total Transaction confirmations refused, by "
           "code.\n# TYPE cardbound_transactions_refused_total counter\n";
    for (std::size_t i = 0; i < transactions_refused.size(); i++)
        if (unsigned long v = transactions_refused[i]; v > 0)
            out += "cardbound_transactions_refused_total{code=\"" +
                   std::string(registry::kValidationCodes[i]) + "\"} " + std::to_string(v) + "\n";
    if (nonces_dropped)
        counter("cardbound_nonces_dropped_total",
                "Unanswered challenges forgotten early because the nonce store was full.",
                nonces_dropped());
    if (redis_round_trips)
        counter("cardbound_redis_round_trips_total",
                "Round trips to Redis (a pipeline or a script run counts one).",
                redis_round_trips());
    auto gauge = [&](const char *name, const char *help, long v) {
        out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " gauge\n" + name +
               " " + std::to_string(v) + "\n";
    };
    gauge("cardbound_open_connections", "Open client connections, event streams included.",
          open_connections);
    gauge("cardbound_open_event_streams", "Open event streams.", open_event_streams);
    if (live_sessions)
        gauge("cardbound_sessions", "Live sessions.", static_cast<long>(*live_sessions));
    validation_seconds.prometheus(out, "cardbound_login_validation_seconds",
                                  "Time to validate a login (nonce, token policy, revocation).");
    presence_seconds.prometheus(out, "cardbound_presence_seconds",
                                "Time to check and record a presence proof.");
    return out;
}

} // namespace cardbound::server
