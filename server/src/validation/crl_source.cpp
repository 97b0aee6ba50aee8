#include "validation/crl_source.h"

#include "cardbound/crypto/certificate.h"
#include "cardbound/crypto/ossl.h"
#include "validation/http_post.h"

#include <fstream>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <spdlog/spdlog.h>
#include <sstream>

namespace cardbound::server
{

std::shared_ptr<X509_CRL> parse_crl(const std::string &bytes, const std::string &what)
{
    ossl::Bio bio(BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())));
    X509_CRL *crl = PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr);
    if (!crl) {
        ERR_clear_error();
        const unsigned char *p = reinterpret_cast<const unsigned char *>(bytes.data());
        crl = d2i_X509_CRL(nullptr, &p, static_cast<long>(bytes.size()));
    }
    if (!crl) {
        ERR_clear_error();
        throw std::runtime_error("no CRL in " + what);
    }
    return std::shared_ptr<X509_CRL>(crl, X509_CRL_free);
}

CrlSource::CrlSource(std::string location, std::chrono::milliseconds timeout)
    : location_(std::move(location)), timeout_(timeout)
{
    current(std::time(nullptr));
    if (!crl_)
        throw std::runtime_error("cannot read the CRL " + location_);
}

std::shared_ptr<X509_CRL> CrlSource::load() const
{
    if (location_.starts_with("http://")) {
        HttpResult r = http_get(location_, timeout_);
        if (r.status != 200)
            throw std::runtime_error(location_ + " answered HTTP " + std::to_string(r.status));
        return parse_crl(r.body, location_);
    }
    std::ifstream in(location_, std::ios::binary);
    if (!in)
        throw std::runtime_error("cannot read " + location_);
    std::ostringstream s;
    s << in.rdbuf();
    return parse_crl(s.str(), location_);
}

std::shared_ptr<X509_CRL> CrlSource::current(std::time_t now)
{
    std::lock_guard lock(mutex_);
    bool is_file = !location_.starts_with("http://");
    std::error_code ec;
    auto mtime = is_file ? std::filesystem::last_write_time(location_, ec) : file_time_;
    bool due = !crl_ || now >= next_update_ || (is_file && !ec && mtime != file_time_);
    if (due) {
        try {
            auto fresh = load();
            crl_ = fresh;
            loads_++;
            file_time_ = mtime;
            const ASN1_TIME *next = X509_CRL_get0_nextUpdate(fresh.get());
            auto t = next ? asn1_time_to_time_t(next) : std::nullopt;
            // No nextUpdate: look again in an hour.
            next_update_ = t ? *t : now + 3600;
        } catch (const std::exception &e) {
            // Tried again in a while, not by every login meanwhile (each of
            // which would wait for the fetch's timeout, one after another).
            spdlog::warn("CRL refresh failed: {}; next try in {} s", e.what(), kRetrySeconds);
            failures_++;
            if (crl_)
                next_update_ = now + kRetrySeconds;
        }
    }
    return crl_;
}

} // namespace cardbound::server
