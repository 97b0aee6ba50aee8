// A lean TLS server stream: OpenSSL reads and writes the TCP socket itself
// (SSL_set_fd on a non-blocking socket) and Asio only says when the socket
// is ready again (socket::async_wait). Why not boost::beast::ssl_stream:
// asio::ssl::stream stages every connection's records in two 17 KiB
// vectors plus an OpenSSL BIO pair of 2 x 17 KiB, allocated for the
// connection's whole life, so an idle event stream cost ~69 KiB. Here an
// idle connection holds the SSL object and no record buffer at all
// (SSL_MODE_RELEASE_BUFFERS gives OpenSSL's buffers back whenever they are
// empty, which with no staging layer in between is every time the
// connection waits).
//
// It models Asio's AsyncReadStream and AsyncWriteStream (for
// beast::http::async_read/async_write and asio::async_write), and carries
// the part of beast::tcp_stream's interface the connection code uses, with
// the same meaning: a deadline per direction set by expires_after() for
// whichever direction has no operation pending, a timeout that closes the
// socket and completes the operation with beast::error::timeout, cancel()
// and close(). beast::get_lowest_layer(stream) is the stream itself.
//
// Threading: the SSL object is not thread-safe, so every operation of one
// stream, and its handlers, must run on one strand (the socket's executor,
// which the listener makes a strand per connection). One read and one write
// may be pending at once (an event stream waits for its tab to close while
// it writes): they never touch the SSL object at the same instant because
// each step runs on the strand, and OpenSSL allows SSL_read and SSL_write
// to interleave on a non-blocking socket as long as each call that asked to
// be retried is retried with the same arguments, which each operation does.
// Either call may need the other direction (SSL_read may have to send, e.g.
// a reply to a TLS 1.3 KeyUpdate; SSL_write would have to receive in a
// renegotiation, which the listener disables): an operation waits for
// whatever OpenSSL asked for (SSL_ERROR_WANT_READ or WANT_WRITE), whatever
// its own direction. The one case this does not cover: a KeyUpdate that
// asks for a reply while a write is stuck half-sent on a full socket (the
// reply has to wait behind that record; OpenSSL may fail the connection
// instead, "bad write retry"). It takes a client that stops reading and
// sends a KeyUpdate, and ends only its own connection, which the write
// timeout would end anyway.
// A write that is cancelled while OpenSSL waits to retry it leaves a record
// half-sent: the stream is then only good for close() (a timeout closes it
// anyway). A cancelled read is harmless: what OpenSSL has of a record stays
// there for the next read, or the shutdown's (EventStream relies on that).
//
// Writes on a socket whose peer is gone raise SIGPIPE (OpenSSL's socket BIO
// uses write(), not send(MSG_NOSIGNAL)): the process must ignore SIGPIPE,
// which cardbound-server does at start.
#pragma once

#include <algorithm>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/compose.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/error.hpp>
#include <chrono>
#include <cstddef>
#include <memory>
#include <openssl/ssl.h>
#include <string>
#include <type_traits>

namespace cardbound::server
{

class TlsStream
{
  public:
    using executor_type = boost::asio::ip::tcp::socket::executor_type;

    // Server side: the first operation must be async_handshake. `socket`'s
    // executor should be a strand (see above).
    TlsStream(boost::asio::ip::tcp::socket socket, boost::asio::ssl::context &tls);
    // Moves keep pending operations valid (they hold the shared state).
    TlsStream(TlsStream &&) noexcept = default;
    TlsStream &operator=(TlsStream &&) noexcept = default;
    TlsStream(const TlsStream &) = delete;
    TlsStream &operator=(const TlsStream &) = delete;
    ~TlsStream() = default;

    executor_type get_executor() noexcept { return core_->socket.get_executor(); }
    boost::asio::ip::tcp::socket &socket() noexcept { return core_->socket; }

    // As beast::tcp_stream: the deadline of the next read and of the next
    // write, each set only if no operation of its direction is pending. A
    // handshake or shutdown counts as a read.
    void expires_after(std::chrono::steady_clock::duration after);
    void expires_never();
    // Pending operations complete with operation_aborted.
    void cancel();
    // Closes the socket (pending operations complete with
    // operation_aborted). No close_notify: that is async_shutdown.
    void close();

