import { TranslationBundle } from '@jupyterlab/translation';

import { IAccessFacts } from '../tokens';
import {
  Action,
  linkRefusal,
  normalPath,
  readOnlyFolderOf,
  shareRefusal
} from './rules';

/**
 * A refused request: its method and its URL below the server's base URL
 * (`api/contents/notes.ipynb`, query string allowed).
 */
export interface IRefusedRequest {
  method: string;
  path: string;
}

/** capella-share's policy: "This is a view-only link: it may not change files." */
const POLICY = /^This is (a view-only|an edit|a full-access) link: it may not /;
const POLICY_KINDS: Record<string, IAccessFacts['permission']> = {
  'a view-only': 'view',
  'an edit': 'edit',
  'a full-access': 'full'
};
/** jupyter_server's Authorizer refusal, which names no link. */
const AUTHORIZER = /^User is not authorized to \w+ on resource: [\w:-]+\.?$/;
/** capella-share's route guard, for routes it does not know. */
const UNCLASSIFIED = 'This address is not available through a share link.';
/** capella-share's read-only share guard. */
const IN_SHARE =
  /^Cannot [\w ]+? (['"])(.*)\1: it lies in a read-only project share\./;
const HOLDS_SHARE =
  /^Cannot [\w ]+? (['"])(.*)\1: it holds the read-only project share (['"])(.+)\3\./;

/**
 * What the refused request tried to do, from its method and route.
 */
export function actionOf(request: IRefusedRequest): Action {
  const route = routeOf(request.path);
  const method = request.method.toUpperCase();
  if (route.startsWith('api/contents')) {
    if (route.includes('/checkpoints')) {
      return 'save';
    }
    switch (method) {
      case 'POST':
        return 'create';
      case 'PUT':
        return 'save';
      case 'PATCH':
        return 'rename';
      case 'DELETE':
        return 'delete';
      default:
        return 'change';
    }
  }
  if (route.startsWith('api/kernels') || route.startsWith('api/sessions')) {
    return 'run';
  }
  if (route.startsWith('api/terminals')) {
    return 'terminals';
  }
  if (route.startsWith('lab/api/settings') || route.startsWith('api/config')) {
    return 'settings';
  }
  if (route.startsWith('api/shutdown')) {
    return 'end-session';
  }
  if (route.startsWith('api/capella-share/links')) {
    return 'links';
  }
  if (route.startsWith('api/capella-share/shares')) {
    return 'shares';
  }
  return 'change';
}

function routeOf(path: string): string {
  return normalPath(path.split(/[?#]/)[0]);
}

/**
 * The reason to show for a 403 from the server, in the product's words and the
 * user's language; null when `message` is no refusal of ours (then the server's
 * words are shown as they are).
 */
export function explainRefusal(
  request: IRefusedRequest,
  message: string,
  facts: IAccessFacts,
  trans: TranslationBundle
): string | null {
  const text = message.trim();
  const action = actionOf(request);
  const policy = text.match(POLICY);
  if (policy) {
    return linkRefusal({ permission: POLICY_KINDS[policy[1]] }, action, trans);
  }
  if (AUTHORIZER.test(text)) {
    // the owner's own Authorizer said no: that is not ours to reword
    return facts.permission === 'owner'
      ? null
      : linkRefusal(facts, action, trans);
  }
  if (text === UNCLASSIFIED) {
    return trans.__('This address is not available through a share link.');
  }
  const holds = text.match(HOLDS_SHARE);
  if (holds) {
    return trans.__(
      '"%1" holds the read-only project share "%2": it cannot be renamed, moved or deleted.',
      holds[2],
      holds[4]
    );
  }
  const inShare = text.match(IN_SHARE);
  if (inShare) {
    const path = inShare[2];
    return shareRefusal(readOnlyFolderOf(facts, path) ?? path, action, trans);
  }
  return null;
}
