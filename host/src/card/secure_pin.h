// A PIN in memory: moved, never copied, wiped when it goes away. The PIN
// reaches the host inside a JSON request; the request loop wipes the raw
// message and the JSON string as soon as the PIN is taken out of them.
#pragma once

#include <openssl/crypto.h>
#include <string>

namespace cardbound::host
{

class SecurePin
{
  public:
    explicit SecurePin(std::string &source) : pin_(source.size(), '\0')
    {
        pin_.assign(source);
        OPENSSL_cleanse(source.data(), source.size());
    }
    SecurePin(const SecurePin &) = delete;
    SecurePin &operator=(const SecurePin &) = delete;
    ~SecurePin() { OPENSSL_cleanse(pin_.data(), pin_.size()); }

    const char *c_str() const { return pin_.c_str(); }
    std::size_t size() const { return pin_.size(); }

  private:
    std::string pin_;
};

} // namespace cardbound::host