    // handler: void(error_code)
    template <typename Handler> auto async_handshake(Handler &&handler)
    {
        return start<Handshake>(Side::Read, Handshake{}, std::forward<Handler>(handler));
    }

    // Sends close_notify and waits for the peer's (or its leaving), as a
    // clean end of a connection should: bound it with expires_after.
    // handler: void(error_code)
    template <typename Handler> auto async_shutdown(Handler &&handler)
    {
        return start<Shutdown>(Side::Read, Shutdown{}, std::forward<Handler>(handler));
    }

    // handler: void(error_code, std::size_t). A peer's close_notify reads as
    // asio::error::eof; a peer that leaves without one as
    // asio::ssl::error::stream_truncated.
    template <typename MutableBuffers, typename Handler>
    auto async_read_some(const MutableBuffers &buffers, Handler &&handler)
    {
        // OpenSSL reads into one buffer; the first non-empty one is enough
        // for a read_some.
        boost::asio::mutable_buffer first;
        for (auto it = boost::asio::buffer_sequence_begin(buffers);
             it != boost::asio::buffer_sequence_end(buffers); ++it) {
            if (boost::asio::mutable_buffer b(*it); b.size() > 0) {
                first = b;
                break;
            }
        }
        return start<Read>(Side::Read, Read{first}, std::forward<Handler>(handler));
    }

    // handler: void(error_code, std::size_t)
    template <typename ConstBuffers, typename Handler>
    auto async_write_some(const ConstBuffers &buffers, Handler &&handler)
    {
        return start<Write>(Side::Write, Write::of(buffers), std::forward<Handler>(handler));
    }

  private:
    enum class Side { Read, Write };
    // What one attempt of an operation came to: done (ec, bytes), or wait
    // for the socket to become readable or writable and try again.
    enum class Want { Nothing, Read, Write };
    struct Step {
        Want want = Want::Nothing;
        boost::beast::error_code ec;
        std::size_t bytes = 0;
    };

    struct SslFree {
        void operator()(SSL *ssl) const { SSL_free(ssl); }
    };

    // Shared by the stream and its pending operations, so that a move of
    // the stream (a connection handing itself to an EventStream) or a
    // timer firing late never leaves an operation with a dangling pointer.
    struct Core : std::enable_shared_from_this<Core> {
        Core(boost::asio::ip::tcp::socket s, boost::asio::ssl::context &tls);

        struct Deadline {
            explicit Deadline(const executor_type &ex) : timer(ex) {}
            boost::asio::steady_timer timer;
            std::chrono::steady_clock::time_point expiry =
                std::chrono::steady_clock::time_point::max();
            bool pending = false;
            unsigned generation = 0; // a timer that fires for an earlier operation is ignored
        };
        Deadline &deadline(Side side) { return side == Side::Read ? reading : writing; }
        // At the start and the end of an operation: arms and disarms its
        // deadline. A non-zero error means the operation fails at once.
        boost::beast::error_code begin(Side side);
        void end(Side side);
        // The error an operation reports when its wait on the socket failed.
        boost::beast::error_code wait_failed(boost::beast::error_code ec) const;
        // Turns SSL_get_error's answer into a Step, and leaves OpenSSL's
        // (per-thread) error queue empty for the next connection.
        Step classify(int ret, int saved_errno);

        Step read(boost::asio::mutable_buffer buffer);
        Step write(boost::asio::const_buffer buffer);
        Step handshake();
        Step shutdown();

        boost::asio::ip::tcp::socket socket;
        std::unique_ptr<SSL, SslFree> ssl; // after socket: freed first, never closes the fd
        Deadline reading, writing;
        bool timed_out = false;
        // After SSL_ERROR_SSL or SSL_ERROR_SYSCALL OpenSSL forbids
        // SSL_shutdown: the connection can only be closed.
        bool failed = false;
        bool close_notify_sent = false;
    };

    struct Read {
        boost::asio::mutable_buffer buffer;
        static constexpr bool counts_bytes = true;
        bool empty() const { return buffer.size() == 0; }
        Step operator()(Core &core) const { return core.read(buffer); }
    };

    // One SSL_write per async_write_some: a buffer sequence (Beast's
    // serializer gives several small pieces) is gathered into one record's
    // worth, so a response goes out as one record and one send() instead of
    // one per piece. The copy lives in the operation, so a write OpenSSL
    // asks to retry is retried with the same bytes.
    struct Write {
        static constexpr std::size_t kRecord = 16 * 1024; // TLS's largest plaintext record
        static constexpr bool counts_bytes = true;
        boost::asio::const_buffer buffer;
        std::string gathered;

