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
check_exit "a non-canonical --origin is refused at start (usage)" 2 "--origin is not a canonical origin" \
    verify --token "$vector" --origin "https://ria.ee/" --nonce "$nonce" --at "$at"
check_exit "an http:// --origin is refused at start (usage)" 2 "--origin is not an https origin" \
    verify --token "$vector" --origin "http://ria.ee" --nonce "$nonce" --at "$at"
printf 'not json at all' >"$WORK/not-json.json"
check_exit "a token file that is not JSON is TOKEN_MALFORMED (exit 1), as from the library" 1 "^TOKEN_MALFORMED" \
    verify --token "$WORK/not-json.json" --origin "$origin" --nonce "$nonce" --at "$at"
printf '[1, 2]' >"$WORK/array.json"
check_exit "a token that is not an object is TOKEN_MALFORMED" 1 "^TOKEN_MALFORMED" \
    verify --token "$WORK/array.json" --origin "$origin" --nonce "$nonce" --at "$at"
node -e '
  const fs = require("fs");
  const v = JSON.parse(fs.readFileSync(process.argv[1]));
  v.token.algorithm = "ES256K";
  fs.writeFileSync(process.argv[2], JSON.stringify(v));' "$vector" "$WORK/es256k.json"
check_exit "an algorithm we do not know is ALGORITHM_UNSUPPORTED" 1 "^ALGORITHM_UNSUPPORTED" \
    verify --token "$WORK/es256k.json" --origin "$origin" --nonce "$nonce" --at "$at"
node -e '
  const fs = require("fs");
  const v = JSON.parse(fs.readFileSync(process.argv[1]));
  delete v.token.appVersion;
  v.token.futureMember = { anything: [1, 2, 3] };
  fs.writeFileSync(process.argv[2], JSON.stringify(v));' "$vector" "$WORK/lean.json"
check_output "without appVersion and with a member of a later format it still validates" '"personalCode": "PNOEE-38001085718"' \
    verify --token "$WORK/lean.json" --origin "$origin" --nonce "$nonce" --at "$at"

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
# The card's own certificate as an anchor: not a CA, refused at start, named.
node -e '
  const v = require(process.argv[1]);
  const b64 = v.token.unverifiedCertificate.match(/.{1,64}/g).join("\n");
  console.log(`-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----`);' "$vector" >"$WORK/leaf.pem"
check_exit "a --trust file holding a certificate that is not a CA is refused at start, naming it" 2 \
    "leaf.pem: .*JÕEORG.* is not a CA certificate" \
    "$VERIFY" --trust "$WORK/leaf.pem" --ocsp off --token "$vector" --origin "$origin" --nonce "$nonce" --at "$at"
done_testing
