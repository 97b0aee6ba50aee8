/*
 * PKCS#11 return values by name. The table is made at configure time from the
 * CKR_ definitions of p11-kit's pkcs11.h (see CMakeLists.txt), so every name
 * that header knows works in a control file and none is written here by hand.
 */
#ifndef CARDBOUND_CKR_NAMES_H
#define CARDBOUND_CKR_NAMES_H

#include <p11-kit/pkcs11.h>

/* "CKR_DEVICE_REMOVED" for 0x32; NULL for a value the header does not name. */
const char *ckr_name(CK_RV rv);

/* Reads a name (CKR_PIN_LOCKED), a decimal number or a 0x hex number.
 * Returns 1 and sets *rv, or 0 when text is none of these. */
int ckr_parse(const char *text, CK_RV *rv);

#endif
