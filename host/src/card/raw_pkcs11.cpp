#include "card/raw_pkcs11.h"

#include <dlfcn.h>
#include <p11-kit/pkcs11.h>
#include <vector>

namespace cardbound::host
{

namespace
{

// The function list of a module that is already loaded, or null.
class LoadedModule
{
  public:
    explicit LoadedModule(const std::string &path)
        // RTLD_NOLOAD: only the copy libp11 loaded (and initialised) counts.
        : handle_(dlopen(path.c_str(), RTLD_NOW | RTLD_NOLOAD))
    {
        if (!handle_)
            return;
        auto get = reinterpret_cast<CK_C_GetFunctionList>(dlsym(handle_, "C_GetFunctionList"));
        if (!get || get(&functions_) != CKR_OK)
            functions_ = nullptr;
    }
    ~LoadedModule()
    {
        if (handle_)
            dlclose(handle_);
    }
    LoadedModule(const LoadedModule &) = delete;
    LoadedModule &operator=(const LoadedModule &) = delete;
    CK_FUNCTION_LIST_PTR operator->() const { return functions_; }
    explicit operator bool() const { return functions_ != nullptr; }

  private:
    void *handle_;
    CK_FUNCTION_LIST_PTR functions_ = nullptr;
};

} // namespace

bool token_signs_raw_rsa(const std::string &module_path, unsigned long slot_id)
{
    LoadedModule m(module_path);
    if (!m)
        return false;
    CK_ULONG count = 0;
    if (m->C_GetMechanismList(slot_id, nullptr, &count) != CKR_OK || count == 0 || count > 4096)
        return false;
    std::vector<CK_MECHANISM_TYPE> list(count);
    if (m->C_GetMechanismList(slot_id, list.data(), &count) != CKR_OK)
        return false;
    list.resize(count);
    for (CK_MECHANISM_TYPE t : list) {
        CK_MECHANISM_INFO info{};
        if (t == CKM_RSA_X_509 && m->C_GetMechanismInfo(slot_id, t, &info) == CKR_OK)
            return (info.flags & CKF_SIGN) != 0;
    }
    return false;
}

bool ensure_logged_out(const std::string &module_path, unsigned long slot_id)
{
    LoadedModule m(module_path);
    if (!m)
        return false;
    CK_SESSION_HANDLE session = 0;
    if (m->C_OpenSession(slot_id, CKF_SERIAL_SESSION, nullptr, nullptr, &session) != CKR_OK)
        return false;
    CK_SESSION_INFO info{};
    bool ok = m->C_GetSessionInfo(session, &info) == CKR_OK;
    if (ok && (info.state == CKS_RO_USER_FUNCTIONS || info.state == CKS_RW_USER_FUNCTIONS ||
               info.state == CKS_RW_SO_FUNCTIONS)) {
        CK_RV rv = m->C_Logout(session);
        ok = rv == CKR_OK || rv == CKR_USER_NOT_LOGGED_IN;
    }
    m->C_CloseSession(session);
    return ok;
}

} // namespace cardbound::host
