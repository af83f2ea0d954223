import { it } from 'vitest';
import { startTestGateway } from '../../support/gateway.js';
it('probe', async () => {
  const t = Date.now();
  const gw = await startTestGateway({ demo: true });
  console.log('started in', Date.now() - t, 'ms', gw.app.demoToken?.slice(0, 20));
  await gw.close();
}, 300_000);
