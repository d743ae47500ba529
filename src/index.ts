import { JupyterFrontEndPlugin } from '@jupyterlab/application';

import { guestPlugin } from './guest/plugin';
import { sessionPlugin } from './session';
import { sharePlugin } from './share/plugin';

export * from './tokens';

const plugins: JupyterFrontEndPlugin<any>[] = [
  sessionPlugin,
  sharePlugin,
  guestPlugin
];

export default plugins;
