/*
 * The card side of the vsmartcard "vpcd" protocol.
 *
 * pcscd loads Debian's vpcd reader driver, which listens on localhost TCP. The
 * virtual card is the TCP client: the card is "in the reader" while the
 * connection is open. Every message, both ways, is a 2-byte big-endian length
 * followed by that many bytes. A 1-byte message from the reader is a control
 * code (see enum vpcd_control); anything longer is a command APDU that the card
 * answers with a response APDU.
 */
#ifndef CARDBOUND_VPCD_LINK_H
#define CARDBOUND_VPCD_LINK_H

#include <stddef.h>
#include <stdint.h>

enum vpcd_control {
    VPCD_POWER_OFF = 0,
    VPCD_POWER_ON = 1,
    VPCD_RESET = 2,
    VPCD_GET_ATR = 4,
};

/* Largest message either side may send: the length field is 16 bits. */
#define VPCD_MAX_MESSAGE 0xFFFF

/* Connects to host:port, retrying until timeout_ms has passed. Returns the
 * socket or -1 (errno set). */
int vpcd_connect(const char *host, uint16_t port, int timeout_ms);

/* Reads one message into buf (capacity VPCD_MAX_MESSAGE). Returns its length,
 * 0 when the reader closed the connection cleanly between messages, or -1 on
 * error or a connection cut in the middle of a message. */
long vpcd_receive(int fd, uint8_t *buf);

/* Sends one message. Returns 0 or -1. */
int vpcd_send(int fd, const uint8_t *buf, size_t len);

#endif
