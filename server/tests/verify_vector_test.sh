#!/usr/bin/env bash
# cardbound-verify on the real Web eID token of ../shared/vectors/web-eid:
# valid at its time, expired today, and every tampering caught.
source "$(dirname "${BASH_SOURCE[0]}")/../../tests/integration/lib.sh"
VERIFY="${CARDBOUND_BUILD_DIR:-$REPO_ROOT/build}/server/cardbound-verify"
vectors="${CARDBOUND_SHARED_DIR:-$REPO_ROOT/../shared}/vectors/web-eid"
[[ -f "$vectors/valid-es384.json" ]] || fail "the Web eID vector is missing from $vectors"
vector="$vectors/valid-es384.json"
origin="$(node -e 'console.log(require(process.argv[1]).origin)' "$vector")"
nonce="$(node -e 'console.log(require(process.argv[1]).challengeNonce)' "$vector")"
at="$(node -e 'console.log(require(process.argv[1]).validationTime)' "$vector")"

# The certificate's OCSP responder is on the internet, which tests never
# reach: revocation is not checked here (the PKI test covers it).
verify() { "$VERIFY" --trust "$vectors/trusted-ca.pem" --ocsp off "$@"; }

check_output "the Web eID token validates at $at" '"personalCode": "PNOEE-38001085718"' \
    verify --token "$vector" --origin "$origin" --nonce "$nonce" --at "$at"
check_fails "it is CERT_EXPIRED today" "^CERT_EXPIRED" \
    verify --token "$vector" --origin "$origin" --nonce "$nonce"
check_fails "another nonce breaks the signature" "^SIGNATURE_INVALID" \
    verify --token "$vector" --origin "$origin" --nonce "${nonce}0" --at "$at"
check_fails "another origin breaks the signature" "^SIGNATURE_INVALID" \
    verify --token "$vector" --origin "https://ria.ee.example" --nonce "$nonce" --at "$at"
check_fails "a non-canonical origin is an origin mismatch" "^ORIGIN_MISMATCH" \
    verify --token "$vector" --origin "https://ria.ee/" --nonce "$nonce" --at "$at"

# tamper FIELD BYTE-INDEX: flips one bit of one byte of a base64 field.
tamper() {
    node -e '
      const fs = require("fs");
      const v = JSON.parse(fs.readFileSync(process.argv[1]));
      const b = Buffer.from(v.token[process.argv[2]], "base64");
      b[Number(process.argv[3])] ^= 0x01;
      v.token[process.argv[2]] = b.toString("base64");
      fs.writeFileSync(process.argv[4], JSON.stringify(v));' "$vector" "$1" "$2" "$WORK/tampered.json"
}
tamper signature 10
check_fails "one changed byte of the signature" "^SIGNATURE_INVALID" \
    verify --token "$WORK/tampered.json" --origin "$origin" --nonce "$nonce" --at "$at"
# Byte 200 lies inside the signed part of the certificate (the subject).
tamper unverifiedCertificate 200
check_fails "one changed byte of the certificate" "^CERT_UNTRUSTED" \
    verify --token "$WORK/tampered.json" --origin "$origin" --nonce "$nonce" --at "$at"
tamper unverifiedCertificate 1
check_fails "a certificate that no longer parses" "^TOKEN_MALFORMED" \
    verify --token "$WORK/tampered.json" --origin "$origin" --nonce "$nonce" --at "$at"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$WORK/other.key" \
    -subj "/CN=Some Other CA" -days 30 -out "$WORK/other-ca.pem" 2>/dev/null
check_fails "an unrelated trust anchor" "^CERT_UNTRUSTED" \
    "$VERIFY" --trust "$WORK/other-ca.pem" --ocsp off --token "$vector" --origin "$origin" --nonce "$nonce" --at "$at"
done_testing
