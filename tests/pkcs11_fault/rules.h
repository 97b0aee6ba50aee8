/*
 * The fault rules: what the control file named by CARDBOUND_FAULT_CONTROL
 * asks for, kept up to date while the process runs. The grammar is in
 * README.md.
 *
 * The file is read again whenever it is another file or has changed (device,
 * inode, size, modification or change time differ from the last read), so a
 * test changes faults by writing it anew. A `once` rule fires once per process
 * and per version of the file: writing the file again arms it again. A line
 * that does not parse is ignored with one warning on stderr per version.
 *
 * The table is shared by every thread of the process behind one mutex, which
 * is held only to read the file and to pick a rule, never while a fault waits
 * or a call is forwarded.
 */
#ifndef CARDBOUND_FAULT_RULES_H
#define CARDBOUND_FAULT_RULES_H

#include <p11-kit/pkcs11.h>

/* The calls a rule can name. */
enum fault_function {
    FAULT_C_GET_TOKEN_INFO,
    FAULT_C_OPEN_SESSION,
    FAULT_C_LOGIN,
    FAULT_C_FIND_OBJECTS_INIT,
    FAULT_C_SIGN_INIT,
    FAULT_C_SIGN,
    FAULT_FUNCTION_COUNT
};

const char *fault_function_name(enum fault_function function);

/* What a rule that fires does to the call. */
struct fault_action {
    long delay_ms; /* 0: no wait */
    int answers;   /* 1: the call is answered with rv */
    CK_RV rv;
    int after; /* 1: the call is forwarded first and its result replaced by rv */
    int line;  /* where the rule is in the control file, for the log */
    char text[160];
};

/* Brings the table up to date with the control file. Returns 1 when some
 * rule names function: only then is the call's token label worth asking for. */
int rules_cover(enum fault_function function);

/* Takes the first rule in file order that names function, matches label
 * (NULL when the token is unknown: only "*" matches) and has not fired if it
 * is a `once` rule, which it then marks as fired. Returns 1 and fills *action
 * when there is one. */
int rules_take(enum fault_function function, const char *label, struct fault_action *action);

#endif
