// A CRL from a file or an http:// URL, read again when it reaches its
// nextUpdate (a file also when it changes), so that a long-running server
// always checks against a current list. OpenSSL checks the CRL's signature
// and dates during certificate verification; a CRL that cannot be read or
// refreshed leaves revocation unknown (hard-fail).
#pragma once

#include <chrono>
#include <ctime>
#include <filesystem>
#include <memory>
#include <mutex>
#include <openssl/x509.h>
#include <string>

namespace cardbound::server
{

class CrlSource
{
  public:
    // Reads it once now; throws std::runtime_error when that fails.
    explicit CrlSource(std::string location,
                       std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));

    static constexpr int kRetrySeconds = 30;
    // The CRL to check with at `now`, refreshed first when due. After a
    // failed refresh the old CRL is kept (OpenSSL then reports it expired)
    // and the next try is kRetrySeconds later.
    std::shared_ptr<X509_CRL> current(std::time_t now);
    std::size_t loads() const { return loads_; }
    std::size_t failed_refreshes() const { return failures_; }

  private:
    std::shared_ptr<X509_CRL> load() const;

    std::string location_;
    std::chrono::milliseconds timeout_;
    std::mutex mutex_;
    std::shared_ptr<X509_CRL> crl_;
    std::time_t next_update_ = 0;
    std::filesystem::file_time_type file_time_{};
    std::size_t loads_ = 0;
    std::size_t failures_ = 0;
};

// Parses a CRL in PEM or DER. Throws std::runtime_error.
std::shared_ptr<X509_CRL> parse_crl(const std::string &bytes, const std::string &what);

} // namespace cardbound::server
