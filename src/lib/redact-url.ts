/**
 * URLs as the log keeps them: a client may put its API key in the query
 * string (`?api_key=`, `?token=`, `?access_token=`...), which the service
 * never reads but the request log would keep as sent. A parameter whose name
 * looks like a credential keeps its name and loses its value; the rest of
 * the URL is left exactly as sent.
 */

/** Names that carry secrets, as found in the wild: api_key, apiKey, key, token, access_token, client_secret, password, auth, sig... */
const SECRET_NAME = /key|token|secret|passw|auth|sig|session|credential|bearer/i;

export const REDACTED = '[redacted]';

function decodedName(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    return raw;
  }
}

export function redactUrl(url: string): string {
  const at = url.indexOf('?');
  if (at < 0) return url;
  const query = url
    .slice(at + 1)
    .split('&')
    .map((pair) => {
      const equals = pair.indexOf('=');
      const name = equals < 0 ? pair : pair.slice(0, equals);
      return SECRET_NAME.test(decodedName(name)) && equals >= 0 ? `${name}=${REDACTED}` : pair;
    })
    .join('&');
  return `${url.slice(0, at)}?${query}`;
}
