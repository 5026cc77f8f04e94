// Headers sent with every API response. The API serves JSON and checkpoint files, and as its only page the explorer
// offer of explorer-offer.ts (whose CSP allows just its own style sheet): nothing may frame it, load it as a script or
// style, or learn from the Referer which run a user looked at.
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'x-frame-options': 'DENY',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};
