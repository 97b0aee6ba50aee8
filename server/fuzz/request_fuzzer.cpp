// libFuzzer target: arbitrary bytes as requests to the relying party's HTTP
// API (server/src/http/router.cpp): the first byte picks the endpoint
// (challenge, login, confirm, presence challenge, presence, logout, a
// transaction's challenge and confirmation, and the GETs of the session),
// the second whether the request carries the cookie of
// a live session made at start, the rest is the JSON body. Nothing may crash,
// leak or grow without bound; the answers are not judged.
#include "fuzz_pki.h"
#include "http/router.h"

#include <cstddef>
#include <cstdint>

using namespace cardbound;
using namespace cardbound::server;
namespace http = boost::beast::http;

namespace
{

struct Target {
    fuzz::FuzzPki pki;
    std::shared_ptr<MemorySessionStore> sessions = std::make_shared<MemorySessionStore>();
    std::unique_ptr<RelyingParty> rp;
    Metrics metrics;
    std::unique_ptr<Transactions> transactions;
    std::unique_ptr<Router> router;
    std::string session_id;
    std::string cookie;

    Target()
    {
        ServerIdentity id;
        test::CertSpec spec{"localhost", {"localhost"}};
        auto server_cert =
            test::make_certificate(spec, pki.root_key.get(), pki.root.get(), pki.root_key.get());
        EVP_PKEY_up_ref(pki.root_key.get());
        id.key.reset(pki.root_key.get());
        id.chain = {certificate_der(server_cert.get())};
        id.algorithm = Algorithm::ES256;
        rp = std::make_unique<RelyingParty>(
            RelyingPartyConfig{fuzz::kOrigin, 120, 30, 10}, std::move(id),
            std::make_shared<TokenValidator>(pki.validator_config()),
            std::make_shared<MemoryNonceStore>(), sessions);
        router = std::make_unique<Router>(
            *rp, metrics, [] { return std::time(nullptr); }, StaticFiles{});
        transactions =
            std::make_unique<Transactions>(*rp, std::make_shared<MemoryTransactionStore>());
        router->set_transactions(*transactions);
        login();
    }

    // One confirmed session, so that inputs with its cookie go deep; made
    // again when an input ended it (a refused presence proof does).
    void login()
    {
        std::time_t now = std::time(nullptr);
        auto challenge = rp->challenge(base64_encode(random_bytes(32)), now);
        auto login = rp->login(pki.token(challenge.server_nonce).to_json(), challenge.server_nonce,
                               fuzz::kOrigin, now);
        PresenceProof proof;
        proof.session_tag = login.session.tag;
        proof.nonce = login.receipt.presence_nonce;
        proof.algorithm = Algorithm::ES256;
        proof.signature = sign_digest(
            pki.card_key.get(), proof.algorithm,
            presence_digest(proof.algorithm, fuzz::kOrigin, proof.session_tag, proof.nonce));
        rp->confirm(login.session.id, proof.to_json(), now);
        session_id = login.session.id;
        cookie = std::string(Router::kCookie) + "=" + session_id;
    }
};

const char *const kTargets[] = {"/cardbound/challenge",
                                "/cardbound/login",
                                "/cardbound/confirm",
                                "/cardbound/presence/challenge",
                                "/cardbound/presence",
                                "/cardbound/logout",
                                "/cardbound/transaction/challenge",
                                "/cardbound/transaction",
                                "/cardbound/session",
                                "/api/me"};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    static Target target;
    if (size < 2 || size > 64 * 1024)
        return 0;
    if (!target.sessions->get(target.session_id))
        target.login();
    std::size_t which = data[0] % (sizeof kTargets / sizeof kTargets[0]);
    bool get = which >= 8;
    HttpRequest req{get ? http::verb::get : http::verb::post, kTargets[which], 11};
    req.set(http::field::origin, fuzz::kOrigin);
    req.set(http::field::content_type, "application/json");
    // Logouts would end the one session every other input wants: a logout
    // goes without the cookie.
    if ((data[1] & 1) && which != 5)
        req.set(http::field::cookie, target.cookie);
    req.body().assign(reinterpret_cast<const char *>(data + 2), size - 2);
    req.prepare_payload();
    (void)target.router->handle(req);
    return 0;
}
