// The host's C++ heap blocks are wiped when they are freed.
//
// A PIN arrives inside a JSON message, and before parse_request can take it
// out (core/secure_pin.h) it has passed through buffers the host does not
// own: nlohmann::json's lexer keeps the characters of the token it reads in
// a std::string and a std::vector, and frees them without wiping when the
// parse ends. Freed, they would keep the PIN until the allocator reuses the
// memory. Replacing the global allocation functions (C++ [new.delete]) wipes
// every such block on its way back to malloc, whichever library's container
// held it; the cost is one memset a free, small beside anything the host
// does with a card. Only the executable links this file.
#include <cstdlib>
#include <malloc.h>
#include <new>
#include <openssl/crypto.h>

namespace
{

void *allocate(std::size_t n)
{
    // malloc(0) may return nullptr; operator new must not.
    if (void *p = std::malloc(n ? n : 1))
        return p;
    throw std::bad_alloc();
}

void release(void *p) noexcept
{
    if (!p)
        return;
    OPENSSL_cleanse(p, malloc_usable_size(p));
    std::free(p);
}

} // namespace

void *operator new(std::size_t n)
{
    return allocate(n);
}
void *operator new[](std::size_t n)
{
    return allocate(n);
}
void *operator new(std::size_t n, const std::nothrow_t &) noexcept
{
    return std::malloc(n ? n : 1);
}
void *operator new[](std::size_t n, const std::nothrow_t &) noexcept
{
    return std::malloc(n ? n : 1);
}
void operator delete(void *p) noexcept
{
    release(p);
}
void operator delete[](void *p) noexcept
{
    release(p);
}
void operator delete(void *p, std::size_t) noexcept
{
    release(p);
}
void operator delete[](void *p, std::size_t) noexcept
{
    release(p);
}
void operator delete(void *p, const std::nothrow_t &) noexcept
{
    release(p);
}
void operator delete[](void *p, const std::nothrow_t &) noexcept
{
    release(p);
}
