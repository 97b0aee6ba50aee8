#include "ckr_names.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *name;
    CK_RV value;
} names[] = {
#define CKR_NAME(name) {#name, name},
#include "ckr_names.inc"
#undef CKR_NAME
};

const char *ckr_name(CK_RV rv)
{
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (names[i].value == rv)
            return names[i].name;
    }
    return NULL;
}

int ckr_parse(const char *text, CK_RV *rv)
{
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strcmp(names[i].name, text) == 0) {
            *rv = names[i].value;
            return 1;
        }
    }
    if (*text < '0' || *text > '9')
        return 0;
    char *end;
    errno = 0;
    unsigned long value = strtoul(text, &end, 0);
    if (errno != 0 || *end != '\0')
        return 0;
    *rv = value;
    return 1;
}
