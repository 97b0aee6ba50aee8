#include "commands/login_store.h"

#include "cardbound/crypto/encoding.h"

#include <algorithm>

namespace cardbound::host
{

void LoginStore::expire(std::time_t now)
{
    std::erase_if(logins_, [&](const PendingLogin &l) { return l.expires <= now; });
    std::erase_if(sessions_, [&](const PresenceSession &s) { return s.expires <= now; });
}

PendingLogin &LoginStore::begin(const std::string &origin, std::time_t now)
{
    expire(now);
    if (logins_.size() >= kMaxLogins)
        logins_.pop_front();
    PendingLogin l;
    l.login_id = base64url_encode(random_bytes(16));
    l.origin = origin;
    l.host_nonce = base64_encode(random_bytes(32));
    l.expires = now + kLoginLifetimeSeconds;
    logins_.push_back(std::move(l));
    return logins_.back();
}

PendingLogin &LoginStore::find(const std::string &login_id, const std::string &origin,
                               std::time_t now)
{
    expire(now);
    for (auto &l : logins_)
        if (l.login_id == login_id && l.origin == origin)
            return l;
    throw HostError(ErrorCode::LoginUnknown, "no such login for this origin (expired or used?)");
}

void LoginStore::finish(const std::string &login_id)
{
    std::erase_if(logins_, [&](const PendingLogin &l) { return l.login_id == login_id; });
}

PresenceSession &LoginStore::add_session(PresenceSession s)
{
    // A new login for the same tag replaces the old one.
    end_sessions(s.origin, s.session_tag);
    if (sessions_.size() >= kMaxSessions)
        sessions_.pop_front();
    sessions_.push_back(std::move(s));
    return sessions_.back();
}

PresenceSession &LoginStore::find_session(const std::string &origin, const std::string &tag,
                                          std::time_t now)
{
    expire(now);
    for (auto &s : sessions_)
        if (s.origin == origin && s.session_tag == tag)
            return s;
    throw HostError(ErrorCode::NotLoggedIn, "no presence session for this origin and tag");
}

std::vector<std::string> LoginStore::end_sessions(const std::string &origin, const std::string &tag)
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

bool LoginStore::certificate_in_use(const std::string &fingerprint) const
{
    return std::any_of(sessions_.begin(), sessions_.end(), [&](const PresenceSession &s) {
        return s.certificate_fingerprint == fingerprint;
    });
}

} // namespace cardbound::host
