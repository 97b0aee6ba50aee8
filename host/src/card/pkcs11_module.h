// One loaded PKCS#11 module through libp11: owns the context and every slot
// list read from it, and frees them on every path. Several card threads use
// one module at once (libp11 initialises it with CKF_OS_LOCKING_OK, so the
// module serialises its own state); each thread reads its own slot list and
// touches only the libp11 objects of that list.
//
// libp11 0.4.12 (Debian 12) shapes this class:
// - PKCS11_update_slots crashes when called a second time, so a fresh read is
//   a new PKCS11_enumerate_slots into a new slot list.
// - Releasing a slot list closes every session of the application on those
//   slots (C_CloseAllSessions), which logs the token out — whichever list,
//   and whichever thread, opened them. Released lists are therefore kept
//   ("retired") while any token of the module is logged in or any other list
//   is in use, and released together when neither is the case.
// - A slot object only knows about logins made through itself: PKCS11_login
//   on another object of the same slot succeeds without checking the PIN
//   (CKR_USER_ALREADY_LOGGED_IN), and PKCS11_logout on it does nothing. The
//   token's card thread keeps the object that logged in (card/card_token.h).
#pragma once

#include <libp11.h>
#include <mutex>
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

    // The slots and tokens as they are now, for the calling thread alone.
    class SlotList
    {
      public:
        SlotList() = default;
        SlotList(SlotList &&other) noexcept;
        SlotList &operator=(SlotList &&other) noexcept;
        ~SlotList();
        std::span<PKCS11_SLOT> slots() const { return {slots_, count_}; }
        PKCS11_SLOT *find(unsigned long slot_id) const;
        explicit operator bool() const { return module_ != nullptr; }

      private:
        friend class Pkcs11Module;
        Pkcs11Module *module_ = nullptr;
        PKCS11_SLOT *slots_ = nullptr;
        unsigned int count_ = 0;
    };
    // Throws std::runtime_error.
    SlotList read_slots();

    // Logs in through `slot` after making sure the token is logged out, so
    // the PIN is always really checked. Returns libp11's result, or
    // kCannotLogOut when the token's old login could not be ended. A
    // successful login counts until logout() or forget_login().
    static constexpr int kCannotLogOut = -2;
    int login(PKCS11_SLOT *slot, const char *pin);
    // Logs out through the object that logged in.
    void logout(PKCS11_SLOT *holder);
    // The card left: its login is gone with it.
    void forget_login();

  private:
    void retire(PKCS11_SLOT *slots, unsigned int count);
    void release_retired(std::unique_lock<std::mutex> &lock);

    std::string path_;
    PKCS11_CTX *ctx_ = nullptr;
    std::mutex mutex_; // guards the counts and the retired lists
    int lists_in_use_ = 0;
    int logins_ = 0;
    struct Retired {
        PKCS11_SLOT *slots;
        unsigned int count;
    };
    std::vector<Retired> retired_;
};

// The PKCS#11 return value (CKR_*) libp11 recorded for the last failure on
// this thread, or 0 when it recorded none. Clears OpenSSL's error queue.
unsigned long take_pkcs11_error();

} // namespace cardbound::host
