// Names as a person reads them, from what the host reports: distinguished
// names (RFC 4514 strings: "C=EE, O=Cardbound Test, CN=localhost") and the
// site's origin. No browser API here, so the unit tests run it in node.

// The attributes of a distinguished name, in order: [['C', 'EE'], ['O', …]].
// Escaped characters (\, \+ …) are taken as they are meant.
export function dnAttributes(dn) {
  const attributes = [];
  const re = /(?:^|,\s*)([A-Za-z][\w.-]*)=((?:\\.|[^,\\])*)/g;
  for (const m of String(dn ?? '').matchAll(re)) attributes.push([m[1].toUpperCase(), m[2].replace(/\\(.)/g, '$1').trim()]);
  return attributes;
}

function attribute(dn, name) {
  return dnAttributes(dn).find(([key]) => key === name)?.[1] ?? '';
}

// The issuer's common name, or the whole issuer.
export function issuerName(issuer) {
  return attribute(issuer, 'CN') || (issuer ?? '');
}

// Who the site proved to be: the organisation of its certificate (if it
// names one) and the host of the origin, which the host program checked the
// certificate names. A raw DN means little to a person; these two do.
export function siteIdentity(subject, origin) {
  let host = '';
  try {
    host = new URL(origin).hostname;
  } catch {
    host = attribute(subject, 'CN');
  }
  return { organisation: attribute(subject, 'O'), host };
}

// The origin in pieces that may each start a line ("https://", "login",
// ".bank", ".example", ":8443"): a window too narrow for the whole origin
// breaks it only between a scheme, a label of the host name and the port,
// never inside one (no "localhost:417 / 01").
export function originPieces(origin) {
  const m = /^([a-z][a-z0-9+.-]*:\/\/)(\[[^\]]*\]|[^:/]*)(:\d+)?$/i.exec(String(origin ?? ''));
  if (!m) return [String(origin ?? '')];
  const [, scheme, host, port] = m;
  const whole = host.startsWith('[') || /^[\d.]+$/.test(host); // an IP address is one piece
  const labels = whole ? [host] : host.split(/(?=\.)/);
  return [scheme, ...labels, ...(port ? [port] : [])];
}
