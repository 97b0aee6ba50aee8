#include "pin_guard.h"

#include <stdio.h>

enum {
    INS_VERIFY = 0x20,
    SW1_OK = 0x90,
    SW1_TRIES_LEFT = 0x63, /* 63Cx: wrong PIN, x tries left */
    SW_BLOCKED_1 = 0x69,   /* 6983: authentication method blocked */
    SW_BLOCKED_2 = 0x83,
};

static void save(const struct pin_guard *guard)
{
    if (guard->state_file == NULL)
        return;
    FILE *f = fopen(guard->state_file, "w");
    if (f == NULL) {
        perror(guard->state_file);
        return;
    }
    fprintf(f, "%d\n", guard->tries_left);
    fclose(f);
}

void pin_guard_init(struct pin_guard *guard, const char *state_file, int max_tries)
{
    guard->state_file = state_file;
    guard->max_tries = max_tries;
    guard->tries_left = max_tries;
    if (state_file == NULL)
        return;
    FILE *f = fopen(state_file, "r");
    if (f == NULL)
        return;
    int stored;
    if (fscanf(f, "%d", &stored) == 1 && stored >= 0 && stored <= max_tries)
        guard->tries_left = stored;
    fclose(f);
}

int pin_guard_is_verify(const uint8_t *apdu, size_t len)
{
    /* CLA INS P1 P2 ...: VERIFY with P1 = 00 and P2 naming a PIN reference. */
    return len >= 4 && apdu[1] == INS_VERIFY && apdu[2] == 0x00;
}

/* A VERIFY with no data only asks for the PIN state; one with data is a try. */
static int carries_pin(const uint8_t *apdu, size_t len)
{
    /* Short APDU: CLA INS P1 P2 Lc data...; extended: CLA INS P1 P2 00 Lc1 Lc2 data... */
    if (len <= 5)
        return 0;
    if (apdu[4] != 0)
        return 1;
    return len > 7 && (apdu[5] | apdu[6]) != 0;
}

/* libcacard's answers to a PIN it refused: 6985 or 6982 (or 63Cx). */
static int is_wrong_pin(const uint8_t *response, size_t len)
{
    if (len < 2)
        return 0;
    uint8_t sw1 = response[len - 2], sw2 = response[len - 1];
    return (sw1 == 0x69 && (sw2 == 0x85 || sw2 == 0x82)) ||
           (sw1 == SW1_TRIES_LEFT && (sw2 & 0xF0) == 0xC0);
}

static void set_status(uint8_t *response, size_t *response_len, uint8_t sw1, uint8_t sw2)
{
    response[0] = sw1;
    response[1] = sw2;
    *response_len = 2;
}

int pin_guard_refuse(const struct pin_guard *guard, uint8_t *response, size_t *response_len)
{
    if (guard->tries_left > 0)
        return 0;
    set_status(response, response_len, SW_BLOCKED_1, SW_BLOCKED_2);
    return 1;
}

void pin_guard_account(struct pin_guard *guard, const uint8_t *apdu, size_t len, uint8_t *response,
                       size_t *response_len)
{
    int accepted = *response_len >= 2 && response[*response_len - 2] == SW1_OK &&
                   response[*response_len - 1] == 0x00;
    if (!carries_pin(apdu, len)) {
        /* State query: "logged in" stays as the card said, otherwise report tries. */
        if (!accepted)
            set_status(response, response_len, SW1_TRIES_LEFT,
                       (uint8_t)(0xC0 | (guard->tries_left & 0x0F)));
        return;
    }
    if (!accepted && !is_wrong_pin(response, *response_len))
        return; /* not a PIN check at all (bad P2, bad length): pass it on */
    if (accepted) {
        if (guard->tries_left != guard->max_tries) {
            guard->tries_left = guard->max_tries;
            save(guard);
        }
        return;
    }
    guard->tries_left--;
    save(guard);
    if (guard->tries_left == 0)
        set_status(response, response_len, SW_BLOCKED_1, SW_BLOCKED_2);
    else
        set_status(response, response_len, SW1_TRIES_LEFT,
                   (uint8_t)(0xC0 | (guard->tries_left & 0x0F)));
}
