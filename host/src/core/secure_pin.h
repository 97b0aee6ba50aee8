// A PIN in memory: in one heap buffer of its own, moved but never copied,
// wiped when it goes away. parse_request takes the PIN out of a request as
// soon as the JSON is parsed (wiping the parser's string), so the rest of the
// host only ever holds it here. What else held it — the raw frame, the
// parser's buffers — is wiped by the request loop and, for every heap block
// the host frees, by app/wiping_allocator.cpp.
#pragma once

#include <cstddef>
#include <memory>
#include <openssl/crypto.h>
#include <string>

namespace cardbound::host
{

class SecurePin
{
  public:
    // Copies the PIN out of `source` and wipes `source`.
    explicit SecurePin(std::string &source)
        : size_(source.size()), pin_(std::make_unique<char[]>(source.size() + 1))
    {
        source.copy(pin_.get(), size_);
        pin_[size_] = '\0';
        OPENSSL_cleanse(source.data(), source.size());
    }
    // A move hands over the buffer itself: no byte of the PIN is copied.
    SecurePin(SecurePin &&other) noexcept : size_(other.size_), pin_(std::move(other.pin_))
    {
        other.size_ = 0;
    }
    SecurePin &operator=(SecurePin &&other) noexcept
    {
        if (this != &other) {
            wipe();
            size_ = other.size_;
            pin_ = std::move(other.pin_);
            other.size_ = 0;
        }
        return *this;
    }
    SecurePin(const SecurePin &) = delete;
    SecurePin &operator=(const SecurePin &) = delete;
    ~SecurePin() { wipe(); }

    const char *c_str() const { return pin_ ? pin_.get() : ""; }
    std::size_t size() const { return size_; }

  private:
    void wipe()
    {
        if (pin_)
            OPENSSL_cleanse(pin_.get(), size_);
    }
    std::size_t size_ = 0;
    std::unique_ptr<char[]> pin_;
};

} // namespace cardbound::host
