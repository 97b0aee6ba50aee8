/*
 * virtual-card: a CAC smart card emulated by libcacard, put into the "Virtual
 * PCD" reader of vsmartcard's vpcd driver that pcscd loads.
 *
 * The card's certificates and keys live in a PKCS#11 token (SoftHSM2 on the
 * bench) that an NSS database reaches; libcacard answers the APDUs, this
 * program carries them between the reader driver and libcacard. The card is
 * in the reader while this process is connected: ending it pulls the card.
 */
#include <errno.h>
#include <getopt.h>
#include <libcacard.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pin_guard.h"
#include "vpcd_link.h"

#define READER_NAME "Cardbound Virtual Card"
#define MAX_CERTS 3

struct options {
    const char *nss_db;
    const char *token;
    const char *certs[MAX_CERTS];
    int cert_count;
    const char *host;
    unsigned port;
    int connect_timeout_ms;
    const char *pin_state;
    int pin_tries;
};

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: virtual-card --nss-db DIR --token LABEL --cert NICKNAME [options]\n"
            "\n"
            "Emulates a CAC smart card with libcacard and inserts it into a vsmartcard\n"
            "vpcd reader. The card stays in the reader while this program runs; stop it\n"
            "(SIGTERM) to pull the card out.\n"
            "\n"
            "  --nss-db DIR          NSS database that reaches the token (sql: is implied)\n"
            "  --token LABEL         PKCS#11 token holding the card's keys\n"
            "  --cert NICKNAME       NSS nickname of a certificate on the card, e.g.\n"
            "                        LABEL:card0 (up to %d; repeat the option)\n"
            "  --host HOST           where the vpcd driver listens (default 127.0.0.1)\n"
            "  --port PORT           the reader's vpcd port (default 35963, reader 00 00;\n"
            "                        35964 is reader 00 01)\n"
            "  --connect-timeout MS  how long to wait for the reader (default 10000)\n"
            "  --pin-state FILE      keeps the PIN retry counter across pulls\n"
            "  --pin-tries N         PIN tries before the card blocks (default 3)\n"
            "  -h, --help            this text\n",
            MAX_CERTS);
}

/* libcacard's option string splits on blanks, commas and parentheses. */
static int safe_for_options(const char *s)
{
    return s[0] != '\0' && strpbrk(s, " \t\n,()\"") == NULL;
}