        template <typename ConstBuffers> static Write of(const ConstBuffers &buffers)
        {
            Write w;
            auto it = boost::asio::buffer_sequence_begin(buffers);
            auto end = boost::asio::buffer_sequence_end(buffers);
            while (it != end && boost::asio::const_buffer(*it).size() == 0)
                ++it;
            if (it == end)
                return w;
            boost::asio::const_buffer first(*it);
            auto next = it;
            ++next;
            while (next != end && boost::asio::const_buffer(*next).size() == 0)
                ++next;
            if (next == end || first.size() >= kRecord) {
                w.buffer = first; // nothing to gather
                return w;
            }
            for (; it != end && w.gathered.size() < kRecord; ++it) {
                boost::asio::const_buffer b(*it);
                std::size_t n = std::min(b.size(), kRecord - w.gathered.size());
                w.gathered.append(static_cast<const char *>(b.data()), n);
            }
            return w;
        }
        bool empty() const { return buffer.size() == 0 && gathered.empty(); }
        Step operator()(Core &core) const
        {
            return core.write(
                gathered.empty() ? buffer : boost::asio::buffer(gathered.data(), gathered.size()));
        }
    };

    struct Handshake {
        static constexpr bool counts_bytes = false;
        bool empty() const { return false; }
        Step operator()(Core &core) const { return core.handshake(); }
    };

    struct Shutdown {
        static constexpr bool counts_bytes = false;
        bool empty() const { return false; }
        Step operator()(Core &core) const { return core.shutdown(); }
    };

    // One asynchronous operation: try the OpenSSL call; if it wants the
    // socket, wait for that and try again; complete with the result. A
    // result found on the first try is posted, never handed to the handler
    // from inside the initiating function (Asio's rule).
    template <typename Action> struct Op {
        Op(std::shared_ptr<Core> c, Side s, Action a)
            : core(std::move(c)), side(s), action(std::move(a))
        {
        }

        std::shared_ptr<Core> core;
        Side side;
        Action action;
        enum class Stage { Start, Waiting, Posted } stage = Stage::Start;
        Step result;
        bool began = false; // the deadline is armed until Core::end

        template <typename Self> void operator()(Self &self, boost::beast::error_code ec = {})
        {
            switch (stage) {
            case Stage::Start:
                if (action.empty()) // a zero-byte read or write: done, with nothing
                    return post(self, {});
                began = true;
                if (auto failed = core->begin(side))
                    return post(self, {Want::Nothing, failed, 0});
                break;
            case Stage::Waiting:
                if (ec)
                    return finish(self, {Want::Nothing, core->wait_failed(ec), 0});
                break;
            case Stage::Posted: return complete(self, result);
            }
            Step step = action(*core);
            if (step.want == Want::Nothing) {
                if (stage == Stage::Start)
                    return post(self, step);
                return finish(self, step);
            }
            stage = Stage::Waiting;
            core->socket.async_wait(step.want == Want::Read
                                        ? boost::asio::ip::tcp::socket::wait_read
                                        : boost::asio::ip::tcp::socket::wait_write,
                                    std::move(self));
        }

        void settle()
        {
            if (began)
                core->end(side);
            began = false;
        }
        template <typename Self> void post(Self &self, Step step)
        {
            settle();
            result = step;
            stage = Stage::Posted;
            boost::asio::post(std::move(self));
        }
        template <typename Self> void finish(Self &self, Step step)
        {
            settle();
            complete(self, step);
        }
        template <typename Self> void complete(Self &self, Step step)
        {
            if constexpr (Action::counts_bytes)
                self.complete(step.ec, step.bytes);
            else
                self.complete(step.ec);
        }
    };

    template <typename Action, typename Handler>
    auto start(Side side, Action action, Handler &&handler)
    {
        using Signature =
            std::conditional_t<Action::counts_bytes, void(boost::beast::error_code, std::size_t),
                               void(boost::beast::error_code)>;
        return boost::asio::async_compose<Handler, Signature>(
            Op<Action>{core_, side, std::move(action)}, handler, core_->socket);
    }

    std::shared_ptr<Core> core_;
};

} // namespace cardbound::server
