#include "card/pkcs11_module.h"

#include "card/raw_pkcs11.h"

#include <openssl/err.h>
#include <stdexcept>

namespace cardbound::host
{

Pkcs11Module::Pkcs11Module(std::string path) : path_(std::move(path)), ctx_(PKCS11_CTX_new())
{
    // libp11 0.4.12 makes its RSA and EC key methods on first use without a
    // lock (p11_rsa.c, p11_ec.c): make them here, before any card thread
    // signs, so two first signatures cannot race in there.
    PKCS11_get_rsa_method();
    PKCS11_get_ec_key_method();
    if (!ctx_)
        throw std::runtime_error("out of memory");
    if (PKCS11_CTX_load(ctx_, path_.c_str()) != 0) {
        PKCS11_CTX_free(ctx_);
        ERR_clear_error();
        throw std::runtime_error("cannot load the PKCS#11 module " + path_);
    }
    try {
        read_slots(); // a module that cannot list its slots is not loaded
    } catch (...) {
        std::unique_lock lock(mutex_);
        release_retired(lock);
        PKCS11_CTX_unload(ctx_);
        PKCS11_CTX_free(ctx_);
        throw;
    }
}

Pkcs11Module::~Pkcs11Module()
{
    // The card threads are gone; nothing uses a list any more.
    for (auto &r : retired_)
        PKCS11_release_all_slots(ctx_, r.slots, r.count);
    PKCS11_CTX_unload(ctx_);
    PKCS11_CTX_free(ctx_);
}

Pkcs11Module::SlotList Pkcs11Module::read_slots()
{
    SlotList list;
    if (PKCS11_enumerate_slots(ctx_, &list.slots_, &list.count_) != 0) {
        ERR_clear_error();
        throw std::runtime_error("cannot list the slots of " + path_);
    }
    std::lock_guard lock(mutex_);
    list.module_ = this;
    lists_in_use_++;
    return list;
}

Pkcs11Module::SlotList::SlotList(SlotList &&other) noexcept
    : module_(other.module_), slots_(other.slots_), count_(other.count_)
{
    other.module_ = nullptr;
}

Pkcs11Module::SlotList &Pkcs11Module::SlotList::operator=(SlotList &&other) noexcept
{
    if (this != &other) {
        if (module_)
            module_->retire(slots_, count_);
        module_ = other.module_;
        slots_ = other.slots_;
        count_ = other.count_;
        other.module_ = nullptr;
    }
    return *this;
}

Pkcs11Module::SlotList::~SlotList()
{
    if (module_)
        module_->retire(slots_, count_);
}

PKCS11_SLOT *Pkcs11Module::SlotList::find(unsigned long slot_id) const
{
    for (PKCS11_SLOT &slot : slots())
        if (PKCS11_get_slotid_from_slot(&slot) == slot_id)
            return &slot;
    return nullptr;
}

void Pkcs11Module::retire(PKCS11_SLOT *slots, unsigned int count)
{
    std::unique_lock lock(mutex_);
    lists_in_use_--;
    retired_.push_back({slots, count});
    release_retired(lock);
}

void Pkcs11Module::release_retired(std::unique_lock<std::mutex> &)
{
    // Releasing closes the sessions of every slot it lists: only safe while
    // no token is logged in and no other thread works with a list.
    if (logins_ > 0 || lists_in_use_ > 0)
        return;
    for (auto &r : retired_)
        PKCS11_release_all_slots(ctx_, r.slots, r.count);
    retired_.clear();
}

int Pkcs11Module::login(PKCS11_SLOT *slot, const char *pin)
{
    // Whatever our bookkeeping says, the token itself must be logged out, or
    // the login below would succeed with any PIN.
    if (!ensure_logged_out(path_, PKCS11_get_slotid_from_slot(slot)))
        return kCannotLogOut;
    int rc = PKCS11_login(slot, 0, pin);
    if (rc == 0) {
        std::lock_guard lock(mutex_);
        logins_++;
    }
    return rc;
}

void Pkcs11Module::logout(PKCS11_SLOT *holder)
{
    if (PKCS11_logout(holder) != 0)
        ERR_clear_error(); // the card may be gone already
    forget_login();
}

void Pkcs11Module::forget_login()
{
    std::unique_lock lock(mutex_);
    if (logins_ > 0)
        logins_--;
}

unsigned long take_pkcs11_error()
{
    unsigned long ckr = 0;
    int lib = ERR_get_CKR_code();
    while (unsigned long e = ERR_get_error())
        if (ERR_GET_LIB(e) == lib && ckr == 0)
            ckr = ERR_GET_REASON(e);
    return ckr;
}

} // namespace cardbound::host
