/*
 * cardbound-pkcs11-fault: a PKCS#11 module for tests that forwards every call
 * to a real module (CARDBOUND_FAULT_TARGET) and, as the rules of the control
 * file (CARDBOUND_FAULT_CONTROL) say, delays some calls or answers them with
 * an error, so that tests can show what cardbound-host does when a card is
 * slow, pulled out or broken. See README.md.
 *
 * The module's function list is the target's with six entries replaced;
 * everything else goes to the target directly.
 */
#include "ckr_names.h"
#include "fault_log.h"
#include "rules.h"
#include "target.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static CK_FUNCTION_LIST_PTR target;

/* What the rules make of one call. */
enum verdict {
    FORWARD,             /* as the target answers (perhaps late) */
    ANSWER,              /* with the rule's rv; the target never sees the call */
    FORWARD_THEN_ANSWER, /* the target does the call, the caller gets the rule's rv */
};

static void sleep_ms(long ms)
{
    struct timespec left = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&left, &left) != 0 && errno == EINTR)
        continue;
}

static const char *rv_text(CK_RV rv, char *buffer, size_t size)
{
    const char *name = ckr_name(rv);
    snprintf(buffer, size, "%s (0x%lx)", name ? name : "unnamed", rv);
    return buffer;
}

static void log_fired(enum fault_function function, const char *label,
                      const struct fault_action *action)
{
    char wait[48] = "";
    char answer[160] = "forwards the call";
    char rv[64];
    if (action->delay_ms > 0)
        snprintf(wait, sizeof wait, "waits %ld ms, then ", action->delay_ms);
    if (action->answers)
        snprintf(answer, sizeof answer, "answers %s %s", rv_text(action->rv, rv, sizeof rv),
                 action->after ? "after forwarding the call" : "without forwarding the call");
    fault_log("%s on token %s%s%s: line %d \"%s\": %s%s", fault_function_name(function),
              label ? "'" : "", label ? label : "(unknown)", label ? "'" : "", action->line,
              action->text, wait, answer);
}

/* Consults the rules for a call about a slot's token or, with by_session, a
 * session's; waits if a rule says so. Nothing is locked while it waits. */
static enum verdict consult(enum fault_function function, int by_session, CK_ULONG handle,
                            CK_RV *answer)
{
    if (!rules_cover(function))
        return FORWARD;
    char label[33];
    int known = by_session ? target_session_label(handle, label) : target_slot_label(handle, label);
    struct fault_action action;
    if (!rules_take(function, known ? label : NULL, &action))
        return FORWARD;
    log_fired(function, known ? label : NULL, &action);
    if (action.delay_ms > 0)
        sleep_ms(action.delay_ms);
    if (!action.answers)
        return FORWARD;
    *answer = action.rv;
    return action.after ? FORWARD_THEN_ANSWER : ANSWER;
}

static CK_RV fault_C_GetTokenInfo(CK_SLOT_ID slot, CK_TOKEN_INFO_PTR info)
{
    CK_RV answer;
    enum verdict verdict = consult(FAULT_C_GET_TOKEN_INFO, 0, slot, &answer);
    if (verdict == ANSWER)
        return answer;
    CK_RV rv = target->C_GetTokenInfo(slot, info);
    return verdict == FORWARD ? rv : answer;
}

static CK_RV fault_C_OpenSession(CK_SLOT_ID slot, CK_FLAGS flags, CK_VOID_PTR application,
                                 CK_NOTIFY notify, CK_SESSION_HANDLE_PTR session)
{
    CK_RV answer;
    enum verdict verdict = consult(FAULT_C_OPEN_SESSION, 0, slot, &answer);
    if (verdict == ANSWER)
        return answer;
    CK_RV rv = target->C_OpenSession(slot, flags, application, notify, session);
    if (verdict == FORWARD)
        return rv;
    /* A caller that is told "failed" never closes the session: do it for it. */
    if (rv == CKR_OK && answer != CKR_OK)
        target->C_CloseSession(*session);
    return answer;
}

/* An `after` C_Login leaves the token logged in: a card that checked the PIN
 * but whose answer was lost is in that state too (a repeated C_Login then gets
 * CKR_USER_ALREADY_LOGGED_IN, which libp11 takes as success). */
static CK_RV fault_C_Login(CK_SESSION_HANDLE session, CK_USER_TYPE user, CK_UTF8CHAR_PTR pin,
                           CK_ULONG pin_len)
{
    CK_RV answer;
    enum verdict verdict = consult(FAULT_C_LOGIN, 1, session, &answer);
    if (verdict == ANSWER)
        return answer;
    CK_RV rv = target->C_Login(session, user, pin, pin_len);
    return verdict == FORWARD ? rv : answer;
}

