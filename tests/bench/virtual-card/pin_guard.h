/*
 * The PIN retry counter of the virtual card.
 *
 * libcacard answers a wrong PIN with "conditions of use not satisfied" and
 * keeps no retry counter, unlike every real card. The guard sits between the
 * reader and libcacard on VERIFY commands and behaves as an ISO 7816 card
 * does: a wrong PIN answers 63Cx (x tries left), the last wrong try blocks the
 * PIN (6983) and a blocked PIN is refused without being checked. The counter
 * lives in a file so that pulling and re-inserting the card keeps it, as it
 * would on a real card.
 */
#ifndef CARDBOUND_PIN_GUARD_H
#define CARDBOUND_PIN_GUARD_H

#include <stddef.h>
#include <stdint.h>

struct pin_guard {
    const char *state_file; /* may be NULL: the counter then lives in memory */
    int max_tries;
    int tries_left;
};

/* Loads the counter from state_file (missing file: max_tries left). */
void pin_guard_init(struct pin_guard *guard, const char *state_file, int max_tries);

/* True when the command APDU is a VERIFY of the card's PIN. */
int pin_guard_is_verify(const uint8_t *apdu, size_t len);

/* Answers a blocked PIN without asking the card. Returns 1 and writes the
 * 2-byte status into response when the command must not reach the card. */
int pin_guard_refuse(const struct pin_guard *guard, uint8_t *response, size_t *response_len);

/* Rewrites the card's answer to a VERIFY and counts the try. */
void pin_guard_account(struct pin_guard *guard, const uint8_t *apdu, size_t len, uint8_t *response,
                       size_t *response_len);

#endif