static int parse_number(const char *text, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno != 0 || *end != '\0' || end == text || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

static int parse_options(int argc, char **argv, struct options *opt)
{
    static const struct option longopts[] = {
        {"nss-db", required_argument, NULL, 'd'},
        {"token", required_argument, NULL, 't'},
        {"cert", required_argument, NULL, 'c'},
        {"host", required_argument, NULL, 'H'},
        {"port", required_argument, NULL, 'p'},
        {"connect-timeout", required_argument, NULL, 'w'},
        {"pin-state", required_argument, NULL, 's'},
        {"pin-tries", required_argument, NULL, 'n'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    *opt = (struct options){
        .host = "127.0.0.1", .port = 35963, .connect_timeout_ms = 10000, .pin_tries = 3};
    long v;
    int c;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'd': opt->nss_db = optarg; break;
        case 't': opt->token = optarg; break;
        case 'c':
            if (opt->cert_count == MAX_CERTS) {
                fprintf(stderr, "virtual-card: at most %d --cert\n", MAX_CERTS);
                return -1;
            }
            opt->certs[opt->cert_count++] = optarg;
            break;
        case 'H': opt->host = optarg; break;
        case 'p':
            if (parse_number(optarg, 1, 65535, &v) != 0) {
                fprintf(stderr, "virtual-card: --port must be 1..65535\n");
                return -1;
            }
            opt->port = (unsigned)v;
            break;
        case 'w':
            if (parse_number(optarg, 0, 3600000, &v) != 0) {
                fprintf(stderr, "virtual-card: --connect-timeout must be 0..3600000 ms\n");
                return -1;
            }
            opt->connect_timeout_ms = (int)v;
            break;
        case 's': opt->pin_state = optarg; break;
        case 'n':
            if (parse_number(optarg, 1, 15, &v) != 0) {
                fprintf(stderr, "virtual-card: --pin-tries must be 1..15\n");
                return -1;
            }
            opt->pin_tries = (int)v;
            break;
        case 'h': usage(stdout); exit(0);
        default: return -1;
        }
    }
    if (optind != argc || !opt->nss_db || !opt->token || opt->cert_count == 0) {
        fprintf(stderr, "virtual-card: --nss-db, --token and --cert are required\n");
        return -1;
    }
    if (!safe_for_options(opt->token)) {
        fprintf(
            stderr,
            "virtual-card: the token label may not hold blanks, commas, quotes or parentheses\n");
        return -1;
    }
    for (int i = 0; i < opt->cert_count; i++) {
        if (!safe_for_options(opt->certs[i])) {
            fprintf(stderr, "virtual-card: bad certificate nickname '%s'\n", opt->certs[i]);
            return -1;
        }
    }
    if (strchr(opt->nss_db, '"') != NULL) {
        fprintf(stderr, "virtual-card: the NSS database path may not hold a quote\n");
        return -1;
    }
    return 0;
}

/* Starts libcacard with one soft reader holding the card. */
static VReader *start_card(const struct options *opt)
{
    const char *db = opt->nss_db;
    int has_prefix = strncmp(db, "sql:", 4) == 0;
    GString *args = g_string_new(NULL);
    g_string_append_printf(args, "db=\"%s%s\" use_hw=no soft=(%s,%s,CAC,,",
                           has_prefix ? "" : "sql:", db, opt->token, READER_NAME);
    for (int i = 0; i < opt->cert_count; i++)
        g_string_append_printf(args, "%s%s", i ? "," : "", opt->certs[i]);
    g_string_append(args, ")");

    VCardEmulOptions *emul = vcard_emul_options(args->str);
    g_string_free(args, TRUE);
    if (emul == NULL || vcard_emul_init(emul) != VCARD_EMUL_OK) {
        fprintf(stderr,
                "virtual-card: libcacard found no card: is token '%s' in the NSS database '%s' "
                "and does it hold the certificate(s)?\n",
                opt->token, opt->nss_db);
        return NULL;
    }
    VReader *reader = vreader_get_reader_by_name(READER_NAME);
    if (reader == NULL || vreader_card_is_present(reader) != VREADER_OK) {
        fprintf(stderr, "virtual-card: libcacard made no card\n");
        return NULL;
    }
    return reader;
}

struct card {
    VReader *reader;
    uint8_t atr[64];
    int atr_len;
    struct pin_guard pin;
};

static int power_on(struct card *card)
{
    card->atr_len = (int)sizeof card->atr;
    return vreader_power_on(card->reader, card->atr, &card->atr_len) == VREADER_OK ? 0 : -1;
}

/* Answers one command APDU; returns the response length. */
static size_t transmit(struct card *card, const uint8_t *apdu, size_t len, uint8_t *response)
{
    size_t response_len = 0;
    int is_verify = pin_guard_is_verify(apdu, len);
    if (is_verify && pin_guard_refuse(&card->pin, response, &response_len))
        return response_len;

    int got = VPCD_MAX_MESSAGE;
    if (vreader_xfr_bytes(card->reader, (uint8_t *)apdu, (int)len, response, &got) != VREADER_OK ||
        got < 2) {
        response[0] = 0x6F; /* no precise diagnosis */
        response[1] = 0x00;
        return 2;
    }
    response_len = (size_t)got;
    if (is_verify)
        pin_guard_account(&card->pin, apdu, len, response, &response_len);
    return response_len;
}

/* Serves the reader until it disconnects. Returns 0 on a clean close. */
static int serve(struct card *card, int fd)
{
    static uint8_t request[VPCD_MAX_MESSAGE], response[VPCD_MAX_MESSAGE];
    for (;;) {
        long n = vpcd_receive(fd, request);
        if (n <= 0)
            return (int)n;
        if (n == 1) {
            switch (request[0]) {
            case VPCD_POWER_OFF: vreader_power_off(card->reader); break;
            case VPCD_POWER_ON:
            case VPCD_RESET:
                vreader_power_off(card->reader);
                power_on(card);
                break;
            case VPCD_GET_ATR:
                if (vpcd_send(fd, card->atr, (size_t)card->atr_len) != 0)
                    return -1;
                break;
            default: fprintf(stderr, "virtual-card: unknown control %u ignored\n", request[0]);
            }
            continue;
        }
        size_t len = transmit(card, request, (size_t)n, response);
        if (vpcd_send(fd, response, len) != 0)
            return -1;
    }
}

int main(int argc, char **argv)
{
    struct options opt;
    if (parse_options(argc, argv, &opt) != 0) {
        usage(stderr);
        return 2;
    }
    struct card card = {0};
    pin_guard_init(&card.pin, opt.pin_state, opt.pin_tries);
    card.reader = start_card(&opt);
    if (card.reader == NULL || power_on(&card) != 0)
        return 1;

    int timeout = opt.connect_timeout_ms;
    for (;;) {
        int fd = vpcd_connect(opt.host, (uint16_t)opt.port, timeout);
        if (fd < 0) {
            fprintf(stderr, "virtual-card: no vpcd reader at %s:%u: %s\n", opt.host, opt.port,
                    strerror(errno));
            return 1;
        }
        fprintf(stderr, "virtual-card: inserted into the reader at %s:%u\n", opt.host, opt.port);
        int rc = serve(&card, fd);
        close(fd);
        /* The reader went away (pcscd stopped or restarted): a real card loses
         * power and its login with it. Wait for the reader to come back. */
        vreader_power_off(card.reader);
        fprintf(stderr, "virtual-card: reader closed the connection (%s); waiting for it\n",
                rc == 0 ? "cleanly" : "error");
        timeout = 24 * 3600 * 1000;
    }
}
