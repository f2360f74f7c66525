/* SPDX-License-Identifier: MIT
 * cm_redact: takes what looks like a secret out of a line of text before it is logged or sent
 * to the audit log (cm_audit, auth_audit). It works on shapes, not on knowledge: a token it
 * does not recognise passes, and an innocent string of the right shape (a long hex hash) is
 * redacted too. Callers still never pass secrets on purpose; this is the net under them. */
#ifndef CM_REDACT_H
#define CM_REDACT_H

#define CM_REDACTED "[redacted]" /* what a secret becomes (or "*" when it was shorter) */

/* Replace in place, in the NUL-terminated string `s`, each of:
 *  - a JWT: three base64url segments joined by dots, the first starting "eyJ";
 *  - a run of 41 or more base64url or hex characters ([A-Za-z0-9_-], with trailing '='
 *    padding): refresh tokens (43), keys, password hashes. Session ids (32 hex) and
 *    info-hashes (40 hex) are identifiers, not secrets, and stay readable in the audit log;
 *    every secret we make is 43 characters or more;
 *  - the value after a word ending in "password", "passwd", "secret" or "token", or a word
 *    "key" / ending in "_key", "-key", "apikey", followed by '=' or ':' (the word may be
 *    quoted: "password":"x"), the value quoted (up to the closing quote, backslash escapes
 *    honoured) or not (up to a space, '&', ',', ';', a quote or a closing bracket);
 *  - the word after "Bearer ".
 * Each becomes CM_REDACTED, or "*" when the secret was shorter than that: the result is never
 * longer than `s`. The key words match in any case. Bytes outside ASCII are copied untouched,
 * so valid UTF-8 stays valid UTF-8. `s` NULL is a no-op. Pure; any thread. */
void cm_redact(char *s);

#endif
