#include "store/redis_session_store.h"

#include "cardbound/crypto/encoding.h"
#include "session/session_key.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <openssl/x509.h>
#include <stdexcept>

namespace cardbound::server
{

namespace
{

// Tripwires: a field added to Identity or Session must be added to
// serialise() and parse() too (else it would silently be lost on the way
// through Redis). Identity is all strings, so its check is exact; Session's
// catches most additions (a small one may hide in padding).
static_assert(sizeof(Identity) == 11 * sizeof(std::string),
              "Identity changed: serialise every field in redis_session_store.cpp");
struct SessionFields {
    std::string id, tag, origin;
    Identity identity;
    std::shared_ptr<EVP_PKEY> public_key;
    Algorithm algorithm;
    bool confirmed;
    std::string pending_nonce, answered_nonce;
    std::time_t deadline;
};
static_assert(sizeof(Session) == sizeof(SessionFields),
              "Session changed: serialise every field in redis_session_store.cpp");

// The "v" of the stored JSON. 2: without the id (1 had it, under keys named
// by it; a server of this version does not see those sessions).
constexpr int kFormat = 2;
constexpr std::size_t kExpireBatch = 1000;
constexpr int kMaxExpireBatches = 100; // a call ends at most 100'000 sessions

// KEYS[1] the deadlines, KEYS[2] the session's Redis key; ARGV[1] its key
// (the index member), ARGV[2] now. Takes the session out if its deadline
// (still) passed: 1; nil when another call took it or its deadline moved on.
const RedisScript &end_script()
{
    static const RedisScript script(R"lua(
local deadline = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not deadline or tonumber(deadline) >= tonumber(ARGV[2]) then return false end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('DEL', KEYS[2])
return 1
)lua");
    return script;
}

// The presence steps' checks, on Redis's side: the same checks, in the same
// order, as MemorySessionStore's (session_store.cpp), on the stored JSON
// (serialise()), which cjson reads and writes back: its other fields pass
// through unchanged (cjson writes a deadline, a whole number of seconds, in
// full up to 14 digits; a "/" as "\/", which is the same JSON string).
// A key that is not a session of this format fails the call
// (StoreUnavailable), as parse() does.
std::string read_session()
{
    const std::string v = std::to_string(kFormat);
    return "local v = redis.call('GET', KEYS[1])\n"
           "if not v then return {'gone'} end\n"
           "local s = cjson.decode(v)\n"
           "if s.v ~= " +
           v + " then return redis.error_reply('a session in Redis is not in format " + v +
           "') end\n";
}

// KEYS[1] the session, KEYS[2] the deadlines; ARGV[1] its key (the index
// member), ARGV[2] now, ARGV[3] the proof's tag, ARGV[4] its nonce, ARGV[5]
// the new deadline, ARGV[6] its EXAT, ARGV[7] "1" when it must be confirmed.
// {outcome}; the deadline, the key's TTL and the index move together.
const RedisScript &prove_script()
{
    static const RedisScript script(read_session() + R"lua(
if tonumber(ARGV[2]) > s.deadline then return {'late'} end
if ARGV[7] == '1' and not s.confirmed then return {'not-confirmed'} end
if s.tag ~= ARGV[3] then return {'other-session'} end
if s.answeredNonce == ARGV[4] then return {'replayed'} end
if s.pendingNonce ~= ARGV[4] then return {'unknown-nonce'} end
s.answeredNonce = s.pendingNonce
s.confirmed = true
s.deadline = tonumber(ARGV[5])
redis.call('SET', KEYS[1], cjson.encode(s), 'EXAT', ARGV[6])
redis.call('ZADD', KEYS[2], ARGV[5], ARGV[1])
return {'done'}
)lua");
    return script;
}

// KEYS[1] the session; ARGV[1] now, ARGV[2] the new pending nonce.
// {outcome, tag, origin, deadline}; the TTL stays (the deadline does).
const RedisScript &rotate_script()
{
    static const RedisScript script(read_session() + R"lua(
if tonumber(ARGV[1]) > s.deadline then return {'late'} end
if not s.confirmed then return {'not-confirmed'} end
s.pendingNonce = ARGV[2]
redis.call('SET', KEYS[1], cjson.encode(s), 'KEEPTTL')
return {'done', s.tag, s.origin, string.format('%d', s.deadline)}
)lua");
    return script;
}

PresenceCheck presence_check_from(const std::string &outcome)
{
    static const std::pair<std::string_view, PresenceCheck> outcomes[] = {
        {"done", PresenceCheck::Done},
        {"gone", PresenceCheck::Gone},
        {"late", PresenceCheck::Late},
        {"not-confirmed", PresenceCheck::NotConfirmed},
        {"other-session", PresenceCheck::OtherSession},
        {"replayed", PresenceCheck::Replayed},
        {"unknown-nonce", PresenceCheck::UnknownNonce}};
    for (const auto &[name, check] : outcomes)
        if (outcome == name)
            return check;
    throw StoreUnavailable("Redis answered a presence step with \"" + outcome + "\"");
}

// A script's {outcome, ...} reply: its strings.
std::vector<std::string> script_strings(const redisReply *r, std::size_t at_least)
{
    if (r->type != REDIS_REPLY_ARRAY || r->elements < at_least)
        throw StoreUnavailable("Redis answered a presence step with no outcome");
    std::vector<std::string> out;
    for (std::size_t i = 0; i < r->elements; i++)
        out.push_back(reply_text(r->element[i]));
    return out;
}

std::string expire_at(std::time_t deadline)
{
    return std::to_string(std::max<std::time_t>(deadline, 1)); // EXAT wants > 0
}

nlohmann::json identity_json(const Identity &id)
{
    return {{"subject", id.subject},
            {"holder", id.holder},
            {"givenName", id.given_name},
            {"surname", id.surname},
            {"personalCode", id.personal_code},
            {"country", id.country},
            {"issuer", id.issuer},
            {"serialNumber", id.serial_number},
            {"fingerprint", id.fingerprint},
            {"notAfter", id.not_after},
            {"algorithm", id.algorithm}};
}

Identity identity_from(const nlohmann::json &j)
{
    Identity id;
    id.subject = j.at("subject").get<std::string>();
    id.holder = j.at("holder").get<std::string>();
    id.given_name = j.at("givenName").get<std::string>();
    id.surname = j.at("surname").get<std::string>();
    id.personal_code = j.at("personalCode").get<std::string>();
    id.country = j.at("country").get<std::string>();
    id.issuer = j.at("issuer").get<std::string>();
    id.serial_number = j.at("serialNumber").get<std::string>();
    id.fingerprint = j.at("fingerprint").get<std::string>();
    id.not_after = j.at("notAfter").get<std::string>();
    id.algorithm = j.at("algorithm").get<std::string>();
    return id;
}

std::string public_key_der_base64(EVP_PKEY *key)
{
    if (!key)
        return {};
    int len = i2d_PUBKEY(key, nullptr);
    if (len <= 0)
        throw std::runtime_error("the session's public key cannot be written as DER: " +
                                 ossl::last_error());
    Bytes der(static_cast<std::size_t>(len));
    unsigned char *p = der.data();
    if (i2d_PUBKEY(key, &p) != len)
        throw std::runtime_error("the session's public key cannot be written as DER");
    return base64_encode(der);
}

std::shared_ptr<EVP_PKEY> public_key_from(const std::string &b64)
{
    if (b64.empty())
        return nullptr;
    auto der = base64_decode(b64);
    if (!der)
        throw std::invalid_argument("the public key is not base64");
    const unsigned char *p = der->data();
    EVP_PKEY *key = d2i_PUBKEY(nullptr, &p, static_cast<long>(der->size()));
    if (!key)
        throw std::invalid_argument("the public key is not DER SubjectPublicKeyInfo: " +
                                    ossl::last_error());
    std::shared_ptr<EVP_PKEY> owned(key, EVP_PKEY_free);
    if (p != der->data() + der->size())
        throw std::invalid_argument("the public key has bytes after its DER");
    return owned;
}

// Any error reply of a pipeline, or inside EXEC's results, fails the call.
void check_transaction(const std::vector<RedisReply> &replies, const std::string &what)
{
    auto check = [&](const redisReply *r) {
        if (r->type == REDIS_REPLY_ERROR)
            throw StoreUnavailable("Redis refused to " + what + ": " + reply_text(r));
    };
    for (const RedisReply &r : replies) {
        check(r.get());
        if (r->type == REDIS_REPLY_ARRAY)
            for (std::size_t i = 0; i < r->elements; i++)
                check(r->element[i]);
    }
}

} // namespace

RedisSessionStore::RedisSessionStore(std::shared_ptr<RedisClient> redis, std::string prefix)
    : redis_(std::move(redis)), prefix_(std::move(prefix))
{
    if (!redis_)
        throw std::invalid_argument("a Redis session store needs a Redis client");
}

std::string RedisSessionStore::serialise(const Session &s)
{
    nlohmann::json j = {{"v", kFormat},
                        {"tag", s.tag},
                        {"origin", s.origin},
                        {"identity", identity_json(s.identity)},
                        {"publicKey", public_key_der_base64(s.public_key.get())},
                        {"algorithm", std::string(to_string(s.algorithm))},
                        {"confirmed", s.confirmed},
                        {"pendingNonce", s.pending_nonce},
                        {"answeredNonce", s.answered_nonce},
                        {"deadline", static_cast<long long>(s.deadline)}};
    return j.dump();
}

Session RedisSessionStore::parse(std::string_view text)
{
    try {
        nlohmann::json j = nlohmann::json::parse(text);
        if (j.at("v").get<int>() != kFormat)
            throw std::invalid_argument("it is stored in format " + j.at("v").dump() +
                                        ", this server reads " + std::to_string(kFormat));
        Session s;
        s.tag = j.at("tag").get<std::string>();
        s.origin = j.at("origin").get<std::string>();
        s.identity = identity_from(j.at("identity"));
        s.public_key = public_key_from(j.at("publicKey").get<std::string>());
        auto algorithm = algorithm_from_string(j.at("algorithm").get<std::string>());
        if (!algorithm)
            throw std::invalid_argument("unknown algorithm " + j.at("algorithm").dump());
        s.algorithm = *algorithm;
        s.confirmed = j.at("confirmed").get<bool>();
        s.pending_nonce = j.at("pendingNonce").get<std::string>();
        s.answered_nonce = j.at("answeredNonce").get<std::string>();
        s.deadline = static_cast<std::time_t>(j.at("deadline").get<long long>());
        return s;
    } catch (const nlohmann::json::exception &e) {
        throw StoreUnavailable(std::string("a session in Redis cannot be read: ") + e.what());
    } catch (const std::invalid_argument &e) {
        throw StoreUnavailable(std::string("a session in Redis cannot be read: ") + e.what());
    }
}

std::string RedisSessionStore::key_of(const std::string &id) const
{
    return redis_key(session_key(id));
}

void RedisSessionStore::put(const Session &s)
{
    const std::string key = session_key(s.id);
    auto replies = redis_->lease().pipeline(
        {{"MULTI"},
         {"SET", redis_key(key), serialise(s), "EXAT", expire_at(s.deadline)},
         {"ZADD", deadlines_key(), std::to_string(s.deadline), key},
         {"EXEC"}});
    check_transaction(replies, "store a session");
}

PresenceCheck RedisSessionStore::prove_presence(const std::string &id, const PresenceAnswer &answer)
{
    const std::string member = session_key(id);
    RedisReply r =
        redis_->lease().eval(prove_script(), {redis_key(member), deadlines_key()},
                             {member, std::to_string(answer.now), answer.tag, answer.nonce,
                              std::to_string(answer.deadline), expire_at(answer.deadline),
                              answer.must_be_confirmed ? "1" : "0"});
    return presence_check_from(script_strings(r.get(), 1)[0]);
}

PresenceRotation RedisSessionStore::rotate_presence(const std::string &id, const std::string &nonce,
                                                    std::time_t now)
{
    RedisReply r =
        redis_->lease().eval(rotate_script(), {key_of(id)}, {std::to_string(now), nonce});
    std::vector<std::string> got = script_strings(r.get(), 1);
    PresenceRotation rotation;
    rotation.check = presence_check_from(got[0]);
    if (rotation.check != PresenceCheck::Done)
        return rotation;
    if (got.size() != 4)
        throw StoreUnavailable("Redis answered a presence challenge without its session");
    rotation.tag = std::move(got[1]);
    rotation.origin = std::move(got[2]);
    try {
        rotation.deadline = static_cast<std::time_t>(std::stoll(got[3]));
    } catch (const std::exception &) {
        throw StoreUnavailable("Redis gave a session's deadline as \"" + got[3] + "\"");
    }
    return rotation;
}

std::optional<Session> RedisSessionStore::get(const std::string &id) const
{
    RedisReply r = redis_->command({"GET", key_of(id)});
    if (r->type == REDIS_REPLY_NIL)
        return std::nullopt;
    Session s = parse(reply_text(r.get()));
    s.id = id;
    return s;
}

bool RedisSessionStore::erase(const std::string &id)
{
    const std::string member = session_key(id);
    auto replies = redis_->lease().pipeline(
        {{"MULTI"}, {"DEL", redis_key(member)}, {"ZREM", deadlines_key(), member}, {"EXEC"}});
    check_transaction(replies, "end a session");
    const redisReply *exec = replies.back().get();
    if (exec->type != REDIS_REPLY_ARRAY || exec->elements != 2)
        throw StoreUnavailable("Redis answered a session's end with no result");
    return exec->element[0]->integer > 0 || exec->element[1]->integer > 0;
}

std::vector<std::string> RedisSessionStore::expire(std::time_t now)
{
    std::vector<std::string> ended;
    RedisClient::Lease lease = redis_->lease();
    for (int batch = 0; batch < kMaxExpireBatches; batch++) {
        RedisReply due =
            lease.command({"ZRANGEBYSCORE", deadlines_key(), "-inf", "(" + std::to_string(now),
                           "LIMIT", "0", std::to_string(kExpireBatch)});
        if (due->type != REDIS_REPLY_ARRAY)
            throw StoreUnavailable("Redis answered ZRANGEBYSCORE with no list");
        if (due->elements == 0)
            break;
        std::vector<std::pair<std::vector<std::string>, std::vector<std::string>>> runs;
        for (std::size_t i = 0; i < due->elements; i++) {
            std::string key = reply_text(due->element[i]);
            runs.push_back({{deadlines_key(), redis_key(key)}, {key, std::to_string(now)}});
        }
        auto taken = lease.eval_many(end_script(), runs);
        for (std::size_t i = 0; i < taken.size(); i++) {
            const redisReply *r = taken[i].get();
            if (r->type == REDIS_REPLY_ERROR)
                throw StoreUnavailable("Redis refused to end a session: " + reply_text(r));
            if (r->type == REDIS_REPLY_NIL)
                continue; // another instance ended it, or its deadline moved on
            if (r->type != REDIS_REPLY_INTEGER)
                throw StoreUnavailable("Redis answered a session's end with no result");
            ended.push_back(runs[i].second[0]);
        }
        if (due->elements < kExpireBatch)
            break;
    }
    return ended;
}

std::size_t RedisSessionStore::size() const
{
    RedisReply r = redis_->command({"ZCARD", deadlines_key()});
    if (r->type != REDIS_REPLY_INTEGER || r->integer < 0)
        throw StoreUnavailable("Redis answered ZCARD with no count");
    return static_cast<std::size_t>(r->integer);
}

} // namespace cardbound::server
