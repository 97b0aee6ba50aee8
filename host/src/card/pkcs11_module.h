// One loaded PKCS#11 module through libp11: owns the context and its slot
// lists, and frees them on every path.
//
// libp11 0.4.12 (Debian 12) shapes this class:
// - PKCS11_update_slots crashes when called a second time, so a refresh is a
//   new PKCS11_enumerate_slots into a new slot list (a "generation").
// - Releasing a slot list closes every session of the application on those
//   slots (C_CloseAllSessions), which logs the token out. Old generations
//   are therefore kept while any token of the module is logged in.
// - A slot object only knows about logins made through itself: PKCS11_login
//   on another object of the same slot succeeds without checking the PIN
//   (CKR_USER_ALREADY_LOGGED_IN), and PKCS11_logout on it does nothing. So the
//   object that logged in (the "holder") is remembered and used to log out.
#pragma once

#include <libp11.h>
#include <map>
#include <span>
#include <string>
#include <vector>

namespace cardbound::host
{

class Pkcs11Module
{
  public:
    // Loads and initialises the module; throws std::runtime_error.
    explicit Pkcs11Module(std::string path);
    ~Pkcs11Module();
    Pkcs11Module(const Pkcs11Module &) = delete;
    Pkcs11Module &operator=(const Pkcs11Module &) = delete;

    const std::string &path() const { return path_; }

    // Reads the slots and tokens again (a card may have come or gone).
    void refresh();
    std::span<PKCS11_SLOT> slots();

    // Logs in through `slot` after logging out whatever login the token had,
    // so the PIN is always really checked. Returns libp11's result, or
    // kCannotLogOut when the token's old login could not be ended.
    static constexpr int kCannotLogOut = -2;
    int login(PKCS11_SLOT *slot, const char *pin);
    void logout(PKCS11_SLOT *slot);
    bool logged_in(PKCS11_SLOT *slot) const;
    // The card left: its login is gone with it.
    void forget_login(PKCS11_SLOT *slot);

  private:
    struct Generation {
        PKCS11_SLOT *slots = nullptr;
        unsigned int count = 0;
    };
    void release_old_generations();

    std::string path_;
    PKCS11_CTX *ctx_ = nullptr;
    std::vector<Generation> generations_;                  // back() is the current one
    std::map<unsigned long, PKCS11_SLOT *> login_holders_; // slot id -> holder
};

// The PKCS#11 return value (CKR_*) libp11 recorded for the last failure, or
// 0 when it recorded none. Clears OpenSSL's error queue.
unsigned long take_pkcs11_error();

} // namespace cardbound::host
