import { JupyterFrontEndPlugin } from '@jupyterlab/application';

import { accessPlugin, refusalsPlugin } from './access/plugin';
import { guestPlugin } from './guest/plugin';
import { sessionPlugin } from './session';
import { sharePlugin } from './links/plugin';
import { sharesPlugin } from './shares/plugin';

export * from './tokens';

const plugins: JupyterFrontEndPlugin<any>[] = [
  sessionPlugin,
  sharePlugin,
  guestPlugin,
  sharesPlugin,
  accessPlugin,
  refusalsPlugin
];

export default plugins;
