import { JupyterFrontEndPlugin } from '@jupyterlab/application';

import { accessPlugin, refusalsPlugin } from './access/plugin';
import { activityPlugin } from './activity/plugin';
import { guestPlugin } from './guest/plugin';
import { heldKernelsPlugin, kernelsPlugin } from './kernels/plugin';
import { sessionPlugin } from './session';
import { sharePlugin } from './links/plugin';
import { sharesPlugin } from './shares/plugin';
import { trustPlugin } from './trust/plugin';

export * from './tokens';

const plugins: JupyterFrontEndPlugin<any>[] = [
  sessionPlugin,
  sharePlugin,
  guestPlugin,
  sharesPlugin,
  accessPlugin,
  refusalsPlugin,
  trustPlugin,
  kernelsPlugin,
  heldKernelsPlugin,
  activityPlugin
];

export default plugins;
