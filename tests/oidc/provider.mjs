// A real OpenID provider for the tests of `saman login` (npm's oidc-provider): the
// device authorization grant (RFC 8628) for the public client `saman-cli`, refresh
// tokens, and JWT access tokens for the audience `saman` signed with an ES256 key made at
// start, carrying the claims the services map (docs/security.md, "Roles and claims") for
// a fixed list of accounts. Serves HTTPS on 127.0.0.1 with the certificate it is given.
//
//   node provider.mjs --cert server.pem --key server-key.pem
//        [--access-token-ttl SECONDS] [--device-code-ttl SECONDS]
//
// Prints `listening https://127.0.0.1:PORT` once it serves (the port is the system's
// choice). The login and consent pages are oidc-provider's development interactions;
// a login names one of ACCOUNTS (any password), any other is refused at consent.

import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { parseArgs } from 'node:util';

import Provider, { errors } from 'oidc-provider';

/** The accounts: their ids are the tokens' `sub`; the claims as the services read them. */
const ACCOUNTS = {
  'office-1': { roles: ['programme-office'], preferred_username: 'rahimi' },
  'supervisor-1': { roles: ['county-supervisor'], preferred_username: 'karimi' },
  'member-1': { roles: ['ngo-member'], saman_ngo: 'ngo-01', saman_member: 'm-001' },
  'officer-1': { roles: ['agency-officer'], saman_agency: 'water', preferred_username: 'ahmadi' },
  'operator-1': { roles: ['operator'], preferred_username: 'ops' },
};

/** The audience of every access token, as the services expect by default, and the
 * resource indicator (RFC 8707: an absolute URI) that stands for the services. */
const AUDIENCE = 'saman';
const RESOURCE = 'urn:saman:services';

const { values: args } = parseArgs({
  options: {
    cert: { type: 'string' },
    key: { type: 'string' },
    'access-token-ttl': { type: 'string', default: '600' },
    'device-code-ttl': { type: 'string', default: '600' },
  },
});
if (!args.cert || !args.key) {
  console.error('usage: node provider.mjs --cert PEM --key PEM [--access-token-ttl S] [--device-code-ttl S]');
  process.exit(2);
}
const accessTokenTtl = Number(args['access-token-ttl']);
const deviceCodeTtl = Number(args['device-code-ttl']);

const signingKey = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  .privateKey.export({ format: 'jwk' });

const server = createServer({
  cert: readFileSync(args.cert),
  key: readFileSync(args.key),
});

server.listen(0, '127.0.0.1', () => {
  const issuer = `https://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: 'saman-cli',
      client_name: 'saman command line',
      token_endpoint_auth_method: 'none',
      id_token_signed_response_alg: 'ES256',
      grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
      response_types: [],
      redirect_uris: [],
    }],
    jwks: { keys: [{ ...signingKey, kid: 'test-es256', alg: 'ES256', use: 'sig' }] },
    features: {
      devInteractions: { enabled: true },
      deviceFlow: { enabled: true },
      revocation: { enabled: true },
      resourceIndicators: {
        enabled: true,
        // A client that names no resource gets a token for the services.
        defaultResource: () => RESOURCE,
        useGrantedResource: () => true,
        getResourceServerInfo: (ctx, resource) => {
          if (resource !== RESOURCE) throw new errors.InvalidTarget();
          return {
            scope: 'saman',
            audience: AUDIENCE,
            accessTokenTTL: accessTokenTtl,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'ES256' } },
          };
        },
      },
    },
    scopes: ['openid', 'offline_access', 'saman'],
    ttl: {
      AccessToken: accessTokenTtl,
      DeviceCode: deviceCodeTtl,
      RefreshToken: 24 * 3600,
      Grant: 24 * 3600,
      Session: 24 * 3600,
      Interaction: 3600,
      IdToken: 3600,
    },
    // Every grant of the device flow gets a refresh token (the CLI refreshes with it).
    issueRefreshToken: async (ctx, client) => client.grantTypeAllowed('refresh_token'),
    async findAccount(ctx, id) {
      const claims = ACCOUNTS[id];
      if (!claims) return undefined;
      return { accountId: id, claims: async () => ({ sub: id, ...claims }) };
    },
    // The services read the roles and names from the access token itself.
    async extraTokenClaims(ctx, token) {
      if (token.kind !== 'AccessToken') return undefined;
      return ACCOUNTS[token.accountId];
    },
  });
  // Cookies over HTTPS: the server is the TLS end.
  server.on('request', provider.callback());
  console.log(`listening ${issuer}`);
});
