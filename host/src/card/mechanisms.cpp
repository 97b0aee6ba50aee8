#include "card/mechanisms.h"

#include <algorithm>
#include <dlfcn.h>
#include <p11-kit/pkcs11.h>
#include <vector>

namespace cardbound::host
{

bool token_signs_raw_rsa(const std::string &module_path, unsigned long slot_id)
{
    // RTLD_NOLOAD: only the copy libp11 loaded (and initialised) counts.
    void *handle = dlopen(module_path.c_str(), RTLD_NOW | RTLD_NOLOAD);
    if (!handle)
        return false;
    bool found = false;
    auto get_list = reinterpret_cast<CK_C_GetFunctionList>(dlsym(handle, "C_GetFunctionList"));
    CK_FUNCTION_LIST_PTR functions = nullptr;
    if (get_list && get_list(&functions) == CKR_OK && functions) {
        CK_ULONG count = 0;
        if (functions->C_GetMechanismList(slot_id, nullptr, &count) == CKR_OK && count > 0 &&
            count < 4096) {
            std::vector<CK_MECHANISM_TYPE> list(count);
            if (functions->C_GetMechanismList(slot_id, list.data(), &count) == CKR_OK) {
                list.resize(count);
                for (CK_MECHANISM_TYPE m : list) {
                    if (m != CKM_RSA_X_509)
                        continue;
                    CK_MECHANISM_INFO info{};
                    found = functions->C_GetMechanismInfo(slot_id, m, &info) == CKR_OK &&
                            (info.flags & CKF_SIGN) != 0;
                }
            }
        }
    }
    dlclose(handle);
    return found;
}

} // namespace cardbound::host
