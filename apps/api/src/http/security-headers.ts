// Headers sent with every API response. The API serves JSON and checkpoint files, never a page: nothing may frame
// it, load it as a script or style, or learn from the Referer which run a user looked at.
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'x-frame-options': 'DENY',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};
