// Test helper: runs the OAuth web-server flow against the fake with the real OAuth2Client
// (the browser leg is a plain fetch of the consent URL) and returns authorised clients.
//
// @googleapis/gmail ships its own nested google-auth-library (10.5.0 under googleapis-common) next to the
// top-level 10.9.1, so a top-level OAuth2Client does not type-check as `auth` for google.gmail().
// `connect` therefore builds its `auth.OAuth2` (same options, same endpoints); `oauthClient`
// builds the top-level google-auth-library client. Both talk to the fake identically.
import { OAuth2Client } from 'google-auth-library';

import {
  type CodeChallengeMethod,
  type Credentials,
  type gmail_v1,
  google,
  type OAuth2Client as GmailOAuth2Client,
} from '../../../src/providers/gmail/gmail-api.js';
import type { GoogleFake } from './index.js';

export const GMAIL_MODIFY = 'https://www.googleapis.com/auth/gmail.modify';
export const GMAIL_SEND = 'https://www.googleapis.com/auth/gmail.send';

export function oauthClient(fake: GoogleFake): OAuth2Client {
  return new OAuth2Client({
    clientId: fake.defaultClient.clientId,
    clientSecret: fake.defaultClient.clientSecret,
    redirectUri: fake.defaultClient.redirectUris[0],
    endpoints: fake.oauthEndpoints,
  });
}

/** Follows the consent URL like a browser would and returns the redirect's query. */
export async function consent(authUrl: string): Promise<URLSearchParams> {
  const res = await fetch(authUrl, { redirect: 'manual' });
  const location = res.headers.get('location');
  if (res.status !== 302 || !location)
    throw new Error(`consent page answered ${res.status}: ${await res.text()}`);
  return new URL(location).searchParams;
}

export function googleapisOAuthClient(fake: GoogleFake): GmailOAuth2Client {
  return new google.auth.OAuth2({
    clientId: fake.defaultClient.clientId,
    clientSecret: fake.defaultClient.clientSecret,
    redirectUri: fake.defaultClient.redirectUris[0],
    endpoints: fake.oauthEndpoints,
  });
}

export interface Connected {
  auth: GmailOAuth2Client;
  gmail: gmail_v1.Gmail;
  tokens: Credentials;
}

export async function connect(
  fake: GoogleFake,
  email: string,
  scopes = ['openid', 'email', GMAIL_MODIFY],
): Promise<Connected> {
  const auth = googleapisOAuthClient(fake);
  const { codeVerifier, codeChallenge } = await auth.generateCodeVerifierAsync();
  const url = auth.generateAuthUrl({
    access_type: 'offline',
    prompt: 'consent',
    scope: scopes,
    state: 'csrf-1',
    login_hint: email,
    code_challenge: codeChallenge,
    code_challenge_method: 'S256' as CodeChallengeMethod,
  });
  const back = await consent(url);
  const { tokens } = await auth.getToken({ code: back.get('code')!, codeVerifier });
  auth.setCredentials(tokens);
  return { auth, gmail: google.gmail({ version: 'v1', auth, rootUrl: fake.gmailRootUrl }), tokens };
}
