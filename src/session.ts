import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { Notification } from '@jupyterlab/apputils';
import { ServerConnection } from '@jupyterlab/services';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

import { ShareClient } from './client';
import { sameRelease } from './format';
import { errorMessage } from './request';
import { FRONTEND_VERSION, ICapellaShare, IInfo, PLUGIN_IDS } from './tokens';

/**
 * Shake hands with the server extension once, and tell the user (once, clearly)
 * when it is missing or from another release, instead of failing request by request.
 */
async function handshake(
  client: ShareClient,
  translator: ITranslator
): Promise<IInfo | null> {
  const trans = translator.load('capella_share');
  let info: IInfo;
  try {
    info = await client.info();
  } catch (error) {
    const status =
      error instanceof ServerConnection.ResponseError
        ? error.response.status
        : 0;
    if (status === 404) {
      Notification.error(
        trans.__(
          'Sharing is unavailable: the capella-share server extension is not running. Enable it with "jupyter server extension enable capella_share", then restart the server.'
        ),
        { autoClose: false }
      );
    } else if (status !== 403) {
      Notification.error(
        trans.__(
          'Sharing is unavailable: the server did not answer (%1).',
          errorMessage(error)
        ),
        { autoClose: false }
      );
    }
    return null;
  }
  if (!sameRelease(FRONTEND_VERSION, info.version)) {
    Notification.warning(
      trans.__(
        'Sharing is unavailable: the capella-share Lab extension is %1 but its server extension is %2. Install one release of capella-share, restart the server and reload this page.',
        FRONTEND_VERSION,
        info.version
      ),
      { autoClose: false }
    );
    return null;
  }
  document.body.dataset.capellaShare = info.version;
  return info;
}

export const sessionPlugin: JupyterFrontEndPlugin<ICapellaShare> = {
  id: PLUGIN_IDS.session,
  description:
    'Checks the capella-share server extension and tells who you are.',
  autoStart: true,
  provides: ICapellaShare,
  optional: [ITranslator],
  activate: (
    app: JupyterFrontEnd,
    translator: ITranslator | null
  ): ICapellaShare => {
    const client = new ShareClient(app.serviceManager.serverSettings);
    const info = handshake(client, translator ?? nullTranslator);
    const ready = info
      .then(known => (known ? client.session() : null))
      .catch(error => {
        console.error('capella-share: could not read the session', error);
        return null;
      });
    return { ready, info: ready.then(session => (session ? info : null)) };
  }
};
