#include "card/pkcs11_module.h"

#include "card/raw_pkcs11.h"

#include <openssl/err.h>
#include <stdexcept>

namespace cardbound::host
{

Pkcs11Module::Pkcs11Module(std::string path) : path_(std::move(path)), ctx_(PKCS11_CTX_new())
{
    if (!ctx_)
        throw std::runtime_error("out of memory");
    if (PKCS11_CTX_load(ctx_, path_.c_str()) != 0) {
        PKCS11_CTX_free(ctx_);
        ERR_clear_error();
        throw std::runtime_error("cannot load the PKCS#11 module " + path_);
    }
    try {
        refresh();
    } catch (...) {
        PKCS11_CTX_unload(ctx_);
        PKCS11_CTX_free(ctx_);
        throw;
    }
}

Pkcs11Module::~Pkcs11Module()
{
    for (auto &g : generations_)
        PKCS11_release_all_slots(ctx_, g.slots, g.count);
    PKCS11_CTX_unload(ctx_);
    PKCS11_CTX_free(ctx_);
}

void Pkcs11Module::refresh()
{
    Generation g;
    if (PKCS11_enumerate_slots(ctx_, &g.slots, &g.count) != 0) {
        ERR_clear_error();
        throw std::runtime_error("cannot list the slots of " + path_);
    }
    generations_.push_back(g);
    release_old_generations();
}

std::span<PKCS11_SLOT> Pkcs11Module::slots()
{
    if (generations_.empty())
        return {};
    return {generations_.back().slots, generations_.back().count};
}

void Pkcs11Module::release_old_generations()
{
    // Releasing closes the sessions of every slot it lists: only safe while
    // no token of this module is logged in.
    if (!login_holders_.empty())
        return;
    while (generations_.size() > 1) {
        PKCS11_release_all_slots(ctx_, generations_.front().slots, generations_.front().count);
        generations_.erase(generations_.begin());
    }
}

int Pkcs11Module::login(PKCS11_SLOT *slot, const char *pin)
{
    logout(slot);
    // Whatever our bookkeeping says, the token itself must be logged out, or
    // the login below would succeed with any PIN.
    if (!ensure_logged_out(path_, PKCS11_get_slotid_from_slot(slot)))
        return kCannotLogOut;
    int rc = PKCS11_login(slot, 0, pin);
    if (rc == 0)
        login_holders_[PKCS11_get_slotid_from_slot(slot)] = slot;
    return rc;
}

void Pkcs11Module::logout(PKCS11_SLOT *slot)
{
    auto it = login_holders_.find(PKCS11_get_slotid_from_slot(slot));
    if (it == login_holders_.end())
        return;
    if (PKCS11_logout(it->second) != 0)
        ERR_clear_error(); // the card may be gone already
    login_holders_.erase(it);
}

bool Pkcs11Module::logged_in(PKCS11_SLOT *slot) const
{
    return login_holders_.contains(PKCS11_get_slotid_from_slot(slot));
}

void Pkcs11Module::forget_login(PKCS11_SLOT *slot)
{
    login_holders_.erase(PKCS11_get_slotid_from_slot(slot));
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
