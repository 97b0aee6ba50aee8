#include "vpcd_link.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int connect_once(const char *host, uint16_t port)
{
    char service[8];
    snprintf(service, sizeof service, "%u", (unsigned)port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    struct addrinfo *found = NULL;
    int rc = getaddrinfo(host, service, &hints, &found);
    if (rc != 0) {
        errno = EINVAL;
        return -1;
    }
    int fd = -1;
    for (struct addrinfo *ai = found; ai != NULL; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0)
            continue;
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
            break;
        int saved = errno;
        close(fd);
        errno = saved;
        fd = -1;
    }
    freeaddrinfo(found);
    if (fd >= 0) {
        /* APDUs are small and latency matters more than throughput. */
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    return fd;
}

int vpcd_connect(const char *host, uint16_t port, int timeout_ms)
{
    long long deadline = now_ms() + timeout_ms;
    for (;;) {
        int fd = connect_once(host, port);
        if (fd >= 0 || now_ms() >= deadline)
            return fd;
        /* The reader driver may not be listening yet (pcscd starting). */
        struct timespec pause = {.tv_sec = 0, .tv_nsec = 50 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
}

/* Reads exactly len bytes. Returns len, 0 on EOF before any byte, -1 otherwise. */
/* The driver writes a message's length and its body in two sends, and Nagle
 * holds the body back until the length is acknowledged. Delayed ACKs would
 * then cost 40 ms per APDU, so acknowledge at once: setting TCP_QUICKACK sends
 * any pending ACK now, and Linux clears the flag by itself, hence every time. */
static void ack_now(int fd)
{
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
}

/* Reads exactly len bytes. Returns len, 0 on EOF before any byte, -1 otherwise. */
static long read_exact(int fd, uint8_t *buf, size_t len)
{
    size_t got = 0;
    while (got < len) {
        ack_now(fd);
        ssize_t n = read(fd, buf + got, len - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            return got == 0 ? 0 : -1;
        got += (size_t)n;
    }
    ack_now(fd);
    return (long)got;
}

long vpcd_receive(int fd, uint8_t *buf)
{
    uint8_t header[2];
    long n = read_exact(fd, header, sizeof header);
    if (n <= 0)
        return n;
    size_t len = ((size_t)header[0] << 8) | header[1];
    if (len == 0)
        return -1; /* the protocol has no empty messages */
    n = read_exact(fd, buf, len);
    return n == (long)len ? n : -1;
}

int vpcd_send(int fd, const uint8_t *buf, size_t len)
{
    if (len == 0 || len > VPCD_MAX_MESSAGE) {
        errno = EMSGSIZE;
        return -1;
    }
    uint8_t header[2] = {(uint8_t)(len >> 8), (uint8_t)(len & 0xFF)};
    struct iovec parts[2] = {{header, sizeof header}, {(void *)buf, len}};
    struct msghdr msg = {.msg_iov = parts, .msg_iovlen = 2};
    size_t want = len + sizeof header;
    ssize_t n;
    do {
        n = sendmsg(fd, &msg, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    /* Messages are at most 64 KiB: a blocking stream socket sends them whole. */
    return n == (ssize_t)want ? 0 : -1;
}
