#include "validation/checks/trust_path_check.h"

#include "cardbound/crypto/cert_path.h"

#include <stdexcept>

namespace cardbound::server
{

namespace
{

ValidationCode code_for(PathProblem p)
{
    switch (p) {
    case PathProblem::Expired: return ValidationCode::CertExpired;
    case PathProblem::NotYetValid: return ValidationCode::CertNotYetValid;
    case PathProblem::WrongPurpose: return ValidationCode::CertWrongPurpose;
    case PathProblem::Revoked: return ValidationCode::CertRevoked;
    case PathProblem::RevocationUnknown: return ValidationCode::RevocationUnknown;
    case PathProblem::None:
    case PathProblem::Untrusted:
    case PathProblem::WeakAlgorithm: break;
    }
    return ValidationCode::CertUntrusted;
}

// A stack that borrows its CRLs (their sources own them).
void free_borrowing_stack(STACK_OF(X509_CRL) * s)
{
    sk_X509_CRL_free(s);
}
using CrlStack = std::unique_ptr<STACK_OF(X509_CRL), ossl::Deleter<free_borrowing_stack>>;

} // namespace

TrustPathCheck::TrustPathCheck(std::shared_ptr<const TrustAnchors> anchors,
                               std::vector<ossl::X509Ptr> intermediates,
                               std::vector<std::shared_ptr<CrlSource>> crls)
    : anchors_(std::move(anchors)), intermediates_(std::move(intermediates)), crls_(std::move(crls))
{
    if (!anchors_)
        throw std::invalid_argument("a token validator needs trust anchors");
}

void TrustPathCheck::run(Candidate &c) const
{
    PathPolicy policy;
    policy.purpose = PathPurpose::TlsClient;
    policy.at = c.at;
    policy.strict = true;
    policy.crls = !crls_.empty();
    // The CRLs current at the validation time; held until the check is done.
    std::vector<std::shared_ptr<X509_CRL>> held;
    CrlStack stack(sk_X509_CRL_new_null());
    for (const auto &source : crls_)
        if (auto crl = source->current(c.at)) {
            held.push_back(crl);
            sk_X509_CRL_push(stack.get(), crl.get());
        }
    PathResult r =
        verify_path(anchors_->store(), c.certificate.get(), intermediates_, policy, stack.get());
    if (!r.ok())
        refuse(code_for(r.problem), "certificate path: " + r.why);
    c.chain = std::move(r.chain);
}

} // namespace cardbound::server