static CK_RV fault_C_FindObjectsInit(CK_SESSION_HANDLE session, CK_ATTRIBUTE_PTR template,
                                     CK_ULONG count)
{
    CK_RV answer;
    enum verdict verdict = consult(FAULT_C_FIND_OBJECTS_INIT, 1, session, &answer);
    if (verdict == ANSWER)
        return answer;
    CK_RV rv = target->C_FindObjectsInit(session, template, count);
    if (verdict == FORWARD)
        return rv;
    /* The caller, told "failed", would never call C_FindObjectsFinal, and its
     * next C_FindObjectsInit would get CKR_OPERATION_ACTIVE. */
    if (rv == CKR_OK && answer != CKR_OK)
        target->C_FindObjectsFinal(session);
    return answer;
}

/* Ends the target's active sign operation on session, if any: by PKCS#11 a
 * C_Sign that fails (other than CKR_BUFFER_TOO_SMALL) ends it, so a caller
 * told so goes on with C_SignInit, which the target would refuse with
 * CKR_OPERATION_ACTIVE. The target has no way to cancel an operation
 * (C_SessionCancel is PKCS#11 3.0; SoftHSM2 2.6 is 2.40), so it is finished:
 * the target signs data (or one zero byte) into a scratch buffer, or fails,
 * and either ends the operation. */
static void end_sign_operation(CK_SESSION_HANDLE session, CK_BYTE_PTR data, CK_ULONG data_len)
{
    static CK_BYTE zero;
    if (data == NULL) {
        data = &zero;
        data_len = 1;
    }
    CK_ULONG len = 0;
    CK_RV rv = target->C_Sign(session, data, data_len, NULL, &len);
    if (rv == CKR_OK) {
        CK_BYTE *scratch = malloc(len > 0 ? len : 1);
        if (scratch == NULL)
            return;
        rv = target->C_Sign(session, data, data_len, scratch, &len);
        free(scratch);
    }
    if (rv != CKR_OPERATION_NOT_INITIALIZED) {
        char text[64];
        fault_log("C_Sign: the target's sign operation was ended (its C_Sign: %s)",
                  rv_text(rv, text, sizeof text));
    }
}

static CK_RV fault_C_SignInit(CK_SESSION_HANDLE session, CK_MECHANISM_PTR mechanism,
                              CK_OBJECT_HANDLE key)
{
    CK_RV answer;
    enum verdict verdict = consult(FAULT_C_SIGN_INIT, 1, session, &answer);
    if (verdict == ANSWER)
        return answer;
    CK_RV rv = target->C_SignInit(session, mechanism, key);
    if (verdict == FORWARD)
        return rv;
    if (rv == CKR_OK && answer != CKR_OK)
        end_sign_operation(session, NULL, 0);
    return answer;
}

static CK_RV fault_C_Sign(CK_SESSION_HANDLE session, CK_BYTE_PTR data, CK_ULONG data_len,
                          CK_BYTE_PTR signature, CK_ULONG_PTR signature_len)
{
    CK_RV answer;
    enum verdict verdict = consult(FAULT_C_SIGN, 1, session, &answer);
    CK_RV rv = CKR_OK;
    if (verdict != ANSWER)
        rv = target->C_Sign(session, data, data_len, signature, signature_len);
    if (verdict == FORWARD)
        return rv;
    /* Unanswered by the target, or only a length query or too small a
     * buffer: its operation is still active, though the caller is told it
     * ended. */
    int still_active =
        verdict == ANSWER || rv == CKR_BUFFER_TOO_SMALL || (rv == CKR_OK && signature == NULL);
    if (answer != CKR_OK && answer != CKR_BUFFER_TOO_SMALL && still_active)
        end_sign_operation(session, data, data_len);
    return answer;
}

static CK_FUNCTION_LIST faulty;
static pthread_once_t faulty_once = PTHREAD_ONCE_INIT;

/* Runs once the target has loaded (target_load only repeats its answer). */
static void make_function_list(void)
{
    target_load(&target);
    faulty = *target;
    faulty.C_GetFunctionList = C_GetFunctionList;
    faulty.C_GetTokenInfo = fault_C_GetTokenInfo;
    faulty.C_OpenSession = fault_C_OpenSession;
    faulty.C_Login = fault_C_Login;
    faulty.C_FindObjectsInit = fault_C_FindObjectsInit;
    faulty.C_SignInit = fault_C_SignInit;
    faulty.C_Sign = fault_C_Sign;
}

__attribute__((visibility("default"))) CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list)
{
    if (list == NULL)
        return CKR_ARGUMENTS_BAD;
    CK_FUNCTION_LIST_PTR loaded;
    CK_RV rv = target_load(&loaded);
    if (rv != CKR_OK)
        return rv;
    pthread_once(&faulty_once, make_function_list);
    *list = &faulty;
    return CKR_OK;
}
