#include "target.h"

#include "ckr_names.h"
#include "fault_log.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static CK_FUNCTION_LIST_PTR target;
static CK_RV load_rv;
static char load_problem[512];

static void load(void)
{
    load_rv = CKR_GENERAL_ERROR;
    const char *path = getenv("CARDBOUND_FAULT_TARGET");
    if (path == NULL || *path == '\0') {
        snprintf(load_problem, sizeof load_problem,
                 "CARDBOUND_FAULT_TARGET is not set: it names the real PKCS#11 module to forward "
                 "to (e.g. /usr/lib/softhsm/libsofthsm2.so)");
        return;
    }
    void *module = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (module == NULL) {
        snprintf(load_problem, sizeof load_problem,
                 "CARDBOUND_FAULT_TARGET %s cannot be loaded: %s", path, dlerror());
        return;
    }
    CK_C_GetFunctionList get_function_list;
    /* dlsym gives a data pointer; POSIX guarantees it converts to a function pointer. */
    *(void **)&get_function_list = dlsym(module, "C_GetFunctionList");
    if (get_function_list == NULL) {
        snprintf(load_problem, sizeof load_problem,
                 "CARDBOUND_FAULT_TARGET %s is no PKCS#11 module: no C_GetFunctionList", path);
        return;
    }
    /* Forwarding to ourselves would wait on this very pthread_once forever. */
    if (get_function_list == C_GetFunctionList) {
        snprintf(load_problem, sizeof load_problem,
                 "CARDBOUND_FAULT_TARGET %s is the fault module itself", path);
        return;
    }
    CK_RV rv = get_function_list(&target);
    if (rv != CKR_OK || target == NULL) {
        const char *name = ckr_name(rv);
        snprintf(load_problem, sizeof load_problem,
                 "CARDBOUND_FAULT_TARGET %s: C_GetFunctionList answered %s (0x%lx)", path,
                 name ? name : "an unknown value", rv);
        target = NULL;
        load_rv = rv != CKR_OK ? rv : CKR_GENERAL_ERROR;
        return;
    }
    load_rv = CKR_OK;
}

CK_RV target_load(CK_FUNCTION_LIST_PTR *list)
{
    pthread_once(&load_once, load);
    if (load_rv != CKR_OK)
        fault_warn("%s", load_problem);
    *list = target;
    return load_rv;
}

int target_slot_label(CK_SLOT_ID slot, char *label)
{
    CK_TOKEN_INFO info;
    if (target->C_GetTokenInfo(slot, &info) != CKR_OK)
        return 0;
    /* Blank padded by the standard; some modules pad with NULs instead. */
    size_t len = sizeof info.label;
    while (len > 0 && (info.label[len - 1] == ' ' || info.label[len - 1] == '\0'))
        len--;
    memcpy(label, info.label, len);
    label[len] = '\0';
    return 1;
}

int target_session_label(CK_SESSION_HANDLE session, char *label)
{
    CK_SESSION_INFO info;
    if (target->C_GetSessionInfo(session, &info) != CKR_OK)
        return 0;
    return target_slot_label(info.slotID, label);
}
