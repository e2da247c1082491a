// The Gmail client from the per-API package @googleapis/gmail (the same generated code googleapis
// bundles, without the ~200 MB of every other Google API). Everything Gmail-related imports the
// client and its types from here, so the package is named in one place.
import { auth, gmail, type gmail_v1 } from '@googleapis/gmail';

export const google = { auth, gmail };
export type { gmail_v1 };
export type OAuth2Client = InstanceType<typeof auth.OAuth2>;
export type Credentials = OAuth2Client['credentials'];
export type CodeChallengeMethod = NonNullable<
  Parameters<OAuth2Client['generateAuthUrl']>[0]
>['code_challenge_method'];
