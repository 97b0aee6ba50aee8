// What a live session costs in memory, in parts: the parsed public key the
// session keeps (so that a presence proof is verified without parsing it
// again), and the rest of the session in the store. Also what parsing the
// key once more would cost a proof instead. Heap bytes by mallinfo2 over
// 20,000 of each. Prints figures; never fails.
//
//   cardbound-session-memory-bench
#include "session/session_store.h"
#include "test_pki.h"

#include <chrono>
#include <cstdio>
#include <malloc.h>
#include <openssl/x509.h>

using namespace cardbound;
using namespace cardbound::server;

namespace
{

constexpr int kCount = 20'000;

std::size_t heap()
{
    return mallinfo2().uordblks;
}

// A session as a login makes it, with an identity of realistic length.
Session typical_session()
{
    Session s;
    s.tag = std::string(22, 't');
    s.origin = "https://app.example.org";
    Identity &id = s.identity;
    id.subject = "C=EE, O=Cardbound Test, CN=MAENNIK\\,MARI-LIIS\\,47101010033, SN=MAENNIK, "
                 "GN=MARI-LIIS, serialNumber=PNOEE-47101010033";
    id.holder = "MARI-LIIS MAENNIK";
    id.given_name = "MARI-LIIS";
    id.surname = "MAENNIK";
    id.personal_code = "PNOEE-47101010033";
    id.country = "EE";
    id.issuer = "C=EE, O=Cardbound Test, CN=Cardbound Test Issuing CA";
    id.serial_number = std::string(40, '5');
    id.fingerprint = std::string(95, 'f');
    id.not_after = "2031-01-01T00:00:00Z";
    id.algorithm = "ES256";
    s.pending_nonce = std::string(43, 'n');
    s.answered_nonce = std::string(43, 'a');
    return s;
}

} // namespace

int main()
{
    auto key = test::make_ec_key("P-256");
    unsigned char *der = nullptr;
    int len = i2d_PUBKEY(key.get(), &der);
    std::string spki(reinterpret_cast<char *>(der), static_cast<std::size_t>(len));
    OPENSSL_free(der);
    auto parse = [&] {
        auto *p = reinterpret_cast<const unsigned char *>(spki.data());
        return std::shared_ptr<EVP_PKEY>(d2i_PUBKEY(nullptr, &p, len), EVP_PKEY_free);
    };

    std::vector<std::shared_ptr<EVP_PKEY>> keys;
    keys.reserve(kCount);
    std::size_t before = heap();
    for (int i = 0; i < kCount; i++)
        keys.push_back(parse());
    double key_bytes = double(heap() - before) / kCount;

    MemorySessionStore store;
    Session s = typical_session();
    before = heap();
    for (int i = 0; i < kCount; i++) {
        s.id = std::to_string(i) + std::string(43 - std::to_string(i).size(), 'x');
        s.deadline = 1000 + i;
        store.put(s);
    }
    double session_bytes = double(heap() - before) / kCount;

    auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < kCount; i++)
        parse();
    double parse_us =
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count() /
        kCount;

    std::printf("memory of a live session (heap bytes, mean of %d)\n", kCount);
    std::printf("  session in the store, without its key  %6.0f bytes\n", session_bytes);
    std::printf("  its parsed EC P-256 key (EVP_PKEY)     %6.0f bytes (the DER is %d)\n", key_bytes,
                len);
    std::printf("  together                               %6.0f bytes (target < 2048)\n",
                session_bytes + key_bytes);
    std::printf("  parsing the key again (d2i_PUBKEY)     %6.1f us a proof, were it not kept\n",
                parse_us);
}
