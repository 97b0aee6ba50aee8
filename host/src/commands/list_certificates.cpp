// list-certificates: every usable certificate on every card for one purpose
// (`purpose`: "login", the default, or "sign"), described for the
// extension's certificate picker. Read on the card scanner's thread.
#include "cardbound/crypto/certificate.h"
#include "commands/context.h"

namespace cardbound::host
{

namespace
{

nlohmann::json describe_all(const std::vector<CardCertificate> &certificates, bool signing)
{
    // The answer must stay under 1 MiB; no real card holds this many.
    constexpr std::size_t kMaxCertificates = 64;
    nlohmann::json list = nlohmann::json::array();
    for (const auto &c : certificates) {
        if (list.size() == kMaxCertificates)
            break;
        if (!(signing ? c.use.signing : c.use.login))
            continue;
        CertificateDescription d = describe(c.certificate.get());
        list.push_back(
            {{"fingerprint", c.fingerprint},
             {"certificate", base64_encode(certificate_der(c.certificate.get()))},
             {"subject", d.subject},
             {"issuer", d.issuer},
             {"holder", d.holder},
             {"serialNumber", d.serial_hex},
             {"notBefore", format_time(d.not_before)},
             {"notAfter", format_time(d.not_after)},
             {"keyType", d.key_type},
             {"keySize", d.key_bits},
             {"curve", d.curve.empty() ? nlohmann::json(nullptr) : nlohmann::json(d.curve)},
             {"keyUsage", d.key_usage},
             {"extendedKeyUsage", d.extended_key_usage},
             {"algorithm", to_string(c.algorithm)},
             {"reader", c.reader},
             {"tokenLabel", c.token_label},
             {"module", c.module},
             {"pinPad", c.pin_pad},
             {"pinState", c.pin_state}});
    }
    return {{"certificates", list}};
}

} // namespace

Reply handle_list_certificates(Request &request, HostContext &context)
{
    allow_only_arguments(request, {"purpose"});
    std::string purpose = optional_string_argument(request, "purpose", 8).value_or("login");
    if (purpose != "login" && purpose != "sign")
        throw HostError(ErrorCode::BadRequest, "purpose is \"login\" or \"sign\"");
    context.cards->on_scanner([&context, id = request.id, signing = purpose == "sign"] {
        context.answer(id, "list-certificates", [&]() -> Reply {
            return describe_all(context.cards->list_certificates(), signing);
        });
    });
    return std::nullopt;
}

} // namespace cardbound::host
