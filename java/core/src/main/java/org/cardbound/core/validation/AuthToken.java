package org.cardbound.core.validation;

// The members of a web-eid:1 token that the policy reads (rule 1): the
// card's certificate (DER), the algorithm's name as sent (rule 2 judges it),
// the signature and the optional appVersion (null when absent).
public record AuthToken(byte[] certificate, String algorithmName, byte[] signature, String format, String appVersion) {}
