#include "http/tls_stream.h"

#include <boost/asio/ssl/error.hpp>
#include <boost/beast/core/error.hpp>
#include <cerrno>
#include <openssl/err.h>
#include <stdexcept>

namespace cardbound::server
{

namespace asio = boost::asio;
namespace beast = boost::beast;
using beast::error_code;

namespace
{

// SSL_shutdown's wait for the peer's close_notify reads (and drops) what
// the peer still sends; about this many reads per step (and whatever
// OpenSSL holds already), then it yields to the other connections: the
// socket is still readable, so the wait is short.
constexpr int kDrainReadsPerStep = 16;

} // namespace

TlsStream::TlsStream(asio::ip::tcp::socket socket, asio::ssl::context &tls)
    : core_(std::make_shared<Core>(std::move(socket), tls))
{
}

TlsStream::Core::Core(asio::ip::tcp::socket s, asio::ssl::context &tls)
    : socket(std::move(s)), ssl(SSL_new(tls.native_handle())), reading(socket.get_executor()),
      writing(socket.get_executor())
{
    if (!ssl)
        throw std::runtime_error("SSL_new failed");
    // OpenSSL calls read() and write() on the descriptor itself: they must
    // not block the I/O thread. (Asio's own operations work the same on a
    // non-blocking socket.)
    socket.non_blocking(true);
    if (SSL_set_fd(ssl.get(), static_cast<int>(socket.native_handle())) != 1)
        throw std::runtime_error("SSL_set_fd failed");
    SSL_set_accept_state(ssl.get());
    // RELEASE_BUFFERS: the record buffers are freed whenever they are empty,
    // i.e. while the connection waits; that is what makes an idle
    // connection cheap. ACCEPT_MOVING_WRITE_BUFFER: a retried SSL_write may
    // pass the same bytes at another address (a write operation's gathered
    // copy moves with the operation). ENABLE_PARTIAL_WRITE: a large write
    // completes record by record, as async_write_some may, instead of
    // holding all of its records' state until the last one is out.
    SSL_set_mode(ssl.get(), SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                                SSL_MODE_ENABLE_PARTIAL_WRITE);
    // One read() for whatever the socket has (a record's header and body,
    // or several records) instead of two per record; what is left over
    // stays in the record buffer, which every read tries before it waits.
    SSL_set_read_ahead(ssl.get(), 1);
}

void TlsStream::expires_after(std::chrono::steady_clock::duration after)
{
    auto at = std::chrono::steady_clock::now() + after;
    for (auto *d : {&core_->reading, &core_->writing})
        if (!d->pending)
            d->expiry = at;
}

void TlsStream::expires_never()
{
    for (auto *d : {&core_->reading, &core_->writing})
        if (!d->pending)
            d->expiry = std::chrono::steady_clock::time_point::max();
}

void TlsStream::cancel()
{
    error_code ignored;
    core_->socket.cancel(ignored);
}

void TlsStream::close()
{
    error_code ignored;
    core_->socket.close(ignored);
    core_->reading.timer.cancel();
    core_->writing.timer.cancel();
}

error_code TlsStream::Core::begin(Side side)
{
    Deadline &d = deadline(side);
    d.pending = true;
    if (!socket.is_open())
        return timed_out ? error_code(beast::error::timeout)
                         : error_code(asio::error::bad_descriptor);
    if (d.expiry == std::chrono::steady_clock::time_point::max())
        return {};
    if (d.expiry <= std::chrono::steady_clock::now()) {
        // As beast::tcp_stream: a timed-out connection is closed.
        timed_out = true;
        error_code ignored;
        socket.close(ignored);
        return beast::error::timeout;
    }
    d.timer.expires_at(d.expiry);
    // Weak: a timer that fires after the stream is gone has nothing to do.
    d.timer.async_wait([weak = weak_from_this(), side, generation = d.generation](error_code ec) {
        auto core = weak.lock();
        if (ec || !core)
            return;
        Deadline &d = core->deadline(side);
        if (!d.pending || d.generation != generation)
            return; // that operation completed meanwhile
        // Closing ends every wait on the socket; the operations report the
        // timeout (wait_failed).
        core->timed_out = true;
        error_code ignored;
        core->socket.close(ignored);
    });
    return {};
}

void TlsStream::Core::end(Side side)
{
    Deadline &d = deadline(side);
    d.pending = false;
    d.generation++;
    if (d.expiry != std::chrono::steady_clock::time_point::max())
        d.timer.cancel();
}

error_code TlsStream::Core::wait_failed(error_code ec) const
{
    if (timed_out)
        return beast::error::timeout;
    return ec;
}

TlsStream::Step TlsStream::Core::classify(int ret, int saved_errno)
{
    int code = SSL_get_error(ssl.get(), ret);
    Step step;
    switch (code) {
    case SSL_ERROR_WANT_READ: step.want = Want::Read; break;
    case SSL_ERROR_WANT_WRITE: step.want = Want::Write; break;
    case SSL_ERROR_ZERO_RETURN:
        // The peer's close_notify: the end of its data, as on a plain
        // socket (Beast turns it into http::error::end_of_stream).
        step.ec = asio::error::eof;
        break;
    case SSL_ERROR_SYSCALL:
        failed = true;
        if (unsigned long e = ERR_peek_error())
            step.ec = error_code(static_cast<int>(e), asio::error::get_ssl_category());
        else if (saved_errno != 0)
            step.ec = error_code(saved_errno, asio::error::get_system_category());
        else // an EOF with no close_notify (OpenSSL before 3.0 says it so)
            step.ec = asio::ssl::error::stream_truncated;
        break;
    case SSL_ERROR_SSL: {
        failed = true;
        unsigned long e = ERR_peek_error();
        // OpenSSL 3 reports a peer that left without close_notify as this
        // protocol error: to the connection code it is the usual quiet end.
#ifdef SSL_R_UNEXPECTED_EOF_WHILE_READING
        if (ERR_GET_LIB(e) == ERR_LIB_SSL &&
            ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
            step.ec = asio::ssl::error::stream_truncated;
            break;
        }
#endif
        step.ec = error_code(static_cast<int>(e), asio::error::get_ssl_category());
        break;
    }
    default: // the callbacks that suspend a handshake: none is installed
        failed = true;
        step.ec = error_code(code, asio::error::get_ssl_category());
        break;
    }
    // The queue is per thread and the thread serves every connection:
    // nothing may be left for the next one's SSL_get_error to find.
    ERR_clear_error();
    return step;
}

// Every OpenSSL call below starts with an empty error queue and errno 0,
// because SSL_get_error and the SYSCALL case read both.

TlsStream::Step TlsStream::Core::read(asio::mutable_buffer buffer)
{
    ERR_clear_error();
    errno = 0;
    std::size_t n = 0;
    int ret = SSL_read_ex(ssl.get(), buffer.data(), buffer.size(), &n);
    if (ret == 1)
        return {Want::Nothing, {}, n};
    return classify(ret, errno);
}

TlsStream::Step TlsStream::Core::write(asio::const_buffer buffer)
{
    ERR_clear_error();
    errno = 0;
    std::size_t n = 0;
    int ret = SSL_write_ex(ssl.get(), buffer.data(), buffer.size(), &n);
    if (ret == 1)
        return {Want::Nothing, {}, n};
    return classify(ret, errno);
}

TlsStream::Step TlsStream::Core::handshake()
{
    ERR_clear_error();
    errno = 0;
    int ret = SSL_do_handshake(ssl.get());
    if (ret == 1)
        return {};
    return classify(ret, errno);
}

TlsStream::Step TlsStream::Core::shutdown()
{
    if (failed) // OpenSSL forbids SSL_shutdown after a fatal error
        return {Want::Nothing, asio::error::not_connected, 0};
    if (!close_notify_sent) {
        ERR_clear_error();
        errno = 0;
        int ret = SSL_shutdown(ssl.get());
        if (ret == 1) // the peer's close_notify had come already
            return {};
        if (ret < 0) // WANT_WRITE: the alert is not out yet, call again
            return classify(ret, errno);
        close_notify_sent = true;
    }
    // Ours is out. The peer's comes after whatever it still sends: read and
    // drop that, as OpenSSL advises, instead of calling SSL_shutdown again
    // (which would fail on application data).
    char scratch[512];
    for (int i = 0; i < kDrainReadsPerStep || SSL_has_pending(ssl.get()); i++) {
        ERR_clear_error();
        errno = 0;
        std::size_t n = 0;
        int ret = SSL_read_ex(ssl.get(), scratch, sizeof scratch, &n);
        if (ret == 1)
            continue;
        Step step = classify(ret, errno);
        if (step.ec == asio::error::eof)
            return {}; // the peer's close_notify: a clean end
        return step;
    }
    return {Want::Read, {}, 0};
}

} // namespace cardbound::server
