/*
 * The real PKCS#11 module, named by CARDBOUND_FAULT_TARGET, to which every
 * call is forwarded, and what the fault rules need to know from it: the label
 * of the token a call is about.
 */
#ifndef CARDBOUND_FAULT_TARGET_H
#define CARDBOUND_FAULT_TARGET_H

#include <p11-kit/pkcs11.h>

/* Loads the target (once per process; it is never unloaded, since the
 * forwarding table points into it) and gives its function list. On failure
 * says why on stderr, on every call, and returns CKR_GENERAL_ERROR or the
 * target's own C_GetFunctionList error. */
CK_RV target_load(CK_FUNCTION_LIST_PTR *list);

/* The label of the token in slot, without its blank padding, into label
 * (33 bytes). Returns 0 when the target cannot tell (no token, bad slot). */
int target_slot_label(CK_SLOT_ID slot, char *label);

/* The same for the token of an open session. */
int target_session_label(CK_SESSION_HANDLE session, char *label);

#endif
