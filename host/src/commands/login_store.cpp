#include "commands/login_store.h"

#include "cardbound/crypto/encoding.h"

#include <algorithm>
#include <set>

namespace cardbound::host
{

namespace
{

HostError wrong_state(std::string_view what)
{
    return HostError(ErrorCode::BadRequest, std::string(what));
}

} // namespace

void LoginStore::expire(std::time_t now)
{
    std::erase_if(logins_, [&](const PendingLogin &l) { return l.expires <= now; });
    std::erase_if(sessions_, [&](const PresenceSession &s) { return s.expires <= now; });
}

PendingLogin LoginStore::begin(const std::string &origin, std::time_t now)
{
    std::lock_guard lock(mutex_);
    expire(now);
    if (logins_.size() >= kMaxLogins)
        logins_.pop_front();
    PendingLogin l;
    l.login_id = base64url_encode(random_bytes(16));
    l.origin = origin;
    l.host_nonce = base64_encode(random_bytes(32));
    l.expires = now + kLoginLifetimeSeconds;
    logins_.push_back(l);
    return l;
}

PendingLogin *LoginStore::by_id(const std::string &login_id)
{
    for (auto &l : logins_)
        if (l.login_id == login_id)
            return &l;
    return nullptr;
}

PendingLogin &LoginStore::find_locked(const std::string &login_id, const std::string &origin)
{
    PendingLogin *l = by_id(login_id);
    if (!l || l->origin != origin)
        throw HostError(ErrorCode::LoginUnknown,
                        "no such login for this origin (expired or used?)");
    return *l;
}

PendingLogin LoginStore::find(const std::string &login_id, const std::string &origin,
                              std::time_t now)
{
    std::lock_guard lock(mutex_);
    expire(now);
    return find_locked(login_id, origin);
}

void LoginStore::server_verified(const std::string &login_id, const std::string &origin,
                                 const VerifiedServer &server, const std::string &server_nonce,
                                 std::time_t challenge_expires, std::time_t now)
{
    std::lock_guard lock(mutex_);
    expire(now);
    PendingLogin &l = find_locked(login_id, origin);
    if (l.state != PendingLogin::State::Begun && l.state != PendingLogin::State::ServerVerified)
        throw wrong_state("this login has signed already");
    l.state = PendingLogin::State::ServerVerified;
    l.server = server;
    l.server_nonce = server_nonce;
    l.challenge_expires = challenge_expires;
}

PendingLogin LoginStore::start_signing(const std::string &login_id, const std::string &origin,
                                       std::time_t now)
{
    std::lock_guard lock(mutex_);
    expire(now);
    PendingLogin &l = find_locked(login_id, origin);
    switch (l.state) {
    case PendingLogin::State::Begun: throw wrong_state("verify-server comes before authenticate");
    case PendingLogin::State::ServerVerified: break;
    case PendingLogin::State::Signing: throw wrong_state("this login is signing already");
    case PendingLogin::State::Signed:
    case PendingLogin::State::Confirming: throw wrong_state("this login has signed already");
    }
    if (now >= l.challenge_expires)
        throw HostError(ErrorCode::ServerNotTrusted, "the server's challenge has expired",
                        {{"reason", "expired"}});
    l.state = PendingLogin::State::Signing;
    return l;
}

void LoginStore::signed_in(const std::string &login_id, const std::string &fingerprint,
                           const std::string &token_hash, const std::string &reader,
                           std::uint64_t removal_count)
{
    std::lock_guard lock(mutex_);
    PendingLogin *l = by_id(login_id);
    if (!l || l->state != PendingLogin::State::Signing)
        return; // expired while the card worked: confirm will not find it
    l->state = PendingLogin::State::Signed;
    l->certificate_fingerprint = fingerprint;
    l->token_hash = token_hash;
    l->reader = reader;
    l->removal_count = removal_count;
}

void LoginStore::signing_failed(const std::string &login_id)
{
    std::lock_guard lock(mutex_);
    if (PendingLogin *l = by_id(login_id); l && l->state == PendingLogin::State::Signing)
        l->state = PendingLogin::State::ServerVerified;
}

void LoginStore::signed_document(const std::string &login_id)
{
    std::lock_guard lock(mutex_);
    std::erase_if(logins_, [&](const PendingLogin &l) { return l.login_id == login_id; });
}

PendingLogin LoginStore::start_confirming(const std::string &login_id, const std::string &origin,
                                          std::time_t now)
{
    std::lock_guard lock(mutex_);
    expire(now);
    PendingLogin &l = find_locked(login_id, origin);
    if (l.state == PendingLogin::State::Confirming)
        throw wrong_state("this login is confirming already");
    if (l.state != PendingLogin::State::Signed)
        throw wrong_state("authenticate comes before confirm");
    l.state = PendingLogin::State::Confirming;
    return l;
}

void LoginStore::confirmed(const std::string &login_id, PresenceSession s)
{
    std::lock_guard lock(mutex_);
    std::erase_if(logins_, [&](const PendingLogin &l) { return l.login_id == login_id; });
    // A new login for the same tag replaces the old one.
    end_sessions_locked(s.origin, s.session_tag);
    if (sessions_.size() >= kMaxSessions)
        sessions_.pop_front();
    sessions_.push_back(std::move(s));
}

void LoginStore::confirming_failed(const std::string &login_id)
{
    std::lock_guard lock(mutex_);
    if (PendingLogin *l = by_id(login_id); l && l->state == PendingLogin::State::Confirming)
        l->state = PendingLogin::State::Signed;
}

PresenceSession *LoginStore::session_locked(const std::string &origin, const std::string &tag)
{
    for (auto &s : sessions_)
        if (s.origin == origin && s.session_tag == tag)
            return &s;
    return nullptr;
}

PresenceSession LoginStore::find_session(const std::string &origin, const std::string &tag,
                                         std::time_t now)
{
    std::lock_guard lock(mutex_);
    expire(now);
    if (PresenceSession *s = session_locked(origin, tag))
        return *s;
    throw HostError(ErrorCode::NotLoggedIn, "no presence session for this origin and tag");
}

void LoginStore::claim_presence_nonce(const std::string &origin, const std::string &tag,
                                      const std::string &nonce, std::time_t now)
{
    std::lock_guard lock(mutex_);
    PresenceSession *s = session_locked(origin, tag);
    if (!s)
        throw HostError(ErrorCode::NotLoggedIn, "no presence session for this origin and tag");
    if (s->last_nonce == nonce)
        throw HostError(ErrorCode::ServerNotTrusted, "the presence challenge was already answered",
                        {{"reason", "replay"}});
    s->last_nonce = nonce;
    s->expires = now + s->idle_limit();
}

std::vector<std::string> LoginStore::end_sessions_locked(const std::string &origin,
                                                         const std::string &tag)
{
    std::vector<std::string> certs;
    std::erase_if(sessions_, [&](const PresenceSession &s) {
        bool match = s.origin == origin && (tag.empty() || s.session_tag == tag);
        if (match)
            certs.push_back(s.certificate_fingerprint);
        return match;
    });
    return certs;
}

std::vector<std::string> LoginStore::end_sessions(const std::string &origin, const std::string &tag)
{
    std::lock_guard lock(mutex_);
    return end_sessions_locked(origin, tag);
}

bool LoginStore::certificate_in_use(const std::string &fingerprint) const
{
    std::lock_guard lock(mutex_);
    return std::any_of(sessions_.begin(), sessions_.end(), [&](const PresenceSession &s) {
        return s.certificate_fingerprint == fingerprint;
    });
}

std::size_t LoginStore::sites_using(const std::vector<std::string> &fingerprints) const
{
    std::lock_guard lock(mutex_);
    std::set<std::string> origins;
    for (const PresenceSession &s : sessions_)
        if (std::find(fingerprints.begin(), fingerprints.end(), s.certificate_fingerprint) !=
            fingerprints.end())
            origins.insert(s.origin);
    return origins.size();
}

std::size_t LoginStore::session_count() const
{
    std::lock_guard lock(mutex_);
    return sessions_.size();
}

} // namespace cardbound::host
